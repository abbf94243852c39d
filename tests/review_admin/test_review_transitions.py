"""Transitions from the admin: the per-application button forms and the bulk actions, all through the services."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, ApplicationEvent

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:applications_application_changelist")


def transition_url(application, name: str) -> str:
    return reverse("admin:applications_application_transition", args=[application.pk, name])


def change_url(application) -> str:
    return reverse("admin:applications_application_change", args=[application.pk])


def events(application) -> list[tuple[str, str, str]]:
    return list(ApplicationEvent.objects.filter(application=application).values_list("name", "to_state", "comment"))


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def state_of(application) -> str:
    return Application.objects.get(pk=application.pk).state


def test_the_change_page_shows_the_buttons_the_user_may_take(client, roles, make_application):
    application = make_application("submitted")
    client.force_login(roles["intake"])

    page = client.get(change_url(application)).content.decode()

    for name in ("accept", "return", "reject"):
        assert f'data-transition="{name}"' in page
    for name in ("approve", "withdraw", "submit"):
        assert f'data-transition="{name}"' not in page
    assert application.organisation.uscc in page
    assert "培训企业数量" in page
    assert "真实性承诺" in page


def test_accept_through_the_button_form_writes_one_event(client, roles, make_application):
    application = make_application("submitted")
    before = len(events(application))
    client.force_login(roles["intake"])

    assert client.get(transition_url(application, "accept")).status_code == 200
    response = client.post(transition_url(application, "accept"), {"comment": "材料齐全"})

    assert response.status_code == 302
    assert response.url == change_url(application)
    assert state_of(application) == "accepted"
    assert events(application)[before:] == [("accept", "accepted", "材料齐全")]


def test_return_with_reason_and_due_date_writes_one_event(client, roles, make_application):
    application = make_application("submitted")
    before = len(events(application))
    due_on = timezone.localdate() + timedelta(days=7)
    client.force_login(roles["intake"])

    response = client.post(transition_url(application, "return"), {"reason": "缺少营业执照", "due_on": due_on})

    assert response.status_code == 302
    refreshed = Application.objects.get(pk=application.pk)
    assert (refreshed.state, refreshed.return_reason, refreshed.return_due_on) == ("returned", "缺少营业执照", due_on)
    assert events(application)[before:] == [("return", "returned", "缺少营业执照")]


def test_reject_with_a_reason_writes_one_event(client, roles, make_application):
    application = make_application("accepted")
    before = len(events(application))
    client.force_login(roles["approver"])

    response = client.post(transition_url(application, "reject"), {"reason": "不符合申报条件", "comment": ""})

    assert response.status_code == 302
    assert state_of(application) == "rejected"
    assert events(application)[before:] == [("reject", "rejected", "不符合申报条件")]


def test_a_return_without_a_due_date_shows_the_error_and_changes_nothing(client, roles, make_application):
    application = make_application("submitted")
    before = events(application)
    client.force_login(roles["intake"])

    response = client.post(transition_url(application, "return"), {"reason": "缺少营业执照"})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["due_on"]
    assert state_of(application) == "submitted"
    assert events(application) == before


def test_a_reject_without_a_reason_shows_the_error_and_changes_nothing(client, roles, make_application):
    application = make_application("submitted")
    before = events(application)
    client.force_login(roles["intake"])

    response = client.post(transition_url(application, "reject"), {"reason": "  "})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["reason"]
    assert state_of(application) == "submitted"
    assert events(application) == before


@pytest.mark.parametrize(
    ("state", "role", "name"),
    [
        ("accepted", "intake", "accept"),  # Conflict: not from this state
        ("submitted", "approver", "accept"),  # PermissionDenied: not the approver's transition
        ("accepted", "intake", "approve"),  # PermissionDenied
    ],
)
def test_refused_transitions_become_form_errors_not_500(client, roles, make_application, state, role, name):
    application = make_application(state)
    before = events(application)
    client.force_login(roles[role])

    response = client.post(transition_url(application, name), {"comment": ""})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert state_of(application) == state
    assert events(application) == before


def test_a_transition_not_available_redirects_with_a_message_on_get(client, roles, make_application):
    application = make_application("accepted")
    client.force_login(roles["intake"])

    response = client.get(transition_url(application, "accept"))

    assert response.status_code == 302
    assert len(messages_of(response)) == 1


@pytest.mark.parametrize("name", ["submit", "withdraw", "nonsense"])
def test_applicant_transitions_and_unknown_names_are_not_offered_in_the_admin(client, roles, make_application, name):
    application = make_application("submitted")
    client.force_login(roles["approver"])

    assert client.post(transition_url(application, name)).status_code == 404
    assert state_of(application) == "submitted"


# Each stage-driven transition from a state it leaves, by a role that sees the application there, and the stage the
# refusal must name (SPEC §4).
STAGE_DRIVEN = [
    ("approved", "publish", "approver", "公示"),
    ("in_publicity", "confirm", "approver", "公示"),
    ("in_publicity", "revoke", "approver", "公示"),
    ("awarded", "disburse", "finance", "拨付"),
    ("disbursed", "evaluate", "intake", "绩效"),
    ("disbursed", "claw_back", "approver", "绩效"),
    ("evaluated", "claw_back", "approver", "绩效"),
    ("evaluated", "close", "finance", "绩效"),
    ("clawback", "close", "approver", "绩效"),
]


def refusal_texts(response) -> list[str]:
    texts = messages_of(response)
    context = getattr(response, "context", None)
    if context is not None and "form" in context:
        texts += [str(e) for e in context["form"].non_field_errors()]
    return texts


@pytest.mark.parametrize(("state", "name", "role", "stage"), STAGE_DRIVEN)
def test_a_stage_driven_transition_is_refused_in_the_admin_and_changes_nothing(
    client, roles, make_application, state, name, role, stage
):
    # Given an application in the state the transition leaves, reached through the stages
    application = make_application(state)
    before = events(application)
    client.force_login(roles[role])

    # When the transition page is asked for it, and posted to
    shown = client.get(transition_url(application, name))
    posted = client.post(transition_url(application, name), {"reason": "异议成立", "comment": "试图绕过"})

    # Then it is not found, or refused with a message naming the stage where it happens; nothing changes
    for response in (shown, posted):
        assert response.status_code in (200, 302, 404), response.status_code
        if response.status_code != 404:
            assert any(stage in text for text in refusal_texts(response)), refusal_texts(response)
    assert state_of(application) == state
    assert events(application) == before


@pytest.mark.parametrize(
    ("state", "role"),
    [
        ("approved", "approver"),
        ("in_publicity", "approver"),
        ("awarded", "finance"),
        ("disbursed", "intake"),
        ("disbursed", "approver"),
        ("evaluated", "approver"),
        ("evaluated", "finance"),
        ("clawback", "approver"),
        ("clawback", "finance"),
    ],
)
def test_stage_driven_buttons_never_show_on_the_change_page(client, roles, make_application, state, role):
    application = make_application(state)
    client.force_login(roles[role])

    response = client.get(change_url(application))

    assert response.status_code == 200
    page = response.content.decode()
    for name in ("publish", "confirm", "revoke", "disburse", "evaluate", "claw_back", "close"):
        assert f'data-transition="{name}"' not in page, (state, role, name)
    if state == "approved":
        assert 'data-transition="reject"' in page  # the person-driven step still shows


def test_finance_cannot_reach_an_application_before_award(client, roles, make_application):
    application = make_application("submitted")
    client.force_login(roles["finance"])

    assert client.post(transition_url(application, "reject"), {"reason": "x"}).status_code == 404
    assert state_of(application) == "submitted"


# --- bulk actions ------------------------------------------------------------------------------


def act(client, action: str, applications, **data):
    payload = {"action": action, "index": "0", ACTION_CHECKBOX_NAME: [a.pk for a in applications], **data}
    # Posted from the list showing every application (the form posts to the list's own URL, filters included).
    return client.post(CHANGELIST + "?queue=all", payload)


def test_bulk_accept_reports_successes_and_failures_and_changes_only_valid_rows(client, roles, make_application):
    first, second = make_application("submitted"), make_application("submitted")
    returned = make_application("returned")
    draft = make_application("draft")
    client.force_login(roles["intake"])

    response = act(client, "accept_selected", [first, second, returned, draft])

    assert response.status_code == 302
    (message,) = messages_of(response)
    assert message.startswith("受理：2 成功；2 失败：")
    assert f"{returned.reference}：当前状态“退回补正”下不能受理" in message
    assert f"#{draft.pk}：" in message
    assert [state_of(a) for a in (first, second, returned, draft)] == ["accepted", "accepted", "returned", "draft"]
    assert [len(events(a)) for a in (first, second)] == [2, 2]


def test_bulk_accept_is_not_offered_to_the_approver(client, roles, make_application):
    application = make_application("submitted")
    client.force_login(roles["approver"])

    response = act(client, "accept_selected", [application])

    assert response.status_code == 302  # the admin says no action was selected and runs nothing
    assert not any(message.startswith("受理：") for message in messages_of(response))
    assert state_of(application) == "submitted"


def test_bulk_return_asks_for_reason_and_due_date_then_returns_the_valid_rows(client, roles, make_application):
    submitted, accepted = make_application("submitted"), make_application("accepted")
    rejected = make_application("rejected")
    selection = [submitted, accepted, rejected]
    client.force_login(roles["intake"])

    page = act(client, "return_selected", selection)
    missing_date = act(client, "return_selected", selection, apply="1", reason="材料不全")
    due_on = (timezone.localdate() + timedelta(days=5)).isoformat()
    done = act(client, "return_selected", selection, apply="1", reason="材料不全", due_on=due_on)

    assert page.status_code == 200
    assert "补正截止日期" in page.content.decode()
    assert missing_date.status_code == 200
    assert list(missing_date.context["form"].errors) == ["due_on"]
    assert done.status_code == 302
    (message,) = messages_of(done)
    assert message.startswith("退回补正：2 成功；1 失败：")
    assert rejected.reference in message
    assert [state_of(a) for a in selection] == ["returned", "returned", "rejected"]


def test_bulk_reject_needs_a_reason(client, roles, make_application):
    accepted, draft_like = make_application("accepted"), make_application("returned")
    client.force_login(roles["approver"])

    page = act(client, "reject_selected", [accepted, draft_like])
    done = act(client, "reject_selected", [accepted, draft_like], apply="1", reason="不符合条件")

    assert page.status_code == 200
    assert state_of(accepted) == "rejected"
    assert state_of(draft_like) == "returned"
    (message,) = messages_of(done)
    assert message.startswith("不予资助：1 成功；1 失败：")


def test_bulk_approve_by_the_approver(client, roles, make_application):
    first, second, submitted = make_application("accepted"), make_application("accepted"), make_application("submitted")
    client.force_login(roles["approver"])

    response = act(client, "approve_selected", [first, second, submitted])

    (message,) = messages_of(response)
    assert message.startswith("审定通过：2 成功；1 失败：")
    assert [state_of(a) for a in (first, second, submitted)] == ["approved", "approved", "submitted"]


def test_the_change_page_lists_the_applications_events(client, roles, make_application):
    application = make_application("accepted")
    client.force_login(roles["intake"])

    response = client.get(change_url(application))

    formset = next(f for f in response.context["inline_admin_formsets"] if f.formset.model is ApplicationEvent)
    shown = [form.original.name for form in formset]
    assert shown == ["submit", "accept"]
    page = response.content.decode()
    assert "流转记录" in page
    assert "受理" in page
