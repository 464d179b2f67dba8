#!/usr/bin/env bash
# Install the test dependencies (requirements-dev.lock; Debian's Chromium, CJK fonts and the
# PostgreSQL server, which the tests start themselves in a temporary folder) and run the tests.
# Arguments go to pytest.  Tests marked `network` (they reach PyPI) are deselected unless asked
# for: scripts/test.sh -m network
source "$(dirname "$0")/_env.sh" requirements-dev.lock
apt_install chromium chromium-driver fonts-noto-cjk fonts-arphic-uming poppler-utils postgresql nginx-light
selects=false
for arg in "$@"; do
  case "$arg" in -m | -m*) selects=true ;; esac
done
if ! $selects; then
  echo "注意 note: network tests (marker 'network', they reach PyPI) are deselected; run them with: ./scripts/test.sh -m network" >&2
fi
exec python -m pytest "$@"
