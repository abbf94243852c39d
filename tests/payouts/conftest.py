# Reuse the workflow fixtures (roles, programs, the open call, make_application).
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from applications.models import Application
from tests.applications.conftest import *  # noqa: F403
from tests.factories import StaffFactory


@pytest.fixture
def finance2(roles):
    """A second finance officer, who approves what the first builds."""
    user = StaffFactory()
    user.groups.add(Group.objects.get(name="财务人员"))
    return user


@pytest.fixture
def make_awarded(make_application):
    """An awarded application with an allocated amount (as the allocation run leaves it)."""

    def make(amount: str = "300000.00"):
        application = make_application("awarded")
        Application.objects.filter(pk=application.pk).update(allocated_amount=Decimal(amount))
        application.refresh_from_db()
        return application

    return make
