#!/usr/bin/env bash
# Install the app (requirements.lock), seed demo data into ./data (once) and start it on
# http://localhost:8501.  Arguments go to `streamlit run`, e.g. scripts/demo.sh --server.port 8599
source "$(dirname "$0")/_env.sh" requirements.lock
apt_install fonts-noto-cjk fonts-arphic-uming poppler-utils
python -m tracker demo seed --if-empty
exec python -m streamlit run streamlit_app.py "$@"
