"""The browser test shares the app tests' seeded demo folder (seeding once per session)."""

from tests.app.conftest import demo_root  # noqa: F401  (a session fixture, re-exported)
