#!/usr/bin/env bash
# Install the app, seed demo data into ./data (once) and start it on http://localhost:8501
source "$(dirname "$0")/_env.sh" requirements.txt
apt_install fonts-noto-cjk fonts-arphic-uming poppler-utils
python -m tracker demo seed --if-empty
exec python -m streamlit run streamlit_app.py "$@"
