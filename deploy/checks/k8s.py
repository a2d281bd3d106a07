"""Policy checks of deploy/k8s/*.yaml, beyond their schemas (validate.sh runs kubernetes-validate on them).

usage: k8s.py <deploy/k8s directory>
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from common import REPO, Report, check_hub_env, check_hub_toml, settings_sections

# Files kept out of kustomization.yaml on purpose (see the comment at the top of each).
NOT_APPLIED = {"secret.example.yaml", "ingress.example.yaml", "migrate-job.yaml"}
HUB_PORTS = {"api": 8080, "worker": 9090}
# resource.Quantity: the schemas only say "string or number", the API server parses it.
QUANTITY = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")


def port_number(container: dict, port: object) -> int | None:
    if isinstance(port, int):
        return port
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p.get("containerPort")
    return None


def main() -> None:
    root = Path(sys.argv[1]).resolve()
    report = Report(f"kubernetes policy ({root.relative_to(REPO)})")
    sections = settings_sections()
    docs: list[tuple[str, dict]] = []
    for f in sorted(root.glob("*.yaml")):
        for d in yaml.safe_load_all(f.read_text()):
            if d:
                docs.append((f.name, d))
    by_kind: dict[str, list[dict]] = {}
    for _, d in docs:
        by_kind.setdefault(d.get("kind", ""), []).append(d)

    # kustomization.yaml applies every manifest except the examples and the migrate Job.
    kust = next((d for _, d in docs if d.get("kind") == "Kustomization"), None)
    files = {f.name for f in root.glob("*.yaml")} - {"kustomization.yaml"}
    if report.check(kust, "kustomization.yaml is missing"):
        listed = set(kust.get("resources", []))
        for r in sorted(listed):
            report.check((root / r).is_file(), f"kustomization.yaml lists {r}, which does not exist")
        for f in sorted(files - NOT_APPLIED):
            report.check(f in listed, f"{f} is not in kustomization.yaml resources")
        for f in sorted(NOT_APPLIED & listed):
            report.fail(f"{f} must not be in kustomization.yaml (see its header)")
        images = {i.get("name") for i in kust.get("images", [])}
    else:
        images = set()

    deployments = {d["metadata"]["labels"].get("app.kubernetes.io/component"): d for d in by_kind.get("Deployment", [])}
    for component in ("api", "worker"):
        report.check(component in deployments, f"no Deployment with app.kubernetes.io/component: {component}")

    configmaps = {d["metadata"]["name"]: d for d in by_kind.get("ConfigMap", [])}
    secrets = {d["metadata"]["name"]: d for d in by_kind.get("Secret", [])}

    # Every pod: non-root, no privilege escalation, read-only root, requests, a grace period, no service
    # links (a variable starting with HUB_ would be read as an unknown setting).
    workloads = [(f"Deployment/{d['metadata']['name']}", d) for d in by_kind.get("Deployment", [])]
    workloads += [(f"Job/{d['metadata']['name']}", d) for d in by_kind.get("Job", [])]
    for where, w in workloads:
        pod = w["spec"]["template"]["spec"]
        labels = w["spec"]["template"]["metadata"].get("labels", {})
        selector = w["spec"].get("selector", {}).get("matchLabels")
        if selector is not None:
            report.check(all(labels.get(k) == v for k, v in selector.items()), f"{where}: selector does not match its pod labels")
        psc = pod.get("securityContext", {})
        report.check(psc.get("runAsNonRoot") is True, f"{where}: pod securityContext.runAsNonRoot is not true")
        report.check(psc.get("runAsUser", 0) != 0, f"{where}: pod runs as uid 0")
        report.check(pod.get("enableServiceLinks") is False, f"{where}: enableServiceLinks is not false")
        report.check(pod.get("terminationGracePeriodSeconds", 30) >= 45, f"{where}: terminationGracePeriodSeconds under 45")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for c in pod.get("containers", []):
            cw = f"{where} container {c['name']}"
            sc = c.get("securityContext", {})
            report.check(sc.get("allowPrivilegeEscalation") is False, f"{cw}: allowPrivilegeEscalation is not false")
            report.check(sc.get("readOnlyRootFilesystem") is True, f"{cw}: root filesystem is writable")
            report.check("ALL" in sc.get("capabilities", {}).get("drop", []), f"{cw}: capabilities not dropped")
            report.check(sc.get("runAsUser", 1) != 0 and sc.get("privileged") is not True, f"{cw}: runs privileged or as root")
            for kind in ("requests", "limits"):
                for res, q in c.get("resources", {}).get(kind, {}).items():
                    report.check(QUANTITY.match(str(q)), f"{cw}: resources.{kind}.{res} `{q}` is not a quantity")
            req = c.get("resources", {}).get("requests", {})
            report.check("cpu" in req and "memory" in req, f"{cw}: resources.requests needs cpu and memory")
            report.check("memory" in c.get("resources", {}).get("limits", {}), f"{cw}: no memory limit")
            image = str(c.get("image", ""))
            report.check(image.rsplit(":", 1)[0] in images, f"{cw}: image {image} is not set by kustomization.yaml images")
            env = [e["name"] for e in c.get("env", [])]
            for src in c.get("envFrom", []):
                ref = src.get("configMapRef") or src.get("secretRef") or {}
                pool = configmaps if "configMapRef" in src else secrets
                if report.check(ref.get("name") in pool, f"{cw}: envFrom {ref.get('name')} is not defined here"):
                    env += list((pool[ref["name"]].get("data") or pool[ref["name"]].get("stringData") or {}).keys())
            check_hub_env(report, cw, env, sections)
            for e in c.get("env", []):
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    s = secrets.get(ref["name"], {})
                    report.check(ref["key"] in (s.get("stringData") or s.get("data") or {}), f"{cw}: {e['name']} reads missing secret key {ref['name']}/{ref['key']}")
            for m in c.get("volumeMounts", []):
                v = volumes.get(m["name"])
                if report.check(v, f"{cw}: mounts unknown volume {m['name']}") and "secret" in v:
                    s = secrets.get(v["secret"]["secretName"], {})
                    for item in v["secret"].get("items", []):
                        report.check(item["key"] in (s.get("stringData") or {}), f"{cw}: volume {m['name']} reads missing key {item['key']}")

    # api and worker: probes on /health and /ready, on the port they listen on.
    for component, d in deployments.items():
        if component not in HUB_PORTS:
            continue
        where = f"Deployment/{d['metadata']['name']}"
        c = d["spec"]["template"]["spec"]["containers"][0]
        var = "HUB_WORKER__LISTEN" if component == "worker" else "HUB_SERVER__LISTEN"
        listen = next((e.get("value") for e in c.get("env", []) if e["name"] == var), None)
        report.check(listen == f"0.0.0.0:{HUB_PORTS[component]}", f"{where}: {var} is {listen}")
        for probe, path in (("livenessProbe", "/health"), ("readinessProbe", "/ready"), ("startupProbe", "/health")):
            get = (c.get(probe) or {}).get("httpGet", {})
            report.check(get.get("path") == path, f"{where}: {probe} is not an HTTP GET of {path}")
            report.check(port_number(c, get.get("port")) == HUB_PORTS[component], f"{where}: {probe} port is not {HUB_PORTS[component]}")
        report.check(d["spec"]["strategy"]["rollingUpdate"].get("maxUnavailable") == 0, f"{where}: maxUnavailable is not 0")
    api = deployments.get("api")
    if api:
        pre = (api["spec"]["template"]["spec"]["containers"][0].get("lifecycle") or {}).get("preStop")
        report.check(pre, "api: no preStop pause (requests routed during endpoint removal would fail)")

    # Two HPAs: the api's, and the worker's on queue depth.
    hpas = by_kind.get("HorizontalPodAutoscaler", [])
    report.check(len(hpas) == 2, f"two HorizontalPodAutoscalers expected, found {len(hpas)}")
    targets = {h["spec"]["scaleTargetRef"]["name"]: h for h in hpas}
    for component in ("api", "worker"):
        d = deployments.get(component)
        if d:
            report.check(d["metadata"]["name"] in targets, f"no HPA scales Deployment/{d['metadata']['name']}")
    worker = deployments.get("worker")
    if worker and worker["metadata"]["name"] in targets:
        metrics = targets[worker["metadata"]["name"]]["spec"].get("metrics", [])
        names = [(m.get("external") or m.get("pods") or {}).get("metric", {}).get("name") for m in metrics]
        report.check("hub_queue_depth" in names, f"worker HPA is not driven by hub_queue_depth (metrics: {names})")
    for h in hpas:
        report.check(h["spec"].get("minReplicas", 1) >= 2, f"HPA {h['metadata']['name']}: minReplicas under 2")
        report.check(h["spec"]["maxReplicas"] >= h["spec"].get("minReplicas", 1), f"HPA {h['metadata']['name']}: maxReplicas under minReplicas")
        for m in h["spec"].get("metrics", []):
            target = next(iter(v for k, v in m.items() if k != "type"), {}).get("target", {})
            for key in ("averageValue", "value"):
                if key in target:
                    report.check(QUANTITY.match(str(target[key])), f"HPA {h['metadata']['name']}: target {key} `{target[key]}` is not a quantity")

    # Services and disruption budgets select pods that exist, on ports that exist.
    pods = [(d, d["spec"]["template"]["metadata"]["labels"]) for d in by_kind.get("Deployment", [])]
    for kind, sel_of in (("Service", lambda s: s["spec"].get("selector", {})), ("PodDisruptionBudget", lambda p: p["spec"]["selector"]["matchLabels"])):
        for obj in by_kind.get(kind, []):
            sel = sel_of(obj)
            hits = [d for d, labels in pods if all(labels.get(k) == v for k, v in sel.items())]
            if report.check(len(hits) == 1, f"{kind}/{obj['metadata']['name']}: selects {len(hits)} Deployments"):
                if kind == "Service":
                    c = hits[0]["spec"]["template"]["spec"]["containers"][0]
                    for p in obj["spec"]["ports"]:
                        report.check(port_number(c, p.get("targetPort")), f"Service/{obj['metadata']['name']}: targetPort {p.get('targetPort')} is not a container port")

    # The namespaced objects sit in one namespace.
    namespaces = {d["metadata"].get("namespace") for _, d in docs if d.get("kind") not in ("Namespace", "Kustomization")}
    report.check(len(namespaces) == 1 and None not in namespaces, f"objects spread over namespaces {namespaces}")

    # The example Secret's hub.toml is a valid store list.
    for name, s in secrets.items():
        if "hub.toml" in (s.get("stringData") or {}):
            check_hub_toml(report, f"Secret/{name} hub.toml", s["stringData"]["hub.toml"], sections)

    report.finish()


if __name__ == "__main__":
    main()
