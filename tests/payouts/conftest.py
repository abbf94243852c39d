# Reuse the workflow fixtures (roles, programs, the open call, make_application).
from decimal import Decimal

import pytest

from applications.models import Application
from tests import stages
from tests.applications.conftest import *  # noqa: F403


@pytest.fixture
def finance2(roles):
    """A second finance officer, who approves what the first builds (the one tests.stages uses for payouts)."""
    return stages.staff(roles)["finance2"]


@pytest.fixture
def make_awarded(make_application):
    """An awarded application (allocated, published, confirmed by the close job) with the allocated amount given.

    The allocation run gives every application its 300,000 yuan standard amount; another amount is then written
    over it, as a rerun under a smaller budget would have left it.
    """

    def make(amount: str = "300000.00"):
        application = make_application("awarded")
        Application.objects.filter(pk=application.pk).update(allocated_amount=Decimal(amount))
        application.refresh_from_db()
        return application

    return make
