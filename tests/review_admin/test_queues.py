"""我的待办: the admin index counts each queue of the user's role; each links to a list with that many rows."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from programs.models import ReviewTrack, VerificationItem
from review.models import ExpertAssignment
from review.services import record_verification

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
CHANGELIST = reverse("admin:applications_application_changelist")
QUEUE = re.compile(
    r'<a href="([^"]+)" class="queue-link[^"]*"><span class="queue-label">([^<]+)</span>'
    r'<strong class="queue-count">(\d+)</strong>'
)


def queues_on_index(client, user) -> dict[str, tuple[int, str]]:
    client.force_login(user)
    page = client.get(INDEX).content.decode()
    return {label: (int(count), url.replace("&amp;", "&")) for url, label, count in QUEUE.findall(page)}


def rows_of(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    return response.context["cl"].result_count


@pytest.fixture
def day(make_application, fixed_program):
    """Two submitted, an accepted 核准制 one with an open checklist item, a late correction, a fresh one."""
    VerificationItem.objects.create(program=fixed_program, text="营业执照与申报单位一致", sort_order=1)
    assert fixed_program.review_track == ReviewTrack.VERIFICATION
    submitted = [make_application("submitted") for _ in range(2)]
    accepted = make_application("accepted")
    late = make_application("returned")
    fresh = make_application("returned")
    Application.objects.filter(pk=late.pk).update(return_due_on=timezone.localdate() - timedelta(days=1))
    return {"submitted": submitted, "accepted": accepted, "late": late, "fresh": fresh}


def test_the_intake_officers_index_counts_each_queue_and_each_link_lists_that_many(client, roles, day):
    queues = queues_on_index(client, roles["intake"])

    assert {label: count for label, (count, _url) in queues.items()} == {"待受理": 2, "待核实": 1, "补正逾期": 1}
    for count, url in queues.values():
        assert rows_of(client, url) == count


def test_a_checklist_recorded_as_passed_leaves_the_verify_queue(client, roles, day, fixed_program):
    item = VerificationItem.objects.get(program=fixed_program)
    record_verification(application=day["accepted"], actor=roles["intake"], results={item.pk: (True, "一致")})

    assert queues_on_index(client, roles["intake"])["待核实"][0] == 0


def test_the_approvers_index_counts_what_waits_for_approval_and_objections(client, roles, day):
    queues = queues_on_index(client, roles["approver"])

    assert {label: count for label, (count, _url) in queues.items()} == {"待审定": 1, "异议待处理": 0}
    for count, url in queues.values():
        assert rows_of(client, url) == count


def test_the_experts_index_counts_the_assignments_still_to_score(client, roles, day):
    ExpertAssignment.objects.create(application=day["accepted"], expert=roles["expert"], assigned_by=roles["approver"])

    queues = queues_on_index(client, roles["expert"])

    assert queues["待评审"][0] == 1
    assert rows_of(client, queues["待评审"][1]) == 1


def test_the_finance_officers_index_counts_batches_to_review(client, roles, day):
    queues = queues_on_index(client, roles["finance"])

    assert queues["待复核批次"] == (0, reverse("admin:payouts_payoutbatch_changelist") + "?status__exact=draft")


def test_the_finance_officers_index_counts_the_awarded_applications_no_batch_holds_yet(client, roles, make_application):
    from payouts import services as payouts

    awarded = [make_application("awarded") for _ in range(2)]
    queues = queues_on_index(client, roles["finance"])
    assert list(queues) == ["待纳入拨付批次", "待复核批次"]
    assert queues["待纳入拨付批次"][0] == 2 == rows_of(client, queues["待纳入拨付批次"][1])

    payouts.create_batch(actor=roles["finance"], applications=[awarded[0]])

    queues = queues_on_index(client, roles["finance"])
    assert queues["待纳入拨付批次"][0] == 1 == rows_of(client, queues["待纳入拨付批次"][1])
    assert queues["待复核批次"][0] == 1


def test_the_list_opens_on_the_roles_queue_and_the_officer_can_clear_it(client, roles, day):
    client.force_login(roles["intake"])

    default = client.get(CHANGELIST)
    everything = client.get(CHANGELIST + "?queue=all")

    assert {a.pk for a in default.context["cl"].result_list} == {a.pk for a in day["submitted"]}
    assert "?queue=all" in default.content.decode()  # the 全部申报 choice
    assert everything.context["cl"].result_count == 5
    page = default.content.decode()
    assert "提交时间" in page and "本状态天数" in page
    assert 'class="org-name"' in page


def test_an_unknown_queue_lists_nothing_instead_of_failing(client, roles, day):
    client.force_login(roles["intake"])

    response = client.get(CHANGELIST + "?queue=nonsense")

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_index_and_the_queue_lists_cost_the_same_queries_at_10_and_500_applications(
    client, roles, make_application
):
    def add(n: int) -> None:
        for _ in range(n):
            make_application("submitted")

    add(10)
    client.force_login(roles["intake"])
    with_10 = (
        count_queries(client, INDEX),
        count_queries(client, CHANGELIST),
        count_queries(client, CHANGELIST + "?queue=all"),
    )
    add(490)
    with_500 = (
        count_queries(client, INDEX),
        count_queries(client, CHANGELIST),
        count_queries(client, CHANGELIST + "?queue=all"),
    )

    assert Application.objects.count() == 500
    assert queues_on_index(client, roles["intake"])["待受理"][0] == 500
    assert with_500 == with_10
