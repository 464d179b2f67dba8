"""The app tests' fixtures (a private copy of the demo folder, a store on it), shared here."""

from tests.app.conftest import app_settings, store  # noqa: F401  (fixtures, found by name)
