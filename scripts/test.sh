#!/usr/bin/env bash
# Install the test dependencies (requirements-dev.lock, Debian's Chromium and CJK fonts) and run the
# tests.  Arguments go to pytest.
source "$(dirname "$0")/_env.sh" requirements-dev.lock
apt_install chromium chromium-driver fonts-noto-cjk fonts-arphic-uming poppler-utils
exec python -m pytest "$@"
