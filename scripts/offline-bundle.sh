#!/usr/bin/env bash
# Build an offline installation bundle: every wheel of the runtime lock (requirements.lock, exact
# versions with hashes) and pip, setuptools and wheel, for one Python version and platform, in a
# folder and a tarball, for a server without internet.
#
# Usage: scripts/offline-bundle.sh [--python 3.11] [--platform manylinux2014_x86_64]...
#                                  [--out dist/wheelhouse] [--requirements requirements.lock]
#
# --platform may be given more than once (e.g. manylinux2014_x86_64 and manylinux_2_28_x86_64
# for a server with glibc 2.28 or newer); the versions are the lock's either way, the platform
# only chooses among each version's wheels.  Only binary wheels are accepted
# (--only-binary=:all:): nothing is compiled on the offline server.  The lock's hashes are checked
# while downloading and again on the server; the bundle's requirements.txt is the lock.
# This machine's pip configuration (find-links, extra indexes, constraints) takes no part.
# On the server:
#   tar -xzf wheelhouse.tar.gz
#   python3.11 -m venv /opt/nia-tracker/venv
#   /opt/nia-tracker/venv/bin/pip install --no-index --find-links wheelhouse --upgrade pip setuptools wheel
#   /opt/nia-tracker/venv/bin/pip install --no-index --find-links wheelhouse -r wheelhouse/requirements.txt
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python_version=3.11
platforms=()
out=dist/wheelhouse
requirements=requirements.lock
while [ $# -gt 0 ]; do
  case "$1" in
    --python) python_version=${2:?--python needs a version}; shift 2 ;;
    --platform) platforms+=("${2:?--platform needs a tag}"); shift 2 ;;
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --requirements) requirements=${2:?--requirements needs a file}; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "未知的參數 unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ ${#platforms[@]} -gt 0 ] || platforms=(manylinux2014_x86_64)
[ -f "$requirements" ] || { echo "找不到 not found: $requirements" >&2; exit 2; }

platform_args=()
for tag in "${platforms[@]}"; do platform_args+=(--platform "$tag"); done

PYTHON=${PYTHON:-python3}
# shellcheck source=scripts/_pip.sh
source scripts/_pip.sh
download=(download --quiet --only-binary=:all: --implementation cp --python-version "$python_version"
  "${platform_args[@]}" --index-url "$PYPI_INDEX" --dest "$out")
mkdir -p "$out"
echo "下載 downloading wheels of $requirements for Python $python_version on ${platforms[*]} into $out" >&2
pip_isolated "$PYTHON" "${download[@]}" --require-hashes -r "$requirements"
# The installer itself, newest release: not in the lock (the server's venv upgrades to it first).
pip_isolated "$PYTHON" "${download[@]}" pip setuptools wheel

cp "$requirements" "$out/requirements.txt"
cat > "$out/INSTALL.txt" <<EOF
離線安裝 offline installation (Python $python_version, ${platforms[*]})

  python$python_version -m venv /opt/nia-tracker/venv
  /opt/nia-tracker/venv/bin/pip install --no-index --find-links . --upgrade pip setuptools wheel
  /opt/nia-tracker/venv/bin/pip install --no-index --find-links . -r requirements.txt

(run in this folder; --no-index keeps pip from looking for a package index; requirements.txt is
the project's requirements.lock, so pip checks every wheel against its SHA-256 hash)
EOF
(cd "$out" && sha256sum ./*.whl > SHA256SUMS)

parent=$(dirname "$out")
name=$(basename "$out")
tar -czf "$parent/$name.tar.gz" -C "$parent" "$name"
count=$(find "$out" -maxdepth 1 -name '*.whl' | wc -l)
echo "完成 done: $count wheels in $out and $parent/$name.tar.gz" >&2
