#!/usr/bin/env bash
# Regenerates every golden file from the independent Python references. Needs Debian's python3-torch and
# python3-numpy (apt-get install python3-torch python3-numpy); /usr/bin/python3 is used on purpose, since
# another python3 on PATH (pyenv, a venv) usually lacks them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
TSX=(node --import tsx --import ./tests/support/register-tfjs-resolve.mjs)
"${TSX[@]}" tests/reference/write-model-fixtures.ts
$PY tests/reference/model_reference.py
"${TSX[@]}" tests/reference/write-tokenizer-fixtures.ts
$PY tests/reference/tokenizer_reference.py
$PY tests/reference/numpy_goldens.py
$PY tests/reference/optimizer_reference.py
"${TSX[@]}" tests/reference/write-train-fixtures.ts
(cd tests/reference && $PY train_reference.py)
(cd tests/reference && $PY torch_save_reference.py)
