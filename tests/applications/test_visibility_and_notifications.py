import pytest
from django.http import Http404
from django.utils import timezone

from applications import selectors
from applications.models import Notification
from applications.tasks import notify_applicant_task
from review.models import ExpertAssignment
from tests.applications.conftest import take

pytestmark = pytest.mark.django_db


def visible(user) -> set[str]:
    return set(selectors.visible_applications(user).values_list("state", flat=True))


def test_each_role_sees_the_applications_its_work_needs(roles, make_application):
    states = ["draft", "submitted", "accepted", "awarded", "disbursed", "withdrawn"]
    apps = {state: make_application(state) for state in states}
    never_submitted = apps["withdrawn"]  # withdrawn straight from draft
    assigned = apps["accepted"]
    ExpertAssignment.objects.create(
        application=assigned, expert=roles["expert"], no_conflict_confirmed_at=timezone.now()
    )

    assert visible(roles["owner"]) == set(states)
    assert visible(roles["other"]) == set()
    assert visible(roles["intake"]) == {"submitted", "accepted", "awarded", "disbursed"}
    assert visible(roles["approver"]) == {"submitted", "accepted", "awarded", "disbursed"}
    assert visible(roles["finance"]) == {"awarded", "disbursed"}
    assert list(selectors.visible_applications(roles["expert"])) == [assigned]
    assert never_submitted.submitted_at is None


@pytest.mark.parametrize("role", ["other", "expert", "finance"])
def test_get_application_is_404_for_what_is_not_yours(roles, make_application, role):
    application = make_application("submitted")

    with pytest.raises(Http404):
        selectors.get_application(roles[role], application.pk)


def test_a_transition_notifies_every_member_once_in_the_portal_and_by_email(
    roles, make_application, django_capture_on_commit_callbacks, mailoutbox
):
    from tests.factories import MembershipFactory

    application = make_application("submitted")
    colleague = MembershipFactory(organisation=application.organisation, role="handler").user
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        take(application, "return", roles["intake"])

    notices = Notification.objects.filter(application=application).order_by("user_id")
    assert {n.user for n in notices} == {roles["owner"], colleague}
    assert all("待补正" in n.title for n in notices)
    assert "营业执照扫描件不清晰" in notices[0].body
    assert sorted(m.to[0] for m in mailoutbox) == sorted([roles["owner"].email, colleague.email])
    assert selectors.unread_notification_count(roles["owner"]) == 1


def test_the_notification_task_run_twice_sends_nothing_twice(roles, make_application, mailoutbox):
    application = make_application("submitted")
    event = application.events.get(name="submit")
    Notification.objects.filter(event=event).delete()
    mailoutbox.clear()

    first = notify_applicant_task(event_id=event.pk)
    second = notify_applicant_task(event_id=event.pk)

    assert (first, second) == (1, 0)
    assert len(mailoutbox) == 1
    assert Notification.objects.filter(event=event).count() == 1


def test_the_notification_task_ignores_a_vanished_event():
    assert notify_applicant_task(event_id=999999) == 0
