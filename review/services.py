"""Writes for review: the verification checklist (核实), expert assignments, conflict declarations and scores.

Every write is one service with keyword-only arguments and the acting user as ``actor``; the admin views and the tests
call these. Refusals raise ValidationError with a stable code (or PermissionDenied for the wrong role).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, User
from accounts.roles import APPROVER, EXPERT, INTAKE, user_has_role
from applications.models import Application, State
from core.text import clean_texts
from programs.models import ReviewTrack, ScoringCriterion, VerificationItem
from review import rules
from review.error_codes import ReviewErrorCode
from review.models import (
    ExpertAssignment,
    ExpertScore,
    ReturnReasonPreset,
    ReviewPolicy,
    ScoreMean,
    VerificationCheck,
)


def approval_blockers(application: Application) -> list[ValidationError]:
    """What stops an approval beyond the state machine; each a ValidationError with a stable code.

    核准制: "checklist_incomplete" while an item of the program's checklist is not recorded as passed (a program
    without items has nothing to verify). 评审制: "not_enough_scores" below ``program.min_experts`` submitted experts,
    "below_pass_mark" when their mean is under ``program.pass_mark``. The 形式审查 (completeness check) is the accept
    transition itself, so an accepted application has passed it.
    """
    program = application.program
    if program.review_track == ReviewTrack.EXPERT_REVIEW:
        mean = None
        if score_mean_of(program) == ScoreMean.NORMALISED:
            mean = rules.panel_mean(application.pk, panel_scores(application), normalised=True)
        return rules.expert_review_blockers(
            submitted_totals(application), min_experts=program.min_experts, pass_mark=program.pass_mark, mean=mean
        )
    return rules.checklist_blockers(checklist(application))


def score_mean_of(program: Any) -> str:
    """The program's choice of mean for the approval rule (ReviewPolicy), plain when none is set."""
    policy = ReviewPolicy.objects.filter(program_id=program.pk).values_list("score_mean", flat=True).first()
    return policy or ScoreMean.PLAIN


def panel_scores(application: Application) -> dict[tuple[int, int], Decimal]:
    """{(application id, expert id): weighted total} of every submitted expert on the application's program and call,
    in one query: the panel the normalised mean and the per-expert figures are taken over."""
    by_pair: dict[tuple[int, int], list[rules.CriterionScore]] = {}
    rows = ExpertScore.objects.filter(
        assignment__application__program_id=application.program_id,
        assignment__application__call_id=application.call_id,
        assignment__submitted_at__isnull=False,
    ).values_list(
        "assignment__application_id", "assignment__expert_id", "score", "criterion__max_score", "criterion__weight"
    )
    for application_id, expert_id, score, max_score, weight in rows:
        by_pair.setdefault((application_id, expert_id), []).append(rules.CriterionScore(score, max_score, weight))
    return {pair: rules.weighted_total(scores) for pair, scores in by_pair.items()}


@dataclass(frozen=True)
class PanelRow:
    """One expert on one application's page: their total, their habits across the program, and a flag."""

    expert: User
    total: Decimal
    normalised: Decimal
    figures: rules.ExpertFigures
    is_outlier: bool


@dataclass(frozen=True)
class PanelFigures:
    spread: rules.Spread
    plain_mean: Decimal | None
    normalised_mean: Decimal | None
    score_mean: str  # ScoreMean: what the approval rule uses for this program
    rows: list[PanelRow]

    @property
    def score_mean_label(self) -> str:
        return str(ScoreMean(self.score_mean).label)


def panel_figures(application: Application) -> PanelFigures | None:
    """The expert panel's figures for one 评审制 application (None for 核准制 or before any expert submitted)."""
    if application.program.review_track != ReviewTrack.EXPERT_REVIEW:
        return None
    scores = panel_scores(application)
    mine = {expert: total for (app, expert), total in scores.items() if app == application.pk}
    if not mine:
        return None
    normalised = rules.normalised_totals(scores)
    figures = rules.expert_figures(scores)
    flagged = rules.outliers(mine)
    experts = User.objects.in_bulk(list(mine))
    rows = [
        PanelRow(experts[pk], total, normalised[(application.pk, pk)], figures[pk], pk in flagged)
        for pk, total in sorted(mine.items())
    ]
    return PanelFigures(
        spread=rules.spread(list(mine.values())),
        plain_mean=rules.panel_mean(application.pk, scores),
        normalised_mean=rules.panel_mean(application.pk, scores, normalised=True),
        score_mean=score_mean_of(application.program),
        rows=rows,
    )


def return_reason_presets() -> list[str]:
    """The active ready-made 退回补正 reasons, in their order (a read for the return form)."""
    return list(
        ReturnReasonPreset.objects.filter(is_active=True).order_by("sort_order", "pk").values_list("text", flat=True)
    )


def checklist(application: Application) -> list[rules.ChecklistItem]:
    """The program's checklist items in order, each with the finding recorded for this application (or None)."""
    found = dict(VerificationCheck.objects.filter(application=application).values_list("item_id", "passed"))
    items = VerificationItem.objects.filter(program_id=application.program_id).order_by("sort_order", "pk")
    return [rules.ChecklistItem(text=item.text, passed=found.get(item.pk)) for item in items]


def assignment_total(assignment: ExpertAssignment) -> Decimal | None:
    """One expert's weighted total (0–100), or None before the scores are submitted."""
    if assignment.submitted_at is None:
        return None
    scores = assignment.scores.select_related("criterion")
    return rules.weighted_total(
        rules.CriterionScore(score=s.score, max_score=s.criterion.max_score, weight=s.criterion.weight) for s in scores
    )


def submitted_totals(application: Application) -> list[Decimal]:
    """The weighted totals of the experts who have submitted, in one query."""
    by_assignment: dict[int, list[rules.CriterionScore]] = {}
    rows = ExpertScore.objects.filter(
        assignment__application=application, assignment__submitted_at__isnull=False
    ).values_list("assignment_id", "score", "criterion__max_score", "criterion__weight")
    for assignment_id, score, max_score, weight in rows:
        by_assignment.setdefault(assignment_id, []).append(rules.CriterionScore(score, max_score, weight))
    return [rules.weighted_total(scores) for _pk, scores in sorted(by_assignment.items())]


def _locked_application(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("organisation", "program")
        .get(pk=application.pk)
    )


def _not_accepted() -> ValidationError:
    return ValidationError(_("只有已受理（审核中）的申报可以进行此操作"), code=ReviewErrorCode.NOT_ACCEPTED)


# --- 核实: the verification checklist -------------------------------------------------------------------------


# The longest checklist note and expert comment kept, as the forms say (refused beyond, never cut).
NOTE_MAX_LENGTH = 1000
SCORE_COMMENT_MAX_LENGTH = 2000


@transaction.atomic
def record_verification(
    *, application: Application, actor: User, results: Mapping[int, tuple[bool, str]]
) -> list[VerificationCheck]:
    """Record the findings on checklist items of an accepted application (intake officer): item id → (passed, note).

    Items not in ``results`` keep what was recorded before. Each written row records who and when.
    Raise PermissionDenied for other roles; ValidationError "not_accepted" outside the accepted state,
    "unknown_item" for an item of another program. Nothing is written when anything is refused.
    """
    if not user_has_role(actor, INTAKE):
        raise PermissionDenied
    application = _locked_application(application)
    if application.state != State.ACCEPTED:
        raise _not_accepted()
    items = {item.pk: item for item in VerificationItem.objects.filter(program_id=application.program_id)}
    unknown = [str(pk) for pk in results if int(pk) not in items]
    if unknown:
        raise ValidationError(
            _("核实事项不属于该申报的资助项目：%(ids)s"),
            code=ReviewErrorCode.UNKNOWN_ITEM,
            params={"ids": "、".join(unknown)},
        )
    notes, errors = clean_texts(
        {f"note_{pk}": note for pk, (_passed, note) in results.items()}, max_length=NOTE_MAX_LENGTH, multiline=True
    )
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    checks = []
    for pk, (passed, _note) in results.items():
        check, _created = VerificationCheck.objects.update_or_create(
            application=application,
            item=items[int(pk)],
            defaults={"passed": bool(passed), "note": notes[f"note_{pk}"], "checked_by": actor, "checked_at": now},
        )
        checks.append(check)
    return checks


# --- 专家评审: assignments, conflict declarations and scores ---------------------------------------------------


@dataclass(frozen=True)
class AssignmentOutcome:
    """What happened to one (application, expert) pair: "created", "existing" or "refused" (with the error)."""

    application: Application
    expert: User
    status: str
    assignment: ExpertAssignment | None = None
    error: ValidationError | None = None

    @property
    def code(self) -> str | None:
        return self.error.code if self.error is not None else None


def affiliated_usccs(expert: User) -> set[str]:
    """The USCCs an expert declared (one per line), upper-cased, plus the expert's own organisation's."""
    usccs = {line.strip().upper() for line in (expert.affiliated_usccs or "").splitlines() if line.strip()}
    membership = Membership.objects.filter(user=expert).select_related("organisation").first()
    if membership is not None:
        usccs.add(membership.organisation.uscc.upper())
    return usccs


def _assignment_refusal(application: Application, expert: User, usccs: set[str]) -> ValidationError | None:
    if application.program.review_track != ReviewTrack.EXPERT_REVIEW:
        return ValidationError(
            _("%(ref)s 为核准制项目，无需专家评审"), code=ReviewErrorCode.NOT_EXPERT_REVIEW, params={"ref": application}
        )
    if application.state != State.ACCEPTED:
        return ValidationError(
            _("%(ref)s 不在审核中，不能分配专家"), code=ReviewErrorCode.NOT_ACCEPTED, params={"ref": application}
        )
    if not user_has_role(expert, EXPERT) or not expert.is_active:
        return ValidationError(
            _("%(expert)s 不是评审专家"), code=ReviewErrorCode.NOT_AN_EXPERT, params={"expert": expert}
        )
    if application.organisation.uscc.upper() in usccs:
        return ValidationError(
            _("%(expert)s 与申报单位 %(org)s 有关联，应当回避"),
            code=ReviewErrorCode.EXPERT_AFFILIATED,
            params={"expert": expert, "org": application.organisation.name},
        )
    return None


@transaction.atomic
def assign_experts(
    *, applications: Iterable[Application], experts: Iterable[User], actor: User
) -> list[AssignmentOutcome]:
    """Assign each expert to each application (approver), one pair or many at once; return one outcome per pair.

    A pair that already exists is left as it is ("existing"). A pair is refused, the others still assigned, with
    "not_expert_review" (核准制 program), "not_accepted" (not in review), "not_an_expert" or "expert_affiliated"
    (the expert declared the organisation's USCC among their affiliations, or is its member).
    Raise PermissionDenied for anyone but an approver.
    """
    if not user_has_role(actor, APPROVER):
        raise PermissionDenied
    experts = list(experts)
    usccs = {expert.pk: affiliated_usccs(expert) for expert in experts}
    outcomes = []
    for application in applications:
        application = _locked_application(application)
        existing = {a.expert_id: a for a in ExpertAssignment.objects.filter(application=application)}
        for expert in experts:
            if expert.pk in existing:
                outcomes.append(AssignmentOutcome(application, expert, "existing", existing[expert.pk]))
                continue
            error = _assignment_refusal(application, expert, usccs[expert.pk])
            if error is not None:
                outcomes.append(AssignmentOutcome(application, expert, "refused", error=error))
                continue
            assignment = ExpertAssignment.objects.create(application=application, expert=expert, assigned_by=actor)
            outcomes.append(AssignmentOutcome(application, expert, "created", assignment))
    return outcomes


def _locked_assignment(assignment: ExpertAssignment) -> ExpertAssignment:
    return (
        ExpertAssignment.objects.select_for_update(of=("self",))
        .select_related("application__program", "application__organisation")
        .get(pk=assignment.pk)
    )


@transaction.atomic
def confirm_no_conflict(*, assignment: ExpertAssignment, actor: User) -> ExpertAssignment:
    """Record the assigned expert's declaration of no conflict of interest; only then may they open the application.

    Confirming again keeps the first time. Raise PermissionDenied for anyone but the assigned expert.
    """
    assignment = _locked_assignment(assignment)
    if assignment.expert_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if assignment.no_conflict_confirmed_at is None:
        assignment.no_conflict_confirmed_at = timezone.now()
        assignment.save(update_fields=["no_conflict_confirmed_at"])
    return assignment


def _clean_score(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal("NaN")


SCORE_MESSAGES = {
    ReviewErrorCode.SCORE_REQUIRED: gettext_lazy("请为该评分项打分"),
    ReviewErrorCode.SCORE_INVALID: gettext_lazy("请输入最多两位小数的数字"),
    ReviewErrorCode.SCORE_OUT_OF_RANGE: gettext_lazy("得分应在0至%(max)s分之间"),
}


@transaction.atomic
def submit_scores(
    *, assignment: ExpertAssignment, actor: User, scores: Mapping[int, tuple[Any, str]]
) -> ExpertAssignment:
    """Submit the assigned expert's scores, criterion id → (score, comment); final once submitted.

    Every criterion of the program must be scored from 0 to its full marks. Then the application's score becomes the
    mean over the submitted experts of Σ score / max_score × weight.
    Raise PermissionDenied for anyone but the assigned expert; ValidationError "conflict_not_confirmed",
    "scores_final", "not_accepted", "unknown_criterion", or a dict keyed ``score_<criterion id>`` with
    "score_required", "score_invalid" or "score_out_of_range". Nothing is saved when anything is refused.
    """
    application = _locked_application(assignment.application)
    assignment = _locked_assignment(assignment)
    if assignment.expert_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if assignment.no_conflict_confirmed_at is None:
        raise ValidationError(_("请先确认无利益冲突"), code=ReviewErrorCode.CONFLICT_NOT_CONFIRMED)
    if assignment.submitted_at is not None:
        raise ValidationError(_("评分已提交，不能修改"), code=ReviewErrorCode.SCORES_FINAL)
    if application.state != State.ACCEPTED:
        raise _not_accepted()
    criteria = {c.pk: c for c in ScoringCriterion.objects.filter(program_id=application.program_id)}
    given = {int(pk): value for pk, value in scores.items()}
    unknown = sorted(set(given) - set(criteria))
    if unknown:
        raise ValidationError(
            _("评分项不属于该申报的资助项目：%(ids)s"),
            code=ReviewErrorCode.UNKNOWN_CRITERION,
            params={"ids": "、".join(map(str, unknown))},
        )
    errors: dict[str, ValidationError] = {}
    comments, comment_errors = clean_texts(
        {f"comment_{pk}": given.get(pk, (None, ""))[1] for pk in criteria},
        max_length=SCORE_COMMENT_MAX_LENGTH,
        multiline=True,
    )
    errors.update(comment_errors)
    rows = []
    for pk, criterion in criteria.items():
        score, _comment = given.get(pk, (None, ""))
        comment = comments.get(f"comment_{pk}", "")
        score = _clean_score(score)
        code = ReviewErrorCode.SCORE_REQUIRED if score is None else rules.score_error(score, criterion.max_score)
        if code:
            errors[f"score_{pk}"] = ValidationError(
                SCORE_MESSAGES[code], code=code, params={"max": criterion.max_score}
            )
            continue
        rows.append(ExpertScore(assignment=assignment, criterion=criterion, score=score, comment=comment))
    if errors:
        raise ValidationError(errors)
    ExpertScore.objects.bulk_create(rows)
    assignment.submitted_at = timezone.now()
    assignment.save(update_fields=["submitted_at"])
    application.score = rules.mean_score(submitted_totals(application))
    application.save(update_fields=["score", "updated_at"])
    return assignment
