# Shared by scripts/demo.sh and scripts/test.sh: a virtual environment of its own in .venv
# (no system site packages: nothing the machine happens to have installed takes part), the exact
# versions of the given lock file (--require-hashes), then this project itself (editable, no
# dependencies).  Usage: source scripts/_env.sh requirements.lock | requirements-dev.lock
#
# pip runs without this machine's pip configuration (find-links, extra indexes, constraints; see
# scripts/_pip.sh) and installs from https://pypi.org/simple, or TRACKER_INDEX_URL (a mirror).
# A virtual environment that is already active (VIRTUAL_ENV) is used as it is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
lock=${1:?usage: source scripts/_env.sh LOCKFILE}

# shellcheck source=scripts/_pip.sh
source scripts/_pip.sh

if [ -z "${VIRTUAL_ENV:-}" ]; then
  if [ -f .venv/pyvenv.cfg ] && grep -Eiq '^include-system-site-packages *= *true' .venv/pyvenv.cfg; then
    echo "重建 recreating .venv: it was created with --system-site-packages" >&2
    rm -rf .venv
  fi
  if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
  fi
  # shellcheck disable=SC1091
  . .venv/bin/activate
fi
if ! python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "注意 note: $lock is resolved for Python 3.11; this is Python $(python -c 'import platform; print(platform.python_version())')" >&2
fi
pip_isolated python install --quiet --require-hashes --only-binary=:all: \
  --index-url "$PYPI_INDEX" -r "$lock"
# The project itself: its dependencies are the lock's, and setuptools (in the lock) builds it here,
# so this step needs no index.
pip_isolated python install --quiet --no-deps --no-build-isolation --no-index -e .

# Debian packages, installed only when missing (needs root or sudo).
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || { echo "請安裝 please install: ${missing[*]}" >&2; return 1; }
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
