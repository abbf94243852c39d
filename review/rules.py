"""Pure review policy: the weighted expert score and what blocks an approval (SPEC §4, 审定)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from review.error_codes import ReviewErrorCode

CENT = Decimal("0.01")


@dataclass(frozen=True)
class CriterionScore:
    """One criterion as scored: the score given, the criterion's full marks and its weight in percent."""

    score: Decimal
    max_score: int
    weight: Decimal


@dataclass(frozen=True)
class ChecklistItem:
    """One verification item of a 核准制 program and its recorded finding (None: not recorded yet)."""

    text: str
    passed: bool | None


def weighted_total(scores: Iterable[CriterionScore]) -> Decimal:
    """Return one expert's total, Σ score / max_score × weight, to the cent (weights summing to 100 give 0–100).

    A criterion with full marks 0 counts nothing.
    """
    total = sum(
        (Decimal(s.score) / Decimal(s.max_score) * Decimal(s.weight) for s in scores if s.max_score),
        Decimal("0"),
    )
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def mean_score(totals: Sequence[Decimal]) -> Decimal | None:
    """Return the mean of the submitted experts' totals to the cent, or None when nobody has submitted."""
    if not totals:
        return None
    return (sum(totals, Decimal("0")) / len(totals)).quantize(CENT, rounding=ROUND_HALF_UP)


def score_error(score: Decimal, max_score: int) -> ReviewErrorCode | None:
    """Return the code of what is wrong with a score for a criterion with full marks ``max_score``, or None."""
    if not score.is_finite():
        return ReviewErrorCode.SCORE_INVALID
    if score.as_tuple().exponent < -2:
        return ReviewErrorCode.SCORE_INVALID
    if score < 0 or score > max_score:
        return ReviewErrorCode.SCORE_OUT_OF_RANGE
    return None


def checklist_blockers(items: Sequence[ChecklistItem]) -> list[ValidationError]:
    """核准制: every item of the program's checklist recorded as passed. An empty checklist is complete."""
    open_items = [item.text for item in items if item.passed is not True]
    if not open_items:
        return []
    return [
        ValidationError(
            _("核实清单未完成，以下事项未核实或未通过：%(items)s"),
            code=ReviewErrorCode.CHECKLIST_INCOMPLETE,
            params={"items": "、".join(open_items)},
        )
    ]


def expert_review_blockers(
    totals: Sequence[Decimal], *, min_experts: int, pass_mark: Decimal | None
) -> list[ValidationError]:
    """评审制: at least ``min_experts`` submitted scores and their mean at or above the pass mark."""
    if len(totals) < min_experts:
        return [
            ValidationError(
                _("专家评分不足：需要至少%(need)s位专家提交评分，目前%(have)s位"),
                code=ReviewErrorCode.NOT_ENOUGH_SCORES,
                params={"need": min_experts, "have": len(totals)},
            )
        ]
    mean = mean_score(totals)
    if pass_mark is not None and mean is not None and mean < pass_mark:
        return [
            ValidationError(
                _("评审得分%(score)s分，低于通过分%(pass_mark)s分"),
                code=ReviewErrorCode.BELOW_PASS_MARK,
                params={"score": mean, "pass_mark": pass_mark},
            )
        ]
    return []
