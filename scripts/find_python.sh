#!/usr/bin/env bash
# Prints the path of a Python 3.13 interpreter (pyenv-aware), or fails loudly.
set -euo pipefail
for cand in python3.13 "$(command -v pyenv >/dev/null && echo "$(pyenv root)/versions/3.13.0/bin/python3.13")"; do
  [[ -n $cand ]] || continue
  if out=$(PYENV_VERSION=${PYENV_VERSION:-3.13.0} "$cand" -c 'import sys; print(sys.executable) if sys.version_info[:2] == (3, 13) else exit(1)' 2>/dev/null); then
    echo "$out"; exit 0
  fi
done
for dir in "$HOME"/.pyenv/versions/3.13*/bin /usr/local/bin /usr/bin; do
  if [[ -x $dir/python3.13 ]]; then echo "$dir/python3.13"; exit 0; fi
done
echo "python3.13 not found: install it (pyenv install 3.13.0) and retry" >&2
exit 1
