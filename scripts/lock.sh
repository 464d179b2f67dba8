#!/usr/bin/env bash
# Refresh the lock files from the human-edited requirement files:
#   requirements.txt      -> requirements.lock      (the app and the CLI; scripts/demo.sh, offline bundle)
#   requirements-dev.txt  -> requirements-dev.lock  (the same runtime versions plus the test tools;
#                                                    scripts/test.sh and CI)
# Exact versions with every file's --hash, resolved for CPython 3.11 on Linux x86_64
# (manylinux2014, the offline bundle's default platform) against https://pypi.org/simple only:
# no find-links, extra index or constraints of this machine take part.  Wheels only (--no-build),
# so every locked package can go into the offline bundle.
#
# Usage: scripts/lock.sh [--upgrade | --upgrade-package NAME ...]   (extra arguments go to uv)
# Without --upgrade, versions already in the lock files are kept where the inputs allow them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

UV_VERSION=0.13.9
# shellcheck source=scripts/_pip.sh
source scripts/_pip.sh
LOCK_INDEX=https://pypi.org/simple # never a mirror or this machine's indexes

# uv, at the version above: the one on PATH if it matches, otherwise a private copy from PyPI.
uv=uv
if ! command -v uv >/dev/null || [ "$(uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  tools=${XDG_CACHE_HOME:-$HOME/.cache}/nia-tracker/uv-$UV_VERSION
  if [ ! -x "$tools/bin/uv" ]; then
    echo "安裝 installing uv $UV_VERSION into $tools" >&2
    python3 -m venv "$tools"
    pip_isolated "$tools/bin/python" install --quiet --index-url "$LOCK_INDEX" "uv==$UV_VERSION"
  fi
  uv=$tools/bin/uv
fi

compile() {
  env -u UV_INDEX -u UV_INDEX_URL -u UV_DEFAULT_INDEX -u UV_EXTRA_INDEX_URL -u UV_FIND_LINKS \
    -u UV_CONSTRAINT -u UV_OVERRIDE -u UV_BUILD_CONSTRAINT \
    "$uv" --no-config pip compile --quiet --generate-hashes --no-build \
    --python-version 3.11 --python-platform x86_64-manylinux2014 \
    --default-index "$LOCK_INDEX" --custom-compile-command scripts/lock.sh "$@"
}

compile requirements.txt --output-file requirements.lock "$@"
# The dev lock is constrained by the runtime lock, so both install the same runtime versions.
compile requirements-dev.txt --constraint requirements.lock --output-file requirements-dev.lock "$@"
echo "完成 done: requirements.lock, requirements-dev.lock" >&2
