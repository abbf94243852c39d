"""Fixtures for award notice tests: the workflow fixtures of the applications tests, and an awarded application."""

from decimal import Decimal

import pytest

from tests.applications.conftest import (  # noqa: F401  (fixtures, used by name)
    certificate_program,
    fixed_program,
    make_application,
    open_call,
    roles,
)


@pytest.fixture
def awarded(make_application):  # noqa: F811  (the imported fixture, requested by name)
    """An awarded application whose allocated amount is 132,000 yuan."""
    application = make_application("awarded")
    application.allocated_amount = Decimal("132000")
    application.save(update_fields=["allocated_amount"])
    application.refresh_from_db()
    return application
