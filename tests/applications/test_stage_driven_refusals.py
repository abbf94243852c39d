"""A stage-driven step cannot be taken by name anywhere a person acts: the API's generic transition endpoint, the
admin's transition page, the admin's bulk actions and the applicant's pages refuse it, for every role, and nothing
changes (state, events, award notice, performance report, publicity entries, payout lines). The same steps still
happen through their stage: tests/applications/test_workflow_matrix.py and each stage's own tests."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from applications import workflow
from applications.models import Application, ApplicationEvent
from applications.selectors import visible_applications
from evaluations.models import PerformanceReport
from notices.models import AwardNotice
from payouts.models import PayoutLine
from publicity.models import PublicityEntry
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

# Each stage-driven step, from a state where the state machine itself would allow it.
SOURCE = {
    "publish": "approved",
    "confirm": "in_publicity",
    "revoke": "in_publicity",
    "disburse": "awarded",
    "evaluate": "disbursed",
    "claw_back": "disbursed",
    "close": "evaluated",
}
ROLE_KEYS = ("owner", "other", "intake", "expert", "approver", "finance", "administrator")
STAFF_KEYS = ("intake", "expert", "approver", "finance", "administrator")
BODY = {"reason": "测试原因", "comment": "测试"}


def test_the_table_marks_exactly_these_steps_as_stage_driven():
    assert {step.name for step in workflow.STEPS if not step.person_driven} == set(SOURCE)
    assert workflow.PERSON_STEPS == ("submit", "withdraw", "accept", "return", "reject", "approve", "send_back")


def snapshot(application: Application) -> tuple:
    """Everything a stage-driven step would have changed."""
    row = Application.objects.get(pk=application.pk)
    return (
        row.state,
        row.state_changed_at,
        ApplicationEvent.objects.filter(application=application).count(),
        AwardNotice.objects.filter(application=application).count(),
        PerformanceReport.objects.filter(application=application).count(),
        PublicityEntry.objects.filter(application=application).count(),
        PayoutLine.objects.filter(application=application).count(),
    )


def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


@pytest.mark.parametrize("name", sorted(SOURCE))
def test_the_api_refuses_a_stage_driven_step_for_every_role(name, roles, make_application):
    application = make_application(SOURCE[name])
    before = snapshot(application)
    url = reverse("api:application-transitions", args=[application.pk])

    for key in ROLE_KEYS:
        response = api_as(roles[key]).post(url, {"name": name, **BODY}, format="json")

        if not visible_applications(roles[key]).filter(pk=application.pk).exists():
            assert response.status_code == 404, (name, key)  # not theirs to see, so not theirs to act on
        else:
            assert response.status_code == 409, (name, key, response.content)
            body = response.json()
            assert body["code"] == "transition_driven_by_stage"
            assert "请通过" in body["detail"]
        assert snapshot(application) == before, (name, key)


@pytest.mark.parametrize("name", sorted(SOURCE))
def test_the_admin_transition_page_refuses_a_stage_driven_step(name, client, roles, make_application):
    application = make_application(SOURCE[name])
    before = snapshot(application)
    url = reverse("admin:applications_application_transition", args=[application.pk, name])
    change = reverse("admin:applications_application_change", args=[application.pk])

    for key in STAFF_KEYS:
        client.force_login(roles[key])
        page = client.get(change)
        if page.status_code == 200:
            assert f'data-transition="{name}"' not in page.content.decode(), (name, key)
        for response in (client.get(url), client.post(url, BODY)):
            assert response.status_code in (302, 404), (name, key)
            if response.status_code == 302:
                messages = [str(m) for m in get_messages(response.wsgi_request)]
                assert any("请通过" in m for m in messages), (name, key, messages)
        assert snapshot(application) == before, (name, key)


def test_the_admin_offers_no_bulk_action_for_a_stage_driven_step(client, roles, make_application):
    application = make_application("approved")
    before = snapshot(application)
    changelist = reverse("admin:applications_application_changelist")

    for key in STAFF_KEYS:
        client.force_login(roles[key])
        page = client.get(changelist)
        action_form = page.context.get("action_form") if page.context else None
        actions = action_form.fields["action"].choices if action_form else []
        offered = {value for value, _label in actions}
        assert not offered & {f"{name}_selected" for name in SOURCE}, (key, offered)
        response = client.post(changelist, {"action": "publish_selected", "_selected_action": [application.pk]})
        assert response.status_code in (200, 302)
        assert snapshot(application) == before, key


@pytest.mark.parametrize("name", sorted(SOURCE))
def test_the_applicant_page_refuses_a_stage_driven_step(name, client, roles, make_application):
    application = make_application(SOURCE[name])
    before = snapshot(application)
    client.force_login(roles["owner"])

    response = client.post(reverse("applications:transition", args=[application.pk, name]), BODY)

    assert response.status_code == 302
    assert any("请通过" in str(m) for m in get_messages(response.wsgi_request))
    assert snapshot(application) == before


def test_the_api_lists_no_stage_driven_step_as_available(roles, make_application):
    application = make_application("approved")

    body = api_as(roles["approver"]).get(reverse("api:application-detail", args=[application.pk])).json()

    assert "publish" not in body["available_transitions"]
    assert body["available_transitions"] == ["reject"]


def test_the_applicant_does_not_see_the_internal_approval(client, roles, make_application):
    application = make_application("approved")
    client.force_login(roles["owner"])

    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    history = api_as(roles["owner"]).get(reverse("api:application-detail", args=[application.pk])).json()["events"]

    assert "审定通过" not in page and "受理" in page
    assert [event["name"] for event in history] == ["submit", "accept"]
