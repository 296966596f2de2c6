#!/usr/bin/env bash
# Print the path of a Python >= 3.12 (Django 6 needs it): PATH first, then pyenv's versions,
# then one that uv manages. Exit 1 with a message when there is none.
set -u
ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }
for candidate in python3.13 python3.12 python3; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if ok "$path"; then echo "$path"; exit 0; fi
done
for path in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do
  if ok "$path"; then echo "$path"; exit 0; fi
done
if command -v "${UV:-uv}" >/dev/null 2>&1; then
  path=$("${UV:-uv}" python find '>=3.12' 2>/dev/null) && { echo "$path"; exit 0; }
fi
echo "find-python: no Python 3.12 or newer found; install one (e.g. 'uv python install 3.12')" >&2
exit 1
