#!/usr/bin/env bash
# Build an offline installation bundle: every wheel the app needs (and pip, setuptools, wheel)
# for one Python version and platform, in a folder and a tarball, for a server without internet.
#
# Usage: scripts/offline-bundle.sh [--python 3.11] [--platform manylinux2014_x86_64]...
#                                  [--out dist/wheelhouse] [--requirements requirements.txt]
#
# --platform may be given more than once (e.g. manylinux2014_x86_64 and manylinux_2_28_x86_64
# for a server with glibc 2.28 or newer, which lets pip choose newer wheels).  Only binary
# wheels are accepted (--only-binary=:all:): nothing is compiled on the offline server.
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
requirements=requirements.txt
while [ $# -gt 0 ]; do
  case "$1" in
    --python) python_version=${2:?--python needs a version}; shift 2 ;;
    --platform) platforms+=("${2:?--platform needs a tag}"); shift 2 ;;
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --requirements) requirements=${2:?--requirements needs a file}; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "未知的參數 unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ ${#platforms[@]} -gt 0 ] || platforms=(manylinux2014_x86_64)
[ -f "$requirements" ] || { echo "找不到 not found: $requirements" >&2; exit 2; }

platform_args=()
for tag in "${platforms[@]}"; do platform_args+=(--platform "$tag"); done

PYTHON=${PYTHON:-python3}
mkdir -p "$out"
echo "下載 downloading wheels for Python $python_version on ${platforms[*]} into $out" >&2
"$PYTHON" -m pip download --disable-pip-version-check --quiet \
  --only-binary=:all: --implementation cp --python-version "$python_version" "${platform_args[@]}" \
  --dest "$out" -r "$requirements" pip setuptools wheel

cp "$requirements" "$out/requirements.txt"
cat > "$out/INSTALL.txt" <<EOF
離線安裝 offline installation (Python $python_version, ${platforms[*]})

  python$python_version -m venv /opt/nia-tracker/venv
  /opt/nia-tracker/venv/bin/pip install --no-index --find-links . --upgrade pip setuptools wheel
  /opt/nia-tracker/venv/bin/pip install --no-index --find-links . -r requirements.txt

(run in this folder; --no-index keeps pip from looking for a package index)
EOF
(cd "$out" && sha256sum ./*.whl > SHA256SUMS)

parent=$(dirname "$out")
name=$(basename "$out")
tar -czf "$parent/$name.tar.gz" -C "$parent" "$name"
count=$(find "$out" -maxdepth 1 -name '*.whl' | wc -l)
echo "完成 done: $count wheels in $out and $parent/$name.tar.gz" >&2
