"""The approver sends an application back to intake; the applicant hears once per state it can see."""

import pytest
from django.core.exceptions import ValidationError

from applications import services
from applications.models import Application, ApplicationEvent, Notification
from applications.tasks import notify_applicant_task
from tests.applications.conftest import take

pytestmark = pytest.mark.django_db


def test_the_approver_sends_an_accepted_application_back_to_intake_with_a_reason(roles, make_application):
    application = make_application("accepted")

    services.run_transition(
        application=application, actor=roles["approver"], name="send_back", reason="核实事项未通过，请重新审查"
    )

    application.refresh_from_db()
    assert application.state == "submitted"
    event = ApplicationEvent.objects.filter(application=application).latest("pk")
    assert (event.name, event.from_state, event.to_state, event.comment, event.actor) == (
        "send_back",
        "accepted",
        "submitted",
        "核实事项未通过，请重新审查",
        roles["approver"],
    )
    assert event.label == "退回受理复核"


def test_sending_back_without_a_reason_is_refused_and_changes_nothing(roles, make_application):
    application = make_application("accepted")
    before = ApplicationEvent.objects.filter(application=application).count()

    with pytest.raises(ValidationError) as refused:
        services.run_transition(application=application, actor=roles["approver"], name="send_back", reason=" ")

    assert refused.value.error_dict["reason"][0].code == "reason_required"
    assert Application.objects.get(pk=application.pk).state == "accepted"
    assert ApplicationEvent.objects.filter(application=application).count() == before


def test_accept_then_approve_tells_the_applicant_once_that_it_is_under_review(
    roles, make_application, django_capture_on_commit_callbacks
):
    application = make_application("submitted")

    with django_capture_on_commit_callbacks(execute=True):
        take(application, "accept", roles["intake"])
        take(application, "approve", roles["approver"])
    approve = application.events.get(name="approve")

    titles = list(
        Notification.objects.filter(application=application, user=roles["owner"]).values_list("title", flat=True)
    )
    assert [t for t in titles if "审核中" in t] == [titles[-1]]
    assert len([t for t in titles if "审核中" in t]) == 1
    # Even when queued for the approval, the task sends nothing: the applicant still reads 审核中.
    assert notify_applicant_task(event_id=approve.pk) == 0


def test_a_send_back_and_a_second_accept_do_not_repeat_the_under_review_notice(
    roles, make_application, django_capture_on_commit_callbacks
):
    application = make_application("submitted")
    with django_capture_on_commit_callbacks(execute=True):
        take(application, "accept", roles["intake"])
    before = Notification.objects.filter(application=application, user=roles["owner"]).count()
    assert before == 1

    with django_capture_on_commit_callbacks(execute=True):
        take(application, "send_back", roles["approver"])
        take(application, "accept", roles["intake"])

    assert Notification.objects.filter(application=application, user=roles["owner"]).count() == before


def test_a_return_after_acceptance_is_told_because_the_visible_state_changes(
    roles, make_application, django_capture_on_commit_callbacks
):
    application = make_application("accepted")

    with django_capture_on_commit_callbacks(execute=True):
        take(application, "return", roles["intake"])

    latest = Notification.objects.filter(application=application, user=roles["owner"]).latest("pk")
    assert "待补正" in latest.title
