"""Compliance tracker for 臺北市政府社會局暨所屬機關應用移民資訊管理要點.

The package holds the domain model, the rules taken from the regulation, the
catalogue loader, the store, evidence inspection, services and the CLI.  It never
imports streamlit: the web app in ``streamlit_app.py`` and ``app_pages/`` is one
front door, ``python -m tracker`` is the other, both calling the same services.
"""

__version__ = "0.1.0"
