#!/usr/bin/env bash
# Every check CI runs: lint, format, import contracts, then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
echo "== ruff check"; .venv/bin/ruff check imu_app tests benchmarks scripts
echo "== ruff format --check"; .venv/bin/ruff format --check imu_app tests benchmarks scripts
echo "== import contracts"; .venv/bin/lint-imports
echo "== pytest"; .venv/bin/python -m pytest "$@"
