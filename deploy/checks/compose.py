"""Policy checks of deploy/docker-compose.yml, beyond its schema (validate.sh runs the Compose Specification
schema on the raw file and on the interpolated one this script writes).

usage: compose.py <docker-compose.yml> <interpolated output path>
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from common import REPO, Report, check_hub_env, check_hub_toml, settings_sections

VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def interpolate(text: str, report: Report) -> str:
    """Compose's ${VAR:-default} with the defaults (what `make up` gets without a .env), `$$` kept as `$`."""

    def sub(m: re.Match[str]) -> str:
        if m.group(2) is None:
            report.fail(f"${{{m.group(1)}}} has no default: `make up` would need a .env")
            return ""
        return m.group(2)

    return VAR.sub(sub, text.replace("$$", "\0")).replace("\0", "$")


def as_list(value: object) -> list:
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value)
    return list(value)


def env_names(env: object) -> list[str]:
    if isinstance(env, dict):
        return list(env)
    return [str(e).split("=", 1)[0] for e in as_list(env)]


def env_value(env: object, name: str) -> str | None:
    if isinstance(env, dict):
        v = env.get(name)
        return None if v is None else str(v)
    for e in as_list(env):
        k, _, v = str(e).partition("=")
        if k == name:
            return v
    return None


def command_text(svc: dict) -> str:
    c = svc.get("command", "")
    return " ".join(map(str, c)) if isinstance(c, list) else str(c)


def seconds(value: object) -> float:
    total = 0.0
    for n, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", str(value)):
        total += float(n) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 0.000001}[unit]
    return total


def main() -> None:
    path, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    report = Report(f"compose policy ({path.relative_to(REPO)})")
    raw = path.read_text()
    text = interpolate(raw, report)
    out.write_text(text)
    doc = yaml.safe_load(text)
    base = path.parent
    services: dict = doc.get("services", {})
    networks: dict = doc.get("networks", {}) or {}
    sections = settings_sections()

    # Every variable has a default and is documented in .env.example.
    example = base / ".env.example"
    if report.check(example.is_file(), f"{example.relative_to(REPO)} is missing"):
        documented = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", example.read_text(), re.M))
        for name in sorted({m.group(1) for m in VAR.finditer(raw.replace("$$", ""))}):
            report.check(name in documented, f"${{{name}}} is not documented in .env.example")

    # MySQL 8 and Redis: never published, only on internal networks; Redis persists.
    for name in ("mysql", "redis"):
        svc = services.get(name)
        if not report.check(svc is not None, f"service `{name}` is missing"):
            continue
        report.check("ports" not in svc, f"{name}: publishes ports {svc.get('ports')}")
        report.check("network_mode" not in svc, f"{name}: network_mode bypasses the internal network")
        nets = as_list(svc.get("networks"))
        report.check(nets, f"{name}: attached to no named network (it would join `default`, which is not internal)")
        for n in nets:
            report.check((networks.get(n) or {}).get("internal") is True, f"{name}: network `{n}` is not `internal: true`")
    report.check(str(services.get("mysql", {}).get("image", "")).startswith("mysql:8"), "mysql: image is not MySQL 8")
    redis_cmd = command_text(services.get("redis", {}))
    report.check(re.search(r"--appendonly\s+yes", redis_cmd), f"redis: append-only persistence is off (command: {redis_cmd})")
    report.check(re.search(r"--maxmemory-policy\s+noeviction", redis_cmd), "redis: a queue needs --maxmemory-policy noeviction")
    report.check(
        any(str(v).endswith(":/data") for v in as_list(services.get("redis", {}).get("volumes"))),
        "redis: /data is not on a volume (the append-only file would die with the container)",
    )
    report.check(
        any(str(v).endswith(":/var/lib/mysql") for v in as_list(services.get("mysql", {}).get("volumes"))),
        "mysql: /var/lib/mysql is not on a volume",
    )

    # Healthchecks everywhere, except a one-shot step the others wait for.
    one_shots = {
        dep
        for svc in services.values()
        for dep, cond in (svc.get("depends_on") or {}).items()
        if isinstance(svc.get("depends_on"), dict) and (cond or {}).get("condition") == "service_completed_successfully"
    }
    for name, svc in services.items():
        hc = svc.get("healthcheck") or {}
        if name in one_shots:
            report.check(str(svc.get("restart", "no")) == "no", f"{name}: a one-shot step must not restart")
            continue
        report.check(hc.get("test") and not hc.get("disable"), f"{name}: no healthcheck")

    # The migration step runs before api and worker, and runs `hub migrate`.
    migrate = services.get("migrate")
    if report.check(migrate is not None, "service `migrate` is missing"):
        report.check(re.search(r"\bhub migrate$", command_text(migrate)), "migrate: command is not `hub migrate`")
        report.check("migrate" in one_shots, "migrate: nothing waits for it with service_completed_successfully")
    for name, binary, port in (("api", "hub-api", "8080"), ("worker", "hub-worker", "9090")):
        svc = services.get(name)
        if not report.check(svc is not None, f"service `{name}` is missing"):
            continue
        deps = svc.get("depends_on") or {}
        report.check(
            isinstance(deps, dict) and (deps.get("migrate") or {}).get("condition") == "service_completed_successfully",
            f"{name}: does not wait for migrate (depends_on condition service_completed_successfully)",
        )
        for dep in ("mysql", "redis"):
            report.check(
                isinstance(deps, dict) and (deps.get(dep) or {}).get("condition") == "service_healthy",
                f"{name}: does not wait for {dep} to be healthy",
            )
        report.check(seconds(svc.get("stop_grace_period", "10s")) >= 45, f"{name}: stop_grace_period under 45 s (SIGTERM drains)")
        env = svc.get("environment")
        var = "HUB_WORKER__LISTEN" if name == "worker" else "HUB_SERVER__LISTEN"
        report.check(env_value(env, var) == f"0.0.0.0:{port}", f"{name}: {var} is not 0.0.0.0:{port}")
        report.check(env_value(env, "HUB_QUEUE__BACKEND") == "redis", f"{name}: queue backend is not redis")
        report.check(str(env_value(env, "HUB_DATABASE__URL") or "").startswith("mysql://"), f"{name}: database is not MySQL")
        report.check(port in " ".join(map(str, (svc.get("healthcheck") or {}).get("test", []))), f"{name}: healthcheck not on port {port}")
        report.check(str(svc.get("user", "")) not in ("0", "root", "0:0"), f"{name}: runs as root")
        build = svc.get("build") or {}
        dockerfile = REPO / str(build.get("dockerfile", "")) if isinstance(build, dict) else None
        report.check(dockerfile and dockerfile.is_file(), f"{name}: build.dockerfile {build} does not exist")
        report.check(dockerfile and binary in dockerfile.name, f"{name}: built from {build}, not the {binary} Dockerfile")
    report.check("ports" not in services.get("worker", {}), "worker: publishes a port (only /metrics, scraped inside)")

    # Two PrestaShop stores with the connector module mounted.
    shops = {n: s for n, s in services.items() if str(s.get("image", "")).startswith("prestashop/prestashop:")}
    report.check(len(shops) >= 2, f"two PrestaShop stores expected, found {sorted(shops)}")
    module = "/var/www/html/modules/fulfillment_connector"
    for name, svc in shops.items():
        mounts = [str(v) for v in as_list(svc.get("volumes"))]
        src = [m.split(":")[0] for m in mounts if m.split(":")[1:2] == [module]]
        report.check(src, f"{name}: the connector module is not mounted at {module}")
        for s in src:
            report.check((base / s / "fulfillment_connector.php").is_file(), f"{name}: {s} is not the connector module")
        report.check(env_value(svc.get("environment"), "DB_SERVER") == "mysql", f"{name}: DB_SERVER is not the mysql service")

    # Bind mounts exist; the hub.toml handed to the hub is a valid store list; HUB_ variables name real
    # settings sections.
    configs = set()
    for name, svc in services.items():
        for v in as_list(svc.get("volumes")):
            src = v.get("source") if isinstance(v, dict) else str(v).split(":")[0]
            if src and src.startswith("."):
                report.check((base / src).exists(), f"{name}: bind mount source {src} does not exist")
                if src.endswith(".toml"):
                    configs.add(src)
        check_hub_env(report, name, env_names(svc.get("environment")), sections)
    report.check(configs, "no hub.toml is mounted into the hub's containers")
    for src in sorted(configs):
        if (base / src).is_file():
            check_hub_toml(report, src, (base / src).read_text(), sections)

    report.finish()


if __name__ == "__main__":
    main()
