"""tests/stages.py walks through the real stages and refuses, rather than hides, what those stages would drag along."""

import pytest

from allocations.models import AllocationRun
from applications.models import Application
from payouts.models import PayoutBatch
from publicity.models import PublicityNotice
from tests import stages

pytestmark = pytest.mark.django_db


def test_an_application_meant_for_publicity_gets_a_call_of_its_own(make_application, open_call):
    approved = make_application("approved")
    awarded = make_application("awarded")

    assert approved.call == open_call
    assert awarded.call != open_call
    assert (awarded.call.year, set(awarded.call.programs.all())) == (open_call.year, set(open_call.programs.all()))
    assert Application.objects.get(pk=approved.pk).state == "approved"  # not dragged into publicity


def test_publishing_refuses_to_take_other_approved_applications_of_the_call_along(make_application, roles):
    first, second = make_application("approved"), make_application("approved")

    with pytest.raises(stages.StageError, match="also holds approved applications"):
        stages.walk(first, "in_publicity", roles)

    assert [Application.objects.get(pk=a.pk).state for a in (first, second)] == ["approved", "approved"]
    assert not PublicityNotice.objects.exists()
    walked = stages.walk(first, "in_publicity", roles, with_others=True)
    assert (walked.state, Application.objects.get(pk=second.pk).state) == ("in_publicity", "in_publicity")


def test_a_call_already_on_notice_cannot_publish_a_later_approval(make_application, roles, open_call):
    stages.walk(make_application("approved"), "in_publicity", roles)
    late = make_application("approved", call=open_call)

    with pytest.raises(stages.StageError, match="frozen"):
        stages.walk(late, "in_publicity", roles)


def test_the_close_job_is_not_run_when_it_would_confirm_another_notice(make_application, roles):
    waiting = make_application("in_publicity")
    other = make_application("in_publicity")

    with pytest.raises(stages.StageError, match="would also confirm"):
        stages.walk(other, "awarded", roles)

    assert Application.objects.get(pk=waiting.pk).state == "in_publicity"
    assert stages.walk(other, "awarded", roles, with_others=True).state == "awarded"
    assert Application.objects.get(pk=waiting.pk).state == "awarded"


def test_walking_several_of_one_call_shares_the_run_the_notice_and_the_batch(make_application, roles, open_call):
    approved = [make_application("approved") for _ in range(3)]

    walked = stages.walk_all(approved, "disbursed", roles)

    assert [a.state for a in walked] == ["disbursed"] * 3
    assert AllocationRun.objects.filter(call=open_call).count() == 1
    assert PublicityNotice.objects.get().entries.count() == 3
    assert PayoutBatch.objects.get().lines.count() == 3


def test_a_route_that_does_not_pass_through_the_state_is_refused(make_application, roles):
    rejected = make_application("rejected")

    with pytest.raises(stages.StageError, match="does not pass through"):
        stages.walk(rejected, "awarded", roles)


def test_staff_are_made_once_per_test_and_added_to_roles(roles):
    before = dict(roles)

    people = stages.staff(roles)

    assert people is roles
    assert {key: people[key] for key in before} == before
    assert people["finance2"] != people["finance"]
    assert people["finance2"].groups.get().name == people["finance"].groups.get().name
    assert stages.staff(roles)["finance2"] == people["finance2"]
