"""Every (state, transition, role) triple of SPEC §4: allowed ones succeed with exactly one event; refused ones
raise and change nothing."""

import pytest
from django.core.exceptions import PermissionDenied

from applications.models import ApplicationEvent, State
from core.exceptions import Conflict
from tests.applications.conftest import PATHS, take

pytestmark = pytest.mark.django_db

SOURCES = {
    "submit": {"draft", "returned"},
    "withdraw": {"draft", "submitted", "returned", "accepted"},
    "accept": {"submitted"},
    "return": {"submitted", "accepted"},
    "reject": {"submitted", "accepted", "approved"},
    "approve": {"accepted"},
    "publish": {"approved"},
    "confirm": {"in_publicity"},
    "revoke": {"in_publicity"},
    "disburse": {"awarded"},
    "evaluate": {"disbursed"},
    "claw_back": {"disbursed", "evaluated"},
    "close": {"evaluated", "clawback"},
}
TARGETS = {
    "submit": "submitted",
    "withdraw": "withdrawn",
    "accept": "accepted",
    "return": "returned",
    "reject": "rejected",
    "approve": "approved",
    "publish": "in_publicity",
    "confirm": "awarded",
    "revoke": "rejected",
    "disburse": "disbursed",
    "evaluate": "evaluated",
    "claw_back": "clawback",
    "close": "closed",
}
ALLOWED_ROLES = {
    "submit": {"owner"},
    "withdraw": {"owner"},
    "accept": {"intake"},
    "return": {"intake"},
    "reject": {"intake", "approver"},
    "approve": {"approver"},
    "publish": {"approver"},
    "confirm": {"approver"},
    "revoke": {"approver"},
    "disburse": {"finance"},
    "evaluate": {"intake", "approver"},
    "claw_back": {"approver"},
    "close": {"approver", "finance"},
}
ROLE_KEYS = ("owner", "other", "intake", "expert", "approver", "finance", "administrator")
STATES = [s.value for s in State]


def test_the_tables_cover_every_state_and_transition():
    assert set(PATHS) == set(STATES)
    assert set(SOURCES) == set(TARGETS) == set(ALLOWED_ROLES)


@pytest.mark.parametrize("state", STATES)
def test_every_transition_and_role_from_each_state(state, roles, make_application):
    refused_application = make_application(state)
    for name in SOURCES:
        for role in ROLE_KEYS:
            allowed = state in SOURCES[name] and role in ALLOWED_ROLES[name]
            if allowed:
                application = make_application(state)
                events_before = ApplicationEvent.objects.filter(application=application).count()

                result = take(application, name, roles[role])

                assert result.state == TARGETS[name], (state, name, role)
                events = ApplicationEvent.objects.filter(application=application).order_by("pk")
                assert events.count() == events_before + 1
                last = events.last()
                assert (last.name, last.from_state, last.to_state, last.actor) == (
                    name,
                    state,
                    TARGETS[name],
                    roles[role],
                )
            else:
                events_before = ApplicationEvent.objects.filter(application=refused_application).count()
                expected = Conflict if role in ALLOWED_ROLES[name] else PermissionDenied

                with pytest.raises(expected):
                    take(refused_application, name, roles[role])

                refused_application.refresh_from_db()
                assert refused_application.state == state, (state, name, role)
                assert ApplicationEvent.objects.filter(application=refused_application).count() == events_before


def test_the_publicity_job_confirms_as_the_system(make_application):
    from applications.services import confirm_application

    application = make_application("in_publicity")

    confirmed = confirm_application(application=application, actor=None)

    assert confirmed.state == "awarded"
    assert confirmed.events.last().actor is None
