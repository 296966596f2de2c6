#!/usr/bin/env bash
# Debian packages the tests need. Idempotent; installs only what is missing (needs root).
set -euo pipefail
wanted=(postgresql dovecot-imapd chromium)
missing=()
# npm installs axe-core for the browser tests' accessibility check (package-lock.json).
command -v npm >/dev/null || wanted+=(npm)
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || { echo "system-deps: missing ${missing[*]}; run as root to install" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
