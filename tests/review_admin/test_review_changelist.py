"""The review workspace list: scoped per role, filtered, and a constant number of queries as rows grow."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from review.models import ExpertAssignment
from tests import stages

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:applications_application_changelist")


def listed(client, user, query: str = "?queue=all") -> set[str]:
    """The references on the list (every application the user may see unless ``query`` says otherwise)."""
    client.force_login(user)
    response = client.get(CHANGELIST + query)
    assert response.status_code == 200
    return {application.reference for application in response.context["cl"].result_list}


@pytest.fixture
def queue(make_application):
    return {state: make_application(state) for state in ("draft", "submitted", "accepted", "awarded")}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("intake", {"submitted", "accepted", "awarded"}),
        ("approver", {"submitted", "accepted", "awarded"}),
        ("finance", {"awarded"}),
        ("expert", set()),
    ],
)
def test_each_role_sees_only_its_queue(client, roles, queue, role, expected):
    assert listed(client, roles[role]) == {queue[state].reference for state in expected}


def test_an_expert_sees_only_assigned_applications(client, roles, queue):
    ExpertAssignment.objects.create(
        application=queue["accepted"], expert=roles["expert"], no_conflict_confirmed_at=timezone.now()
    )

    assert listed(client, roles["expert"]) == {queue["accepted"].reference}


@pytest.mark.parametrize("role", ["owner", "other"])
def test_applicants_are_sent_to_the_admin_login(client, roles, queue, role):
    client.force_login(roles[role])

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_the_list_shows_the_columns_that_matter(client, roles, queue):
    client.force_login(roles["intake"])

    page = client.get(CHANGELIST + "?queue=all").content.decode()

    accepted = queue["accepted"]
    assert accepted.reference in page
    assert accepted.organisation.name in page
    assert "已受理（审核中）" in page
    assert "300,000.00" in page


def test_search_finds_by_reference_name_and_uscc(client, roles, queue):
    submitted = queue["submitted"]
    for term in (submitted.reference, submitted.organisation.uscc):
        assert submitted.reference in listed(client, roles["intake"], f"?queue=all&q={term}")
    assert listed(client, roles["intake"], "?queue=all&q=ZLPP-0000-999999") == set()


def test_the_overdue_filter_finds_late_corrections_and_long_waiting_submissions(client, roles, make_application):
    waiting = make_application("submitted")
    fresh = make_application("submitted")
    late = make_application("returned")
    Application.objects.filter(pk=waiting.pk).update(state_changed_at=timezone.now() - timedelta(days=11))
    Application.objects.filter(pk=late.pk).update(return_due_on=timezone.localdate() - timedelta(days=1))

    assert listed(client, roles["intake"], "?queue=all&overdue=any") == {waiting.reference, late.reference}
    assert listed(client, roles["intake"], "?queue=all&overdue=intake") == {waiting.reference}
    assert listed(client, roles["intake"], "?queue=all&overdue=return") == {late.reference}
    assert fresh.reference in listed(client, roles["intake"])


def test_filters_by_state_and_review_track(client, roles, queue):
    assert listed(client, roles["intake"], "?queue=all&state__exact=accepted") == {queue["accepted"].reference}
    assert listed(client, roles["intake"], "?queue=all&program__review_track__exact=expert_review") == set()


def count_changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(context.captured_queries)


ROLES = ("intake", "approver", "finance", "expert")


def test_the_changelist_costs_the_same_queries_for_10_and_200_applications(client, roles, make_application, open_call):
    # Awarded rows are visible to every list role; the expert is assigned to each. Each lot is a call of its own,
    # allocated, published and confirmed at once through the stages.
    def add(n: int) -> None:
        call = stages.own_call(open_call)
        approved = [make_application("approved", call=call) for _ in range(n)]
        for application in stages.walk_all(approved, "awarded", roles):
            ExpertAssignment.objects.create(
                application=application, expert=roles["expert"], no_conflict_confirmed_at=timezone.now()
            )

    add(10)
    with_10 = {}
    for role in ROLES:
        client.force_login(roles[role])
        with_10[role] = count_changelist_queries(client)
    add(190)

    with_200 = {}
    for role in ROLES:
        client.force_login(roles[role])
        with_200[role] = count_changelist_queries(client)

    assert Application.objects.count() == 200
    assert with_200 == with_10
