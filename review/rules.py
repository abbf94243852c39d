"""Pure review policy: the weighted expert score and what blocks an approval (SPEC §4, 审定)."""

from collections.abc import Hashable, Iterable, Mapping, Sequence
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
    totals: Sequence[Decimal], *, min_experts: int, pass_mark: Decimal | None, mean: Decimal | None = None
) -> list[ValidationError]:
    """评审制: at least ``min_experts`` submitted scores and their mean at or above the pass mark.

    ``mean`` replaces the plain mean of ``totals`` when the program uses the normalised one (``panel_mean``).
    """
    if len(totals) < min_experts:
        return [
            ValidationError(
                _("专家评分不足：需要至少%(need)s位专家提交评分，目前%(have)s位"),
                code=ReviewErrorCode.NOT_ENOUGH_SCORES,
                params={"need": min_experts, "have": len(totals)},
            )
        ]
    mean = mean_score(totals) if mean is None else mean
    if pass_mark is not None and mean is not None and mean < pass_mark:
        return [
            ValidationError(
                _("评审得分%(score)s分，低于通过分%(pass_mark)s分"),
                code=ReviewErrorCode.BELOW_PASS_MARK,
                params={"score": mean, "pass_mark": pass_mark},
            )
        ]
    return []


# --- 专家评审: the panel's figures -------------------------------------------------------------------------------
#
# Experts score on different scales (some strict, some generous). These figures let the approver see the spread of
# one application's scores, how each expert scores against the rest of the panel, and who stands apart; the
# approval rule can use the per-expert normalised mean instead of the plain one (ReviewPolicy, per program).


@dataclass(frozen=True)
class Spread:
    """The spread of a set of totals: how many, mean, lowest, highest and (population) standard deviation."""

    count: int
    mean: Decimal | None
    minimum: Decimal | None
    maximum: Decimal | None
    std: Decimal | None


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, Decimal("0")) / len(values)


def _std(values: Sequence[Decimal]) -> Decimal:
    mean = _mean(values)
    return (sum(((v - mean) ** 2 for v in values), Decimal("0")) / len(values)).sqrt()


def spread(values: Sequence[Decimal]) -> Spread:
    """Return count, mean, min, max and standard deviation of ``values`` to the cent (all None when empty)."""
    values = [Decimal(v) for v in values]
    if not values:
        return Spread(0, None, None, None, None)
    cents = lambda d: d.quantize(CENT, rounding=ROUND_HALF_UP)  # noqa: E731
    return Spread(len(values), cents(_mean(values)), min(values), max(values), cents(_std(values)))


# With every other expert giving the same total their deviation is 0; a floor keeps one point apart from counting
# as "infinitely many" standard deviations.
MIN_SPREAD = Decimal("1")


def outliers(
    totals: Mapping[Hashable, Decimal], *, limit: Decimal = Decimal("2"), min_spread: Decimal = MIN_SPREAD
) -> set:
    """The experts whose total lies more than ``limit`` standard deviations from the mean of the *other* experts.

    Each expert is compared with the others on the same application (leave one out), so that an outlier does not
    widen the spread it is measured against; the others' deviation counts as at least ``min_spread`` points.
    Needs at least two others: with fewer nobody is flagged.
    """
    flagged = set()
    for expert, total in totals.items():
        others = [Decimal(v) for key, v in totals.items() if key != expert]
        if len(others) < 2:
            continue
        deviation = max(_std(others), min_spread)
        if abs(Decimal(total) - _mean(others)) > limit * deviation:
            flagged.add(expert)
    return flagged


@dataclass(frozen=True)
class ExpertFigures:
    """One expert across the applications they scored: their spread and how far they sit from the others."""

    expert: Hashable
    spread: Spread
    # The mean of (own total − the others' mean on the same application), where others scored it: + generous.
    against_panel: Decimal | None


def expert_figures(scores: Mapping[tuple[Hashable, Hashable], Decimal]) -> dict[Hashable, ExpertFigures]:
    """Per expert, from {(application, expert): total}: their spread and their mean deviation from the panel."""
    by_application: dict[Hashable, dict[Hashable, Decimal]] = {}
    for (application, expert), total in scores.items():
        by_application.setdefault(application, {})[expert] = Decimal(total)
    own: dict[Hashable, list[Decimal]] = {}
    deviations: dict[Hashable, list[Decimal]] = {}
    for panel in by_application.values():
        for expert, total in panel.items():
            own.setdefault(expert, []).append(total)
            others = [v for key, v in panel.items() if key != expert]
            if others:
                deviations.setdefault(expert, []).append(total - _mean(others))
    return {
        expert: ExpertFigures(
            expert=expert,
            spread=spread(totals),
            against_panel=(
                _mean(deviations[expert]).quantize(CENT, rounding=ROUND_HALF_UP) if deviations.get(expert) else None
            ),
        )
        for expert, totals in own.items()
    }


def normalised_totals(scores: Mapping[tuple[Hashable, Hashable], Decimal]) -> dict[tuple[Hashable, Hashable], Decimal]:
    """Put every expert on the panel's scale: z-score within the expert's own totals, mapped onto all totals.

    normalised = panel mean + (total − expert mean) / expert deviation × panel deviation. An expert with one total
    or no spread is only shifted (total − expert mean + panel mean). Each result is kept within 0–100, to the cent.
    """
    if not scores:
        return {}
    every = [Decimal(v) for v in scores.values()]
    panel_mean, panel_std = _mean(every), _std(every)
    own: dict[Hashable, list[Decimal]] = {}
    for (_application, expert), total in scores.items():
        own.setdefault(expert, []).append(Decimal(total))
    result = {}
    for (application, expert), total in scores.items():
        totals = own[expert]
        expert_mean, expert_std = _mean(totals), _std(totals)
        if len(totals) > 1 and expert_std > 0:
            value = panel_mean + (Decimal(total) - expert_mean) / expert_std * panel_std
        else:
            value = Decimal(total) - expert_mean + panel_mean
        result[(application, expert)] = min(max(value, Decimal("0")), Decimal("100")).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
    return result


def panel_mean(
    application: Hashable, scores: Mapping[tuple[Hashable, Hashable], Decimal], *, normalised: bool = False
) -> Decimal | None:
    """The application's score for the approval rule: the plain mean of its experts' totals, or the normalised one
    (``normalised_totals`` over every score given in ``scores``, i.e. the program's panel)."""
    source = normalised_totals(scores) if normalised else scores
    return mean_score([Decimal(v) for (app, _expert), v in source.items() if app == application])
