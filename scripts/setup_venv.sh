#!/usr/bin/env bash
# Idempotent: (re)creates VENV from REQUIREMENTS only when the requirements changed.
set -euo pipefail
venv=$1 requirements=$2
stamp=$venv/.requirements.sha
want=$(cat "$requirements" layers/cofounder/requirements.txt 2>/dev/null | sha256sum | cut -d' ' -f1)
if [[ -x $venv/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then exit 0; fi
py=$(scripts/find_python.sh)
echo "setting up $venv with $py"
"$py" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r "$requirements"
echo "$want" > "$stamp"
