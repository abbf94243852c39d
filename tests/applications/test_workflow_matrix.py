"""Every (state, transition, role) triple of SPEC §4 through the generic entry ``run_transition``.

Person-driven transitions: allowed triples succeed with exactly one event; refused ones raise and change nothing.
Stage-driven transitions: refused for every role and state with Conflict ``transition_driven_by_stage``, before any
permission or state check, changing nothing; each still happens through the service of its stage.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from applications.models import ApplicationEvent, State
from core.exceptions import Conflict
from evaluations import services as evaluation_services
from publicity.services import close_ended_notices
from tests import stages
from tests.applications.conftest import PATHS, take

pytestmark = pytest.mark.django_db

PERSON_SOURCES = {
    "submit": {"draft", "returned"},
    "withdraw": {"draft", "submitted", "returned", "accepted"},
    "accept": {"submitted"},
    "return": {"submitted", "accepted"},
    "reject": {"submitted", "accepted", "approved"},
    "approve": {"accepted"},
    "send_back": {"accepted"},
}
PERSON_TARGETS = {
    "submit": "submitted",
    "withdraw": "withdrawn",
    "accept": "accepted",
    "return": "returned",
    "reject": "rejected",
    "approve": "approved",
    "send_back": "submitted",
}
ALLOWED_ROLES = {
    "submit": {"owner"},
    "withdraw": {"owner"},
    "accept": {"intake"},
    "return": {"intake"},
    "reject": {"intake", "approver"},
    "approve": {"approver"},
    "send_back": {"approver"},
}
# Each stage-driven transition, and the stage the refusal must point to (SPEC §4: "a message naming where it happens").
STAGE_DRIVEN = {
    "publish": "公示",
    "confirm": "公示",
    "revoke": "公示",
    "disburse": "拨付",
    "evaluate": "绩效",
    "claw_back": "绩效",
    "close": "绩效",
}
ROLE_KEYS = ("owner", "other", "intake", "expert", "approver", "finance", "administrator")
STATES = [s.value for s in State]


def events_of(application) -> int:
    return ApplicationEvent.objects.filter(application=application).count()


def last_event(application):
    return ApplicationEvent.objects.filter(application=application).order_by("pk").last()


def test_the_tables_cover_every_state_and_transition():
    assert set(PATHS) == set(STATES)
    assert set(PERSON_SOURCES) == set(PERSON_TARGETS) == set(ALLOWED_ROLES) == set(stages.PERSON_STEPS)
    assert set(STAGE_DRIVEN) == set(stages.STAGE_STEPS)
    assert not set(PERSON_SOURCES) & set(STAGE_DRIVEN)
    # Every step on the way to any state is one of the two kinds.
    assert {step for route in PATHS.values() for step in route} <= set(PERSON_SOURCES) | set(STAGE_DRIVEN)


@pytest.mark.parametrize("state", STATES)
def test_every_person_driven_transition_and_role_from_each_state(state, roles, make_application):
    refused_application = make_application(state)
    for name in PERSON_SOURCES:
        for role in ROLE_KEYS:
            allowed = state in PERSON_SOURCES[name] and role in ALLOWED_ROLES[name]
            if allowed:
                application = make_application(state)
                events_before = events_of(application)

                result = take(application, name, roles[role])

                assert result.state == PERSON_TARGETS[name], (state, name, role)
                assert events_of(application) == events_before + 1
                last = last_event(application)
                assert (last.name, last.from_state, last.to_state, last.actor) == (
                    name,
                    state,
                    PERSON_TARGETS[name],
                    roles[role],
                )
            else:
                events_before = events_of(refused_application)
                expected = Conflict if role in ALLOWED_ROLES[name] else PermissionDenied

                with pytest.raises(expected) as raised:
                    take(refused_application, name, roles[role])

                if expected is Conflict:
                    assert raised.value.code == "transition_not_allowed", (state, name, role)
                refused_application.refresh_from_db()
                assert refused_application.state == state, (state, name, role)
                assert events_of(refused_application) == events_before


@pytest.mark.parametrize("state", STATES)
def test_every_stage_driven_transition_is_refused_by_the_generic_entry_for_every_role(state, roles, make_application):
    # Given an application in ``state`` (reached through the stages)
    application = make_application(state)
    events_before = events_of(application)
    actors = {**{role: roles[role] for role in ROLE_KEYS}, "system": None}

    for name, stage in STAGE_DRIVEN.items():
        for role, actor in actors.items():
            # When anyone, the system included, asks the generic entry for a stage's transition
            with pytest.raises(Conflict) as raised:
                take(application, name, actor)

            # Then it is refused as driven by its stage, whatever the role or state, and nothing changes
            assert raised.value.code == "transition_driven_by_stage", (state, name, role)
            assert stage in raised.value.message, (state, name, role, raised.value.message)
            application.refresh_from_db()
            assert application.state == state, (state, name, role)
            assert events_of(application) == events_before, (state, name, role)


# --- Each stage-driven transition still happens, through its stage ---------------------------------------------


def assert_one_new_event(application, events_before: int, name: str, from_state: str, to_state: str, actor):
    application.refresh_from_db()
    assert application.state == to_state
    assert events_of(application) == events_before + 1
    last = last_event(application)
    assert (last.name, last.from_state, last.to_state, last.actor) == (name, from_state, to_state, actor)


def test_publish_happens_by_opening_a_publicity_notice(roles, make_application):
    application = make_application("approved")
    before = events_of(application)

    notice = stages.publish([application], roles)

    assert list(notice.entries.values_list("application_id", flat=True)) == [application.pk]
    assert_one_new_event(application, before, "publish", "approved", "in_publicity", roles["approver"])


def test_the_publicity_job_confirms_as_the_system(make_application):
    application = make_application("in_publicity")
    notice = application.publicity_entry.notice
    before = events_of(application)

    counts = close_ended_notices(today=notice.ends_on + timedelta(days=1))

    assert (counts["confirmed"], counts["closed"]) == (1, 1)
    assert_one_new_event(application, before, "confirm", "in_publicity", "awarded", None)


def test_revoke_happens_by_upholding_an_objection(roles, make_application):
    application = make_application("in_publicity")
    before = events_of(application)

    stages.uphold_objection(application, roles, reason="异议成立：业绩材料不实")

    assert_one_new_event(application, before, "revoke", "in_publicity", "rejected", roles["approver"])
    assert application.decision_reason == "异议成立：业绩材料不实"


def test_disburse_happens_through_a_paid_line_of_an_approved_batch(roles, make_application):
    application = make_application("awarded")
    before = events_of(application)

    batch = stages.pay([application], roles)

    assert (batch.created_by, batch.approved_by) == (roles["finance"], roles["finance2"])
    assert_one_new_event(application, before, "disburse", "awarded", "disbursed", roles["finance"])


def test_evaluate_happens_by_grading_the_report_as_passed(roles, make_application):
    application = make_application("disbursed")
    before = events_of(application)

    stages.evaluate(application, roles, grade="qualified")

    assert_one_new_event(application, before, "evaluate", "disbursed", "evaluated", roles["intake"])
    assert application.performance_report.grade == "qualified"


def test_evaluate_happens_without_a_report_where_the_program_wants_none(roles, make_application, fixed_program):
    fixed_program.report_required = False
    fixed_program.save(update_fields=["report_required"])
    application = make_application("disbursed")
    before = events_of(application)

    evaluation_services.complete_without_report(application=application, actor=roles["approver"])

    assert_one_new_event(application, before, "evaluate", "disbursed", "evaluated", roles["approver"])


@pytest.mark.parametrize(("state", "how"), [("disbursed", "failed_report"), ("evaluated", "fraud")])
def test_claw_back_happens_on_a_failed_report_or_fraud(roles, make_application, state, how):
    application = make_application(state)
    before = events_of(application)

    clawback = stages.claw_back(application, roles, how=how)

    assert_one_new_event(application, before, "claw_back", state, "clawback", roles["approver"])
    assert clawback.application_id == application.pk
    assert clawback.sanction.organisation_id == application.organisation_id


@pytest.mark.parametrize("by", ["finance", "approver"])
def test_close_happens_when_the_clawback_is_repaid(roles, make_application, by):
    application = make_application("clawback")
    before = events_of(application)

    stages.repay(application, roles, by=by)

    assert_one_new_event(application, before, "close", "clawback", "closed", roles[by])


@pytest.mark.parametrize("state", ["in_publicity", "awarded", "disbursed", "evaluated", "clawback", "closed"])
def test_later_states_are_reached_only_through_the_stages(make_application, state):
    application = make_application(state)

    names = list(application.events.order_by("pk").values_list("name", "actor_id"))

    assert [name for name, _ in names] == list(PATHS[state])
    if "confirm" in PATHS[state]:
        assert [actor for name, actor in names if name == "confirm"] == [None]  # the close job, not a person
