#!/usr/bin/env bash
# Lint and formatting check with the ruff of requirements-dev.lock (installed into .venv first);
# the configuration is in pyproject.toml.  To fix: .venv/bin/ruff check --fix . && .venv/bin/ruff format .
source "$(dirname "$0")/_env.sh" requirements-dev.lock
echo "ruff $(ruff --version | cut -d' ' -f2): ruff check . && ruff format --check ." >&2
ruff check .
ruff format --check .
