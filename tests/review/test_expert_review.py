"""专家评审: assignment with conflict checks, the declaration of no conflict, final scores and the approval."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from applications import services as application_services
from applications.models import ApplicationEvent, State
from review.models import ExpertAssignment, ExpertScore
from review.services import (
    approval_blockers,
    assign_experts,
    assignment_total,
    confirm_no_conflict,
    submit_scores,
)
from tests.review.conftest import criteria_ids


def assign_one(application, expert, approver) -> ExpertAssignment:
    (outcome,) = assign_experts(applications=[application], experts=[expert], actor=approver)
    assert outcome.status == "created", outcome.error
    return outcome.assignment


def score(application, expert, approver, innovation, feasibility) -> ExpertAssignment:
    """Assign, confirm and submit (创新性, 可行性) scores."""
    assignment = assign_one(application, expert, approver)
    confirm_no_conflict(assignment=assignment, actor=expert)
    innovation_id, feasibility_id = criteria_ids(application.program)
    return submit_scores(
        assignment=assignment,
        actor=expert,
        scores={innovation_id: (innovation, "创新明显"), feasibility_id: (feasibility, "")},
    )


# --- assignment -----------------------------------------------------------------------------------------------


def test_assigning_two_experts_to_two_applications_creates_four_assignments(
    make_application, expert_program, roles, make_expert
):
    applications = [make_application("accepted", program=expert_program) for _ in range(2)]
    experts = [roles["expert"], make_expert()]

    outcomes = assign_experts(applications=applications, experts=experts, actor=roles["approver"])

    assert [o.status for o in outcomes] == ["created"] * 4
    assert ExpertAssignment.objects.filter(assigned_by=roles["approver"]).count() == 4


def test_assigning_an_existing_pair_again_changes_nothing(make_application, expert_program, roles):
    application = make_application("accepted", program=expert_program)
    first = assign_one(application, roles["expert"], roles["approver"])

    (outcome,) = assign_experts(applications=[application], experts=[roles["expert"]], actor=roles["approver"])

    assert (outcome.status, outcome.assignment.pk) == ("existing", first.pk)
    assert ExpertAssignment.objects.count() == 1


def test_an_expert_affiliated_with_the_organisation_is_refused_and_the_others_assigned(
    make_application, expert_program, roles, make_expert
):
    application = make_application("accepted", program=expert_program)
    affiliated = make_expert(affiliated_usccs=f"91440300MA5XXXXXX1\n{application.organisation.uscc.lower()}\n")

    outcomes = assign_experts(
        applications=[application], experts=[affiliated, roles["expert"]], actor=roles["approver"]
    )

    assert [(o.status, o.code) for o in outcomes] == [("refused", "expert_affiliated"), ("created", None)]
    assert list(ExpertAssignment.objects.values_list("expert_id", flat=True)) == [roles["expert"].pk]


def test_a_verification_program_takes_no_experts(make_application, roles):
    application = make_application("accepted")

    (outcome,) = assign_experts(applications=[application], experts=[roles["expert"]], actor=roles["approver"])

    assert (outcome.status, outcome.code) == ("refused", "not_expert_review")
    assert ExpertAssignment.objects.count() == 0


def test_a_user_outside_the_expert_group_is_refused(make_application, expert_program, roles):
    application = make_application("accepted", program=expert_program)

    (outcome,) = assign_experts(applications=[application], experts=[roles["finance"]], actor=roles["approver"])

    assert outcome.code == "not_an_expert"


@pytest.mark.parametrize("role", ["intake", "expert", "finance", "owner"])
def test_only_an_approver_assigns(make_application, expert_program, roles, role):
    application = make_application("accepted", program=expert_program)

    with pytest.raises(PermissionDenied):
        assign_experts(applications=[application], experts=[roles["expert"]], actor=roles[role])

    assert ExpertAssignment.objects.count() == 0


# --- confirmation and scores -------------------------------------------------------------------------------------


def test_scores_before_the_declaration_of_no_conflict_are_refused(make_application, expert_program, roles):
    application = make_application("accepted", program=expert_program)
    assignment = assign_one(application, roles["expert"], roles["approver"])
    innovation_id, feasibility_id = criteria_ids(expert_program)

    with pytest.raises(ValidationError) as caught:
        submit_scores(
            assignment=assignment,
            actor=roles["expert"],
            scores={innovation_id: (80, ""), feasibility_id: (15, "")},
        )

    assert caught.value.code == "conflict_not_confirmed"
    assert ExpertScore.objects.count() == 0


def test_only_the_assigned_expert_confirms_and_scores(make_application, expert_program, roles, make_expert):
    application = make_application("accepted", program=expert_program)
    assignment = assign_one(application, roles["expert"], roles["approver"])
    other = make_expert()

    with pytest.raises(PermissionDenied):
        confirm_no_conflict(assignment=assignment, actor=other)
    confirm_no_conflict(assignment=assignment, actor=roles["expert"])
    with pytest.raises(PermissionDenied):
        submit_scores(assignment=assignment, actor=other, scores={})

    assert ExpertScore.objects.count() == 0


def test_confirming_twice_keeps_the_first_time(make_application, expert_program, roles):
    application = make_application("accepted", program=expert_program)
    assignment = assign_one(application, roles["expert"], roles["approver"])
    first = confirm_no_conflict(assignment=assignment, actor=roles["expert"]).no_conflict_confirmed_at

    again = confirm_no_conflict(assignment=assignment, actor=roles["expert"])

    assert again.no_conflict_confirmed_at == first


def test_submitted_scores_give_the_weighted_total_and_the_application_score(make_application, expert_program, roles):
    # Given 80/100 on 创新性 (60%) and 15/20 on 可行性 (40%)
    application = make_application("accepted", program=expert_program)

    # When the expert submits
    assignment = score(application, roles["expert"], roles["approver"], 80, "15")

    # Then 48 + 30 = 78
    assert assignment.submitted_at is not None
    assert assignment_total(assignment) == Decimal("78.00")
    application.refresh_from_db()
    assert application.score == Decimal("78.00")
    assert list(ExpertScore.objects.order_by("criterion__sort_order").values_list("score", "comment")) == [
        (Decimal("80.00"), "创新明显"),
        (Decimal("15.00"), ""),
    ]


def test_the_application_score_is_the_mean_of_the_submitted_experts(
    make_application, expert_program, roles, make_expert
):
    application = make_application("accepted", program=expert_program)
    score(application, roles["expert"], roles["approver"], 80, 15)  # 78
    assign_one(application, make_expert(), roles["approver"])  # assigned, not submitted: not counted

    score(application, make_expert(), roles["approver"], 50, 10)  # 30 + 20 = 50

    application.refresh_from_db()
    assert application.score == Decimal("64.00")


@pytest.mark.parametrize(
    ("innovation", "feasibility", "field", "code"),
    [
        (101, 15, "innovation", "score_out_of_range"),
        (80, 21, "feasibility", "score_out_of_range"),
        (-1, 15, "innovation", "score_out_of_range"),
        (80, None, "feasibility", "score_required"),
        (80, "十五", "feasibility", "score_invalid"),
        (80.555, 15, "innovation", "score_invalid"),
    ],
)
def test_a_score_out_of_range_or_missing_is_refused_and_nothing_saved(
    make_application, expert_program, roles, innovation, feasibility, field, code
):
    application = make_application("accepted", program=expert_program)
    assignment = assign_one(application, roles["expert"], roles["approver"])
    confirm_no_conflict(assignment=assignment, actor=roles["expert"])
    innovation_id, feasibility_id = criteria_ids(expert_program)
    field_id = {"innovation": innovation_id, "feasibility": feasibility_id}[field]

    with pytest.raises(ValidationError) as caught:
        submit_scores(
            assignment=assignment,
            actor=roles["expert"],
            scores={innovation_id: (innovation, ""), feasibility_id: (feasibility, "")},
        )

    assert {key: [e.code for e in errors] for key, errors in caught.value.error_dict.items()} == {
        f"score_{field_id}": [code]
    }
    assert ExpertScore.objects.count() == 0
    assignment.refresh_from_db()
    application.refresh_from_db()
    assert (assignment.submitted_at, application.score) == (None, None)


def test_submitted_scores_are_final(make_application, expert_program, roles):
    application = make_application("accepted", program=expert_program)
    assignment = score(application, roles["expert"], roles["approver"], 80, 15)
    innovation_id, feasibility_id = criteria_ids(expert_program)

    with pytest.raises(ValidationError) as caught:
        submit_scores(
            assignment=assignment,
            actor=roles["expert"],
            scores={innovation_id: (100, ""), feasibility_id: (20, "")},
        )

    assert caught.value.code == "scores_final"
    assert sorted(ExpertScore.objects.values_list("score", flat=True)) == [Decimal("15.00"), Decimal("80.00")]


# --- approval ----------------------------------------------------------------------------------------------------


def test_approval_with_fewer_experts_than_required_is_refused(make_application, expert_program, roles):
    # Given one submitted expert where two are required
    application = make_application("accepted", program=expert_program)
    score(application, roles["expert"], roles["approver"], 90, 20)
    events_before = ApplicationEvent.objects.count()

    with pytest.raises(ValidationError) as caught:
        application_services.approve_application(application=application, actor=roles["approver"])

    assert [e.code for e in caught.value.error_list] == ["not_enough_scores"]
    assert caught.value.messages == ["专家评分不足：需要至少2位专家提交评分，目前1位"]
    application.refresh_from_db()
    assert application.state == State.ACCEPTED
    assert ApplicationEvent.objects.count() == events_before


def test_approval_below_the_pass_mark_is_refused(make_application, expert_program, roles, make_expert):
    # Given 78 and 30 + 8 = 38: mean 58 below 60
    application = make_application("accepted", program=expert_program)
    score(application, roles["expert"], roles["approver"], 80, 15)
    score(application, make_expert(), roles["approver"], 50, 4)

    with pytest.raises(ValidationError) as caught:
        application_services.approve_application(application=application, actor=roles["approver"])

    assert [e.code for e in caught.value.error_list] == ["below_pass_mark"]
    assert caught.value.messages == ["评审得分58.00分，低于通过分60.00分"]
    application.refresh_from_db()
    assert (application.state, application.score) == (State.ACCEPTED, Decimal("58.00"))


def test_approval_with_enough_experts_at_the_pass_mark_is_allowed(make_application, expert_program, roles, make_expert):
    application = make_application("accepted", program=expert_program)
    score(application, roles["expert"], roles["approver"], 80, 15)  # 78
    score(application, make_expert(), roles["approver"], 50, 5)  # 30 + 10 = 40 → mean 59
    assert [e.code for e in approval_blockers(application)] == ["below_pass_mark"]
    score(application, make_expert(), roles["approver"], 70, 12)  # 42 + 24 = 66 → mean 61.33

    application = application_services.approve_application(application=application, actor=roles["approver"])

    assert (application.state, application.score) == (State.APPROVED, Decimal("61.33"))
