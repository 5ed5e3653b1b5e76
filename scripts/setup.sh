#!/bin/sh
# Prepare a checkout for use: a virtualenv in .venv with openerp-lite installed in editable mode,
# plus the test tools. Safe to run again: the install step is skipped while setup.py and
# pyproject.toml are unchanged since the last successful install.
set -eu

cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "setup.sh: $PYTHON not found; install Python 3.9 or newer (or set PYTHON=...)" >&2
    exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))'; then
    echo "setup.sh: Python 3.9 or newer is needed, $PYTHON is $("$PYTHON" -V 2>&1)" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    echo "setup.sh: creating .venv" >&2
    if ! "$PYTHON" -m venv .venv; then
        echo "setup.sh: could not create a virtualenv (on Debian/Ubuntu: apt-get install python3-venv)" >&2
        exit 1
    fi
fi

STAMP=.venv/.openerp-lite-installed
WANT=$(cat setup.py pyproject.toml | cksum)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
    echo "setup.sh: installing openerp-lite and its test tools into .venv" >&2
    .venv/bin/python -m pip install -qq --disable-pip-version-check -e '.[test]'
    echo "$WANT" > "$STAMP"
fi
