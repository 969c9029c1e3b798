#!/usr/bin/env bash
# Creates .venv-bench beside the project: this project plus the gaitmap library, for benchmarks/bench_gaitmap.py only.
# gaitmap is never a dependency of the package. Its RamppEventDetection lives in gaitmap_mad (AGPL-3),
# installed here only, for the comparison.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
python3 -m venv "$ROOT/.venv-bench"
"$ROOT/.venv-bench/bin/pip" install --quiet --upgrade pip
"$ROOT/.venv-bench/bin/pip" install --quiet gaitmap
VERSION="$("$ROOT/.venv-bench/bin/python" -c "import importlib.metadata as m; print(m.version('gaitmap'))")"
"$ROOT/.venv-bench/bin/pip" install --quiet "gaitmap_mad==$VERSION"
"$ROOT/.venv-bench/bin/pip" install --quiet -e "$ROOT"
