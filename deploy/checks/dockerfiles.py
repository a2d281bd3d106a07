"""Policy checks of the hub's Dockerfiles and the root .dockerignore (validate.sh also runs hadolint).

usage: dockerfiles.py <hub-api.Dockerfile> <hub-worker.Dockerfile>
"""

from __future__ import annotations

import fnmatch
import re
import sys
from pathlib import Path

from common import REPO, Report

# What each image runs and listens on (HUB_SERVER__LISTEN of the api, HUB_WORKER__LISTEN of the worker).
EXPECTED = {"hub-api": 8080, "hub-worker": 9090}


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n(\s*#.*\n)*", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def stages(instrs: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for ins in instrs:
        if ins[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(ins)
    return result


def main() -> None:
    report = Report("Dockerfile policy")
    builders = {}
    ignore = [p.strip() for p in (REPO / ".dockerignore").read_text().splitlines() if p.strip() and not p.startswith("#")]
    for arg in sys.argv[1:]:
        path = Path(arg).resolve()
        binary = next((b for b in EXPECTED if path.name.startswith(b)), None)
        where = path.name
        if not report.check(binary, f"{where}: name does not say which binary it runs ({sorted(EXPECTED)})"):
            continue
        port = EXPECTED[binary]
        st = stages(instructions(path.read_text()))
        report.check(len(st) >= 2, f"{where}: not a multi-stage build")
        if not st:
            continue
        first, final = st[0], st[-1]
        report.check(re.search(r"\bAS builder$", first[0][1], re.I), f"{where}: the first stage is not `AS builder`")
        report.check(re.match(r"rust:", first[0][1]), f"{where}: the builder is not a rust image")
        run = " ".join(a for i, a in first if i == "RUN")
        # The one recipe (deploy/build-binaries.sh), which the images built from Debian's packages use too.
        report.check("deploy/build-binaries.sh /out" in run, f"{where}: the builder does not run deploy/build-binaries.sh /out")
        for pkg in ("hub-api", "hub-worker", "hub"):
            report.check(re.search(rf"build-binaries\.sh /out[^&;]*\s{pkg}(\s|$)", run), f"{where}: the builder does not build {pkg}")
        recipe = (REPO / "deploy" / "build-binaries.sh").read_text()
        report.check("cargo build $flag --locked" in recipe and "release) flag=--release" in recipe,
                     "deploy/build-binaries.sh: does not build --release --locked by default")
        builders[where] = first
        for i, a in first:
            if i == "COPY" and "--from" not in a:
                for src in a.split()[:-1]:
                    report.check((REPO / src).exists(), f"{where}: COPY {src}: not in the repository")
                    report.check(
                        not any(fnmatch.fnmatch(src.rstrip("/"), p.rstrip("/")) for p in ignore),
                        f"{where}: COPY {src}: excluded by .dockerignore",
                    )

        final_from = final[0][1]
        report.check("builder" not in final_from and not final_from.startswith("rust:"), f"{where}: the runtime stage is the build image")
        report.check(any(i == "COPY" and "--from=builder" in a for i, a in final), f"{where}: the runtime stage copies nothing from the builder")
        users = [a for i, a in final if i == "USER"]
        report.check(users, f"{where}: no USER in the runtime stage (it would run as root)")
        if users:
            uid = users[-1].split(":")[0]
            report.check(uid.isdigit() and uid != "0", f"{where}: USER {users[-1]} is not a numeric non-root uid (runAsNonRoot needs a number)")
        hc = [a for i, a in final if i == "HEALTHCHECK"]
        report.check(hc, f"{where}: no HEALTHCHECK in the runtime stage")
        if hc:
            report.check(re.search(rf'"(/usr/local/bin/)?hub",\s*"healthcheck",\s*"http://127\.0\.0\.1:{port}/health"', hc[-1]), f"{where}: HEALTHCHECK is not `hub healthcheck http://127.0.0.1:{port}/health`")
            report.check(re.search(r"CMD \[", hc[-1]), f"{where}: HEALTHCHECK is not in exec form (the runtime image has no shell)")
        envs = " ".join(a for i, a in final if i == "ENV")
        var = "HUB_WORKER__LISTEN" if binary == "hub-worker" else "HUB_SERVER__LISTEN"
        report.check(f"{var}=0.0.0.0:{port}" in envs, f"{where}: {var} is not 0.0.0.0:{port}")
        report.check(any(i == "EXPOSE" and a == str(port) for i, a in final), f"{where}: does not EXPOSE {port}")
        cmd = [a for i, a in final if i in ("CMD", "ENTRYPOINT")]
        report.check(cmd and f'"/usr/local/bin/{binary}"' in cmd[-1], f"{where}: does not run /usr/local/bin/{binary}")

    # The builder stages are identical, so the second image reuses the first's build cache.
    if len(builders) == 2:
        a, b = builders.values()
        report.check(a == b, f"the builder stages of {' and '.join(builders)} differ: keep them identical")

    for must in ("target", ".git", ".env", "data"):
        report.check(must in ignore, f".dockerignore does not exclude {must}")
    report.finish()


if __name__ == "__main__":
    main()
