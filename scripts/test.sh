#!/usr/bin/env bash
# Install the test dependencies (Python packages, Debian's Chromium and CJK fonts) and run every test.
source "$(dirname "$0")/_env.sh" requirements-dev.txt
apt_install chromium chromium-driver fonts-noto-cjk fonts-arphic-uming poppler-utils
exec python -m pytest "$@"
