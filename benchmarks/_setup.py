"""Shared set-up for benchmark scripts: Django with a throwaway test database (SQLite, or DATABASE_URL)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_with_test_database() -> object:
    """Configure Django and create a fresh test database; return a callable that drops it."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)

    def teardown() -> None:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    return teardown
