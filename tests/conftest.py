"""Fixtures shared by the whole suite."""

import pytest
from django.db import connection, connections
from hypothesis import settings as hypothesis_settings

# Property tests check rules, not speed: no per-example deadline (Hypothesis's default of 200 ms failed a rule
# test on a machine busy with the other test processes).
hypothesis_settings.register_profile("portal", deadline=None)
hypothesis_settings.load_profile("portal")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``postgres`` when the suite runs on SQLite, saying why."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks, real threads): set DATABASE_URL, as .ci/run does")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Keep uploaded files of each test in its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def password() -> str:
    return "correct-horse-battery-9"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Close every pooled connection before the test database is dropped.

    Live-server tests (the browser journey, the accessibility audit) run requests in another thread, whose
    PostgreSQL connections stay idle in psycopg's pool; without this, dropping the test database fails with
    "is being accessed by other users".
    """
    yield
    with django_db_blocker.unblock():
        for alias in connections:
            conn = connections[alias]
            conn.close()
            if hasattr(conn, "close_pool"):
                conn.close_pool()
