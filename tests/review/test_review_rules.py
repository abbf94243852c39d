"""Pure review policy: the weighted score, its mean, and the approval blockers from plain values."""

from decimal import Decimal

import pytest

from review.rules import (
    ChecklistItem,
    CriterionScore,
    checklist_blockers,
    expert_review_blockers,
    mean_score,
    score_error,
    weighted_total,
)


def test_weighted_total_scales_each_score_to_its_weight():
    # Given 80/100 on a 60% criterion and 15/20 on a 40% criterion
    scores = [CriterionScore(Decimal("80"), 100, Decimal("60")), CriterionScore(Decimal("15"), 20, Decimal("40"))]

    # Then 48 + 30
    assert weighted_total(scores) == Decimal("78.00")


def test_weighted_total_rounds_half_up_to_the_cent():
    scores = [CriterionScore(Decimal("1"), 3, Decimal("100"))]

    assert weighted_total(scores) == Decimal("33.33")
    assert weighted_total([CriterionScore(Decimal("2"), 3, Decimal("100"))]) == Decimal("66.67")


def test_full_marks_everywhere_make_100():
    scores = [CriterionScore(Decimal("100"), 100, Decimal("60")), CriterionScore(Decimal("20"), 20, Decimal("40"))]

    assert weighted_total(scores) == Decimal("100.00")


def test_mean_score_of_no_totals_is_none_and_of_two_is_their_mean():
    assert mean_score([]) is None
    assert mean_score([Decimal("78.00"), Decimal("50.00")]) == Decimal("64.00")
    assert mean_score([Decimal("78.00"), Decimal("50.01")]) == Decimal("64.01")


@pytest.mark.parametrize(
    ("score", "max_score", "code"),
    [
        (Decimal("0"), 20, None),
        (Decimal("20"), 20, None),
        (Decimal("19.99"), 20, None),
        (Decimal("20.01"), 20, "score_out_of_range"),
        (Decimal("-1"), 20, "score_out_of_range"),
        (Decimal("1.234"), 20, "score_invalid"),
        (Decimal("NaN"), 20, "score_invalid"),
    ],
)
def test_score_error(score, max_score, code):
    assert score_error(score, max_score) == code


def test_an_empty_checklist_is_complete():
    assert checklist_blockers([]) == []


def test_a_checklist_with_an_unrecorded_and_a_failed_item_names_both():
    items = [ChecklistItem("证书真实有效", True), ChecklistItem("持有人一致", None), ChecklistItem("费用相符", False)]

    (error,) = checklist_blockers(items)

    assert error.code == "checklist_incomplete"
    assert error.messages == ["核实清单未完成，以下事项未核实或未通过：持有人一致、费用相符"]


def test_fewer_submitted_experts_than_required_says_how_many():
    (error,) = expert_review_blockers([Decimal("90")], min_experts=3, pass_mark=Decimal("60"))

    assert error.code == "not_enough_scores"
    assert error.messages == ["专家评分不足：需要至少3位专家提交评分，目前1位"]


def test_a_mean_below_the_pass_mark_says_both_numbers():
    (error,) = expert_review_blockers([Decimal("60.00"), Decimal("59.00")], min_experts=2, pass_mark=Decimal("60.00"))

    assert error.code == "below_pass_mark"
    assert error.messages == ["评审得分59.50分，低于通过分60.00分"]


def test_a_mean_at_the_pass_mark_passes():
    assert expert_review_blockers([Decimal("70"), Decimal("50")], min_experts=2, pass_mark=Decimal("60.00")) == []
