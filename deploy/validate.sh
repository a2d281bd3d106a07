#!/usr/bin/env bash
# Validates everything under deploy/ without Docker or a Kubernetes cluster (neither exists on the CI
# machine). `make deploy-check` runs it; so does .ci/run.
#
#   1. docker-compose.yml against the Compose Specification JSON schema, as written and after ${VAR:-default}
#      interpolation, plus policy checks (checks/compose.py).
#   2. The Dockerfiles with hadolint, plus policy checks (checks/dockerfiles.py).
#   3. The Kubernetes manifests against the Kubernetes 1.30 and 1.37 schemas in strict mode
#      (kubernetes-validate), plus policy checks (checks/k8s.py); and, where a kubectl binary exists, the
#      kustomization rendered offline by `kubectl kustomize` and validated the same way.
#   4. The shell scripts with shellcheck.
#
# Its tools come from PyPI into a virtualenv under target/deploy-check (DEPLOY_CHECK_DIR overrides it);
# nothing is downloaded into the repository. Exits non-zero when any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

work="${DEPLOY_CHECK_DIR:-target/deploy-check}"
venv="$work/venv"
mkdir -p "$work"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r deploy/checks/requirements.txt
bin="$venv/bin"
export PYTHONDONTWRITEBYTECODE=1

k8s_manifests=()
for f in deploy/k8s/*.yaml; do
  [ "$(basename "$f")" = kustomization.yaml ] || k8s_manifests+=("$f")
done

passed=0
failed=0
failures=()
step() {
  local name=$1
  shift
  printf '\n--- %s\n' "$name"
  if "$@"; then
    passed=$((passed + 1))
    echo "ok"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "FAILED: $name"
  fi
}

kubectl_kustomize() {
  if ! command -v kubectl >/dev/null 2>&1; then
    echo "no kubectl on this machine: skipped (the manifests themselves were validated above)"
    return 0
  fi
  kubectl kustomize deploy/k8s >"$work/kustomized.yaml" &&
    "$bin/kubernetes-validate" -k 1.30.0 --strict --quiet "$work/kustomized.yaml" &&
    echo "kubectl kustomize deploy/k8s: $(grep -c '^kind:' "$work/kustomized.yaml") objects, valid"
}

step "compose: Compose Specification schema" \
  "$bin/check-jsonschema" --builtin-schema vendor.compose-spec deploy/docker-compose.yml
rm -f "$work/docker-compose.interpolated.yml"
step "compose: policy (internal network, persistence, healthchecks, migrate first, shops)" \
  "$bin/python" deploy/checks/compose.py deploy/docker-compose.yml "$work/docker-compose.interpolated.yml"
step "compose: schema after \${VAR:-default} interpolation" \
  "$bin/check-jsonschema" --builtin-schema vendor.compose-spec "$work/docker-compose.interpolated.yml"
step "compose: the local stack (deploy/docker-compose.local.yml) against the Compose Specification schema" \
  "$bin/check-jsonschema" --builtin-schema vendor.compose-spec deploy/docker-compose.local.yml
step "dockerfiles: hadolint" \
  "$bin/hadolint" deploy/hub-api.Dockerfile deploy/hub-worker.Dockerfile deploy/local/*.Dockerfile
step "dockerfiles: policy (multi-stage, non-root, healthcheck)" \
  "$bin/python" deploy/checks/dockerfiles.py deploy/hub-api.Dockerfile deploy/hub-worker.Dockerfile
step "kubernetes: schemas of 1.30 (the oldest supported), strict" \
  "$bin/kubernetes-validate" -k 1.30.0 --strict --quiet "${k8s_manifests[@]}"
step "kubernetes: schemas of 1.37, strict" \
  "$bin/kubernetes-validate" -k 1.37.0 --strict --quiet "${k8s_manifests[@]}"
step "kubernetes: policy (probes, requests, HPAs, non-root, grace period)" \
  "$bin/python" deploy/checks/k8s.py deploy/k8s
step "kubernetes: kustomization rendered offline" kubectl_kustomize
step "shell: shellcheck" \
  "$bin/shellcheck" deploy/validate.sh deploy/compose/mysql-init/*.sh deploy/build-binaries.sh deploy/local/*.sh

echo
if [ "$failed" -gt 0 ]; then
  printf 'failed: %s\n' "${failures[@]}"
fi
echo "deploy-check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
