#!/bin/sh
# The code checks CI runs before the tests, and the pre-commit hook runs on each commit:
# formatting (ruff format), lint with the line-length and complexity ceilings (ruff check), the
# types of the interfaces between layers (mypy, files listed in pyproject.toml) and the options
# table of the README (generated from the declarations).
set -eu
cd "$(dirname "$0")/.."
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python scripts/options_table.py --check
