"""Fixtures for publicity tests: the workflow fixtures, an allocated call and an open notice."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from allocations.models import RunStatus
from allocations.services import start_allocation
from programs.models import ProgramBudget
from publicity.services import open_publicity_notice
from tests.applications.conftest import *  # noqa: F403


@pytest.fixture(autouse=True)
def _empty_cache():
    """The web page's rate limit counts in the cache: start every test from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def allocate(roles, django_capture_on_commit_callbacks):
    """Run an allocation of a call to the end (the eager task runs on commit)."""

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            started = start_allocation(call=call, actor=roles["approver"])
        started.refresh_from_db()
        assert started.status == RunStatus.DONE, started.error
        return started

    return run


@pytest.fixture
def approved_pair(make_application, fixed_program, open_call):
    """Two approved applications of 30万 each under a budget of 50万: each is allocated 25万."""
    ProgramBudget.objects.create(program=fixed_program, year=open_call.year, amount=Decimal("500000.00"))
    return [make_application("approved"), make_application("approved")]


@pytest.fixture
def notice(approved_pair, open_call, roles, allocate):
    """An open notice of the two approved applications (opened today)."""
    allocate(open_call)
    return open_publicity_notice(call=open_call, actor=roles["approver"])
