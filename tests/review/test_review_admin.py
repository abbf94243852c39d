"""The review pages in the admin: 我的评审任务, the expert's review page, the checklist and the assignment views."""

from decimal import Decimal

import pytest
from django.urls import reverse

from review.models import ExpertAssignment, ExpertScore, VerificationCheck
from review.services import assign_experts, confirm_no_conflict
from tests.review.conftest import criteria_ids, item_ids

CONTENT_MARKER = "培训企业数量"  # a performance target of the fixture application: part of its content


def assign(application, expert, approver) -> ExpertAssignment:
    (outcome,) = assign_experts(applications=[application], experts=[expert], actor=approver)
    return outcome.assignment


def review_url(assignment) -> str:
    return reverse("admin:review_expertassignment_review", args=[assignment.pk])


def test_an_experts_list_shows_only_their_own_assignments(client, make_application, expert_program, roles, make_expert):
    mine = make_application("accepted", program=expert_program)
    theirs = make_application("accepted", program=expert_program)
    assign(mine, roles["expert"], roles["approver"])
    assign(theirs, make_expert(), roles["approver"])
    client.force_login(roles["expert"])

    response = client.get(reverse("admin:review_expertassignment_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "我的评审任务" in page
    assert mine.reference in page
    assert theirs.reference not in page
    assert response.context["cl"].result_count == 1


def test_an_approvers_list_shows_every_assignment(client, make_application, expert_program, roles, make_expert):
    application = make_application("accepted", program=expert_program)
    assign(application, roles["expert"], roles["approver"])
    assign(application, make_expert(), roles["approver"])
    client.force_login(roles["approver"])

    response = client.get(reverse("admin:review_expertassignment_changelist"))

    assert response.context["cl"].result_count == 2


@pytest.mark.parametrize(
    ("who", "get_status", "post_status"), [("assigned", 200, 302), ("other_expert", 404, 404), ("approver", 404, 404)]
)
def test_only_the_assigned_expert_opens_the_review_page(
    client, make_application, expert_program, roles, make_expert, who, get_status, post_status
):
    assignment = assign(make_application("accepted", program=expert_program), roles["expert"], roles["approver"])
    user = {"assigned": roles["expert"], "other_expert": make_expert(), "approver": roles["approver"]}[who]
    client.force_login(user)

    assert client.get(review_url(assignment)).status_code == get_status
    assert client.post(review_url(assignment), {"action": "confirm"}).status_code == post_status
    assignment.refresh_from_db()
    assert assignment.is_confirmed is (who == "assigned")


def test_anonymous_users_are_sent_to_the_login_page(client, make_application, expert_program, roles):
    assignment = assign(make_application("accepted", program=expert_program), roles["expert"], roles["approver"])

    response = client.get(review_url(assignment))

    assert response.status_code == 302
    assert "/login/" in response.url


def test_before_confirming_the_expert_sees_only_reference_and_organisation(
    client, make_application, expert_program, roles
):
    application = make_application("accepted", program=expert_program)
    assignment = assign(application, roles["expert"], roles["approver"])
    client.force_login(roles["expert"])

    page = client.get(review_url(assignment)).content.decode()

    assert application.reference in page
    assert application.organisation.name in page
    assert "确认无利益冲突" in page
    assert CONTENT_MARKER not in page
    assert 'id="score-form"' not in page


def test_after_confirming_the_expert_sees_the_content_and_the_scoring_form(
    client, make_application, expert_program, roles
):
    application = make_application("accepted", program=expert_program)
    assignment = assign(application, roles["expert"], roles["approver"])
    client.force_login(roles["expert"])

    response = client.post(review_url(assignment), {"action": "confirm"})
    page = client.get(review_url(assignment)).content.decode()

    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.no_conflict_confirmed_at is not None
    assert CONTENT_MARKER in page
    assert 'id="score-form"' in page


def test_scoring_through_the_page_saves_the_scores(client, make_application, expert_program, roles):
    application = make_application("accepted", program=expert_program)
    assignment = assign(application, roles["expert"], roles["approver"])
    confirm_no_conflict(assignment=assignment, actor=roles["expert"])
    innovation_id, feasibility_id = criteria_ids(expert_program)
    client.force_login(roles["expert"])

    response = client.post(
        review_url(assignment),
        {
            "action": "submit",
            f"score_{innovation_id}": "80",
            f"comment_{innovation_id}": "好",
            f"score_{feasibility_id}": "15",
        },
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.score == Decimal("78.00")


def test_an_out_of_range_score_on_the_page_is_shown_beside_its_field_and_nothing_saved(
    client, make_application, expert_program, roles
):
    application = make_application("accepted", program=expert_program)
    assignment = assign(application, roles["expert"], roles["approver"])
    confirm_no_conflict(assignment=assignment, actor=roles["expert"])
    innovation_id, feasibility_id = criteria_ids(expert_program)
    client.force_login(roles["expert"])

    response = client.post(
        review_url(assignment),
        {"action": "submit", f"score_{innovation_id}": "80", f"score_{feasibility_id}": "25"},
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert [e.code for e in form.errors.as_data()[f"score_{feasibility_id}"]] == ["score_out_of_range"]
    assert "得分应在0至20分之间" in response.content.decode()
    assert ExpertScore.objects.count() == 0


def test_the_intake_officer_records_the_checklist_on_its_page(client, make_application, checklist_program, roles):
    application = make_application("accepted", program=checklist_program)
    first, second = item_ids(checklist_program)
    url = reverse("admin:review_verificationcheck_record", args=[application.pk])
    client.force_login(roles["intake"])

    assert client.get(url).status_code == 200
    response = client.post(url, {f"passed_{first}": "on", f"note_{first}": "已核验", f"note_{second}": "待补充"})

    assert response.status_code == 302
    assert sorted(VerificationCheck.objects.values_list("item_id", "passed", "note")) == sorted(
        [(first, True, "已核验"), (second, False, "待补充")]
    )


def test_the_approver_reads_the_checklist_without_a_form_and_cannot_post_it(
    client, make_application, checklist_program, roles
):
    application = make_application("accepted", program=checklist_program)
    first, _second = item_ids(checklist_program)
    client.force_login(roles["approver"])
    url = reverse("admin:review_verificationcheck_record", args=[application.pk])

    page = client.get(url)
    posted = client.post(url, {f"passed_{first}": "on", f"note_{first}": "审定人不应能写"})

    assert page.status_code == 200
    html = page.content.decode()
    assert "checklist-findings" in html
    assert "<form" not in html.split('id="content"')[1]
    assert "未核实" in html
    assert posted.status_code == 403
    assert not VerificationCheck.objects.filter(application=application).exists()


@pytest.mark.parametrize("role", ["expert", "finance"])
def test_other_roles_cannot_record_the_checklist(client, make_application, checklist_program, roles, role):
    application = make_application("accepted", program=checklist_program)
    client.force_login(roles[role])

    response = client.get(reverse("admin:review_verificationcheck_record", args=[application.pk]))

    assert response.status_code == 403


def test_recording_the_checklist_of_an_unaccepted_application_shows_the_error(
    client, make_application, checklist_program, roles
):
    application = make_application("submitted", program=checklist_program)
    first, _second = item_ids(checklist_program)
    client.force_login(roles["intake"])

    response = client.post(
        reverse("admin:review_verificationcheck_record", args=[application.pk]), {f"passed_{first}": "on"}
    )

    assert response.status_code == 200
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["not_accepted"]
    assert VerificationCheck.objects.count() == 0


def test_the_approver_assigns_experts_in_bulk_and_affiliated_ones_are_refused(
    client, make_application, expert_program, roles, make_expert
):
    first = make_application("accepted", program=expert_program)
    second = make_application("accepted", program=expert_program)
    affiliated = make_expert(affiliated_usccs=first.organisation.uscc)
    url = reverse("admin:review_expertassignment_assign") + f"?ids={first.pk},{second.pk}"
    client.force_login(roles["approver"])

    assert client.get(url).status_code == 200
    response = client.post(url, {"experts": [roles["expert"].pk, affiliated.pk]}, follow=True)

    # Both applications belong to the owner's organisation, so the affiliated expert is refused for both.
    assert set(ExpertAssignment.objects.values_list("application_id", "expert_id")) == {
        (first.pk, roles["expert"].pk),
        (second.pk, roles["expert"].pk),
    }
    assert "已分配2项，已存在0项" in response.content.decode()
    assert "应当回避" in response.content.decode()


@pytest.mark.parametrize("role", ["intake", "expert", "finance"])
def test_only_approvers_open_the_assignment_page(client, make_application, expert_program, roles, role):
    application = make_application("accepted", program=expert_program)
    client.force_login(roles[role])

    response = client.get(reverse("admin:review_expertassignment_assign") + f"?ids={application.pk}")

    assert response.status_code == 403


def test_the_approver_reads_an_assignment_with_its_scores_and_the_expert_is_sent_to_the_review_page(
    client, make_application, expert_program, roles
):
    application = make_application("accepted", program=expert_program)
    assignment = assign(application, roles["expert"], roles["approver"])
    url = reverse("admin:review_expertassignment_change", args=[assignment.pk])

    client.force_login(roles["approver"])
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:review_verificationcheck_changelist")).status_code == 200

    client.force_login(roles["expert"])
    response = client.get(url)
    assert (response.status_code, response.url) == (302, review_url(assignment))


@pytest.mark.parametrize("rows", [5, 20])
def test_the_assignment_list_takes_constant_queries(
    client, make_application, expert_program, roles, make_expert, django_assert_max_num_queries, rows
):
    experts = [make_expert() for _ in range(rows)]
    application = make_application("accepted", program=expert_program)
    assign_experts(applications=[application], experts=experts, actor=roles["approver"])
    client.force_login(roles["approver"])

    with django_assert_max_num_queries(15):
        response = client.get(reverse("admin:review_expertassignment_changelist"))

    assert response.context["cl"].result_count == rows
