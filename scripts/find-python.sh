#!/usr/bin/env bash
# Print the path of the Python to build .venv with: 3.12 (what the lock, CI and the corpus
# expectations are verified on; Django 6 needs >= 3.12), else 3.13, else 3.14, each at least at
# the release that carries its series' latest security fixes (CPython's Misc/NEWS.d; README,
# Security). Older patch levels are skipped: 3.12.1, say, lacks the fix for CVE-2024-6923
# (header injection in `email`, fixed in 3.12.5).
#   3.12.15  2026-10-01  tarfile CVE-2026-82049, ssl CVE-2026-19445, urllib CVE-2026-15806, expat 2.8.5
#   3.13.16  2026-09-30  the same fixes
#   3.14.8   2026-09-30  the same fixes
# Looks on PATH, in pyenv's versions, then among uv's; when none is patched enough, asks
# `uv python install` for one. uv downloads Pythons from GitHub: where that is out of reach,
# the newest 3.12 or 3.13 found is used with a warning naming what it lacks (FIND_PYTHON_STRICT=1
# makes that an error). --installed-only: print a patched Python already here or exit 1, with
# no download and no fallback (tests/security/test_python.py asks this).
set -u
MINIMUMS=("3.12.15" "3.13.16" "3.14.8")
version_of() { "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null; }
at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }
series() { echo "${1%.*}"; }

candidates() {  # "version path" of every Python 3.12-3.14 on this machine, newest first
  local minor path version
  {
    for minor in 3.12 3.13 3.14; do
      command -v "python$minor" 2>/dev/null
      ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$minor".*/bin/python3 2>/dev/null
    done
    command -v python3 2>/dev/null
    if command -v "${UV:-uv}" >/dev/null 2>&1; then
      "${UV:-uv}" python list --only-installed --output-format json 2>/dev/null \
        | grep -o '"path":"[^"]*"' | cut -d'"' -f4
    fi
  } | sort -u | while read -r path; do
    version=$(version_of "$path") && echo "$version $path"
  done | sort -rV
}

patched() {  # the newest Python of the first series that has one at or above its minimum
  local minimum version path
  for minimum in "${MINIMUMS[@]}"; do
    while read -r version path; do
      [ "$(series "$version")" = "$(series "$minimum")" ] && at_least "$version" "$minimum" \
        && { echo "$path"; return 0; }
    done <<<"$FOUND"
  done
  return 1
}

newest_unpatched() {  # the newest 3.12, else 3.13, found: for the warning's fallback only
  local minor version path
  for minor in 3.12 3.13; do
    while read -r version path; do
      [ -n "$version" ] && [ "$(series "$version")" = "$minor" ] && { echo "$path"; return 0; }
    done <<<"$FOUND"
  done
  return 1
}

FOUND=$(candidates)
patched && exit 0
[ "${1:-}" = "--installed-only" ] && exit 1
if command -v "${UV:-uv}" >/dev/null 2>&1; then
  echo "find-python: no Python at ${MINIMUMS[*]} or later here; asking uv for one" >&2
  if "${UV:-uv}" python install "${MINIMUMS[0]%.*}" >&2; then
    FOUND=$(candidates)
    patched && exit 0
  fi
fi
if [ "${FIND_PYTHON_STRICT:-0}" != 1 ] && fallback=$(newest_unpatched); then
  cat >&2 <<EOF
find-python: WARNING: using $fallback (Python $(version_of "$fallback")), which lacks security
  fixes of its series (minimum: ${MINIMUMS[*]}); uv could not download a newer one here.
  Install one (uv python install ${MINIMUMS[0]%.*}, pyenv install ${MINIMUMS[0]}) and run make again.
EOF
  echo "$fallback"
  exit 0
fi
echo "find-python: no Python ${MINIMUMS[*]} or later found; install one (uv python install ${MINIMUMS[0]%.*})" >&2
exit 1
