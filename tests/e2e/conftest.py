"""The browser test uses the session demo folder seeded in tests/conftest.py (``demo_root``)."""
