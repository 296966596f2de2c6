#!/usr/bin/env bash
# Audit the locked dependencies (every group of uv.lock), or a requirements file given as the
# argument, for known vulnerabilities with pip-audit.
#   exit 0  no known vulnerability
#   exit 1  a known vulnerability, or a dependency that could not be audited (--strict)
#   exit 2  no vulnerability service reachable: the audit did not run (said loudly)
# The service: AUDIT_OSV_URL when set (an OSV API, e.g. an internal mirror), else PyPI's
# per-release JSON (pip-audit's default: /pypi/NAME/VERSION/json carries the release's
# advisories from the PyPA advisory database), else OSV (api.osv.dev). A machine that reaches
# only a partial PyPI mirror without per-release JSON (as the development machines of 2026-12)
# gets exit 2: pip-audit itself would answer "no known vulnerabilities" there, every
# dependency skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-$(command -v uv || echo .tools/bin/uv)}
AUDIT=.venv/bin/pip-audit
answers() { .venv/bin/python - "$@" <<'EOF'
import sys, urllib.request
method, url = sys.argv[1], sys.argv[2]
data = b'{"package": {"name": "pip", "ecosystem": "PyPI"}, "version": "24.0"}' if method == "POST" else None
try:
    urllib.request.urlopen(urllib.request.Request(url, data=data, method=method), timeout=10)
except Exception:
    sys.exit(1)
EOF
}

if [ -n "${AUDIT_OSV_URL:-}" ]; then
  service=(--vulnerability-service osv --osv-url "$AUDIT_OSV_URL")
elif answers GET https://pypi.org/pypi/pip/24.0/json; then
  service=(--vulnerability-service pypi)
elif answers POST https://api.osv.dev/v1/query; then
  service=(--vulnerability-service osv)
else
  echo "audit: NOT RUN: neither PyPI's per-release JSON (pypi.org/pypi/NAME/VERSION/json) nor" \
    "OSV (api.osv.dev) answers from this machine; set AUDIT_OSV_URL to an OSV API." >&2
  exit 2
fi

if [ $# -gt 0 ]; then
  requirements=$1
  hashes=()
else
  requirements=$(mktemp)
  trap 'rm -f "$requirements"' EXIT
  "$UV" export --frozen --all-groups --no-emit-project --format requirements-txt \
    --quiet -o "$requirements"
  hashes=(--require-hashes)
fi
status=0
"$AUDIT" --strict --no-deps --disable-pip "${hashes[@]}" "${service[@]}" \
  --progress-spinner off -r "$requirements" || status=$?
[ "$status" -eq 0 ] || exit 1
