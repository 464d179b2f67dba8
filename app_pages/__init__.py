"""The web app's pages (one script per screen) and their shared helpers (``_*.py``)."""
