#!/usr/bin/env bash
# Print the path of the Python to build .venv with: 3.12 (what the lock, CI and the corpus
# expectations are verified on; Django 6 needs >= 3.12), else a newer one. PATH first, then
# pyenv's versions, then one that uv manages. Exit 1 with a message when there is none.
set -u
works() { "$1" -c "import sys; sys.exit(sys.version_info[:2] != ($2))" 2>/dev/null; }
for minor in "3, 12" "3, 13" "3, 14"; do
  dotted=${minor/, /.}
  for candidate in "python$dotted" python3; do
    path=$(command -v "$candidate" 2>/dev/null) || continue
    if works "$path" "$minor"; then echo "$path"; exit 0; fi
  done
  for path in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$dotted"*/bin/python3 2>/dev/null | sort -rV); do
    if works "$path" "$minor"; then echo "$path"; exit 0; fi
  done
done
if command -v "${UV:-uv}" >/dev/null 2>&1; then
  path=$("${UV:-uv}" python find '>=3.12' 2>/dev/null) && { echo "$path"; exit 0; }
fi
echo "find-python: no Python 3.12 or newer found; install one (e.g. 'uv python install 3.12')" >&2
exit 1
