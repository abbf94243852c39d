"""Transitions: one service per step of ``applications.workflow.STEPS``, and the generic entry for people.

Every transition service locks the row, checks who may act and from which state, calls the FSM transition,
saves, writes exactly one ``ApplicationEvent`` chained to the previous one in the same transaction, and queues the
applicant's notification after commit. That is all: what follows a transition in a later stage (the award notice,
the performance report) is asked for by that stage's own service, which calls the next one explicitly.

``run_transition`` is the entry for a person at a step (the API, the admin, the applicant pages): it takes only
person-driven steps and refuses the stage-driven ones with ``transition_driven_by_stage``.
"""

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applications import audit, rules, workflow
from applications.error_codes import ApplicationErrorCode
from applications.models import Application, ApplicationEvent, ApplicationUnit
from applications.services.assessment import assess, store_assessment
from applications.services.caps import lock_organisation_year, recheck_caps
from applications.services.common import field_error, locked
from applications.services.drafts import clean_date
from applications.tasks import notify_applicant_task
from core.exceptions import Conflict, FieldedValidationError
from core.text import clean_text

# The longest comment or reason a transition keeps (the admin's and the applicant's forms say the same).
COMMENT_MAX_LENGTH = 1000

# A guard returns the ValidationErrors that stop a transition now (an empty list lets it pass). Apps above
# applications add theirs from their AppConfig.ready(): review adds the approval blockers.
Guard = Callable[[Application], list[ValidationError]]
_GUARDS: dict[str, list[Guard]] = {}


def register_guard(name: str, guard: Guard) -> None:
    """Run ``guard`` before every ``name`` transition (idempotent: a guard registered twice runs once)."""
    workflow.step(name)  # KeyError for a name that is not a transition
    guards = _GUARDS.setdefault(name, [])
    if guard not in guards:
        guards.append(guard)


def required_reason(reason: str | None, message: str) -> str:
    """The reason stripped; ValidationError "reason_required" on field ``reason`` with ``message`` when empty.

    Text that may not be stored (too long, control characters, not a string) is refused on field ``reason``.
    """
    reason = clean_text(reason, max_length=COMMENT_MAX_LENGTH, multiline=True, field="reason", strip=True)
    if not reason:
        raise field_error("reason", message, ApplicationErrorCode.REASON_REQUIRED)
    return reason


def check_transition(application: Application, name: str, actor: User | None) -> None:
    """403 when the actor's role may never take this transition; 409 when the state does not allow it now."""
    step = workflow.step(name)
    if not step.may_take(application, actor):
        raise PermissionDenied
    if application.state not in step.sources:
        raise Conflict(
            _("当前状态“%(s)s”下不能%(t)s") % {"s": application.staff_state_label, "t": step.verb},
            code=ApplicationErrorCode.TRANSITION_NOT_ALLOWED,
        )


def _finish(
    application: Application,
    *,
    actor: User | None,
    name: str,
    from_state: str,
    comment: str,
    update_fields: Iterable[str] = (),
    data: dict | None = None,
) -> Application:
    """Save a transition, write its event chained by hash to the application's previous event, notify.

    The caller must hold the application's row lock (``locked``), as every transition service does: the chain is
    per application, so that lock alone keeps two transactions from appending to one chain at the same time and
    no global lock is needed. Were it ever missed, the unique (application, prev_hash) constraint refuses the fork.
    The comment is refused on field ``comment`` when it may not be stored (over 1,000 characters, control
    characters): refused, not cut, so nothing the actor typed is silently lost.
    """
    comment = clean_text(comment, max_length=COMMENT_MAX_LENGTH, multiline=True, field="comment", strip=True)
    application.state_changed_at = timezone.now()
    application.save(update_fields=["state", "state_changed_at", "updated_at", *update_fields])
    # The application's history in one read: its last link for the chain, and the whole list for the answer.
    history = list(ApplicationEvent.objects.filter(application=application).select_related("actor").order_by("pk"))
    prev_hash = history[-1].hash if history else None
    event = ApplicationEvent(
        application=application,
        name=name,
        from_state=from_state,
        to_state=application.state,
        actor=actor,
        comment=comment,
        data=data or {},
    )
    audit.seal(event, prev_hash or audit.GENESIS_HASH, key=audit.chain_key())
    event.save(force_insert=True)
    if workflow.step(name).applicant_facing:
        notify_applicant_task.delay_on_commit(event_id=event.pk)
    application.latest_event = event
    written = getattr(application, "written", None) or {}
    written["events"] = sorted([*history, event], key=lambda e: (e.at, e.pk))
    application.written = written
    return application


def _simple_transition(
    application: Application, actor: User | None, name: str, comment: str = "", data: dict | None = None, **kwargs: Any
) -> Application:
    step = workflow.step(name)
    application = locked(application)
    check_transition(application, name, actor)
    from_state = application.state
    getattr(application, step.method)(**kwargs)
    fields = set()
    if name == "return":
        fields = {"return_reason", "return_due_on"}
    elif workflow.Param.REASON in step.params:
        fields.add("decision_reason")
    return _finish(
        application, actor=actor, name=name, from_state=from_state, comment=comment, update_fields=fields, data=data
    )


def refusal(failed: list[rules.Check]) -> FieldedValidationError:
    """Every failed check as one refusal, by code, with each field it names (API: ``fields``)."""
    field_errors: dict[str, list[ValidationError]] = {}
    for check in failed:
        for path, message in check.fields:
            field_errors.setdefault(path, []).append(ValidationError(message, code=check.code))
    return FieldedValidationError(
        [ValidationError(f"{c.name}：{c.message}", code=c.code) for c in failed], field_errors=field_errors
    )


@transaction.atomic
def submit_application(*, application: Application, actor: User, comment: str = "") -> Application:
    """Submit a draft or returned application for the completeness check.

    Raise ValidationError listing every failed check by code ("call_closed", "declarations_missing",
    "attachment_missing", "yearly_cap_reached", ...); nothing changes then. Counting happens under the
    (organisation, year) lock, so two submissions at the same moment cannot both pass a cap.
    """
    application = locked(application, assessing=True)
    check_transition(application, "submit", actor)
    lock_organisation_year(application.organisation_id, application.call.year)
    attachments = list(application.attachments.order_by("kind", "uploaded_at", "pk"))
    assessment = assess(application, attachment_kinds=[a.kind for a in attachments])
    if assessment.failed:
        raise refusal(assessment.failed)
    amounts = store_assessment(application, assessment, save=False)
    application.written = {"units": list(assessment.units), "attachments": attachments}
    from_state = application.state
    application.submit()
    return _finish(
        application,
        actor=actor,
        name="submit",
        from_state=from_state,
        comment=comment,
        update_fields=["submitted_at", "return_reason", "return_due_on", *amounts],
        data={"standard_amount": str(assessment.standard_amount)},
    )


@transaction.atomic
def withdraw_application(*, application: Application, actor: User, comment: str = "") -> Application:
    """Withdraw an application that is not yet decided (applicant)."""
    return _simple_transition(application, actor, "withdraw", comment)


@transaction.atomic
def accept_application(*, application: Application, actor: User, comment: str = "") -> Application:
    """Take a submitted application into review (intake officer)."""
    return _simple_transition(application, actor, "accept", comment)


@transaction.atomic
def return_application(
    *, application: Application, actor: User, reason: str, due_on: date | None, comment: str = ""
) -> Application:
    """Return an application for correction with a reason and a due date (intake officer).

    Raise ValidationError "reason_required" or "due_date_invalid" (missing or in the past).
    """
    reason = required_reason(reason, _("请填写退回原因"))
    if due_on is None or due_on < timezone.localdate():
        raise field_error("due_on", _("请填写今天或以后的补正截止日期"), ApplicationErrorCode.DUE_DATE_INVALID)
    return _simple_transition(application, actor, "return", comment or reason, reason=reason, due_on=due_on)


@transaction.atomic
def reject_application(*, application: Application, actor: User, reason: str, comment: str = "") -> Application:
    """Decide not to fund (intake officer or approver); a reason is required."""
    reason = required_reason(reason, _("请填写不予资助的原因"))
    return _simple_transition(application, actor, "reject", comment or reason, reason=reason)


@transaction.atomic
def approve_application(*, application: Application, actor: User, comment: str = "") -> Application:
    """Approve for funding (approver), enforcing the caps in force under the (organisation, year) row lock.

    Raise ValidationError "yearly_cap_reached", "already_funded" or "organisation_cap_reached"; nothing changes then.
    """
    application = locked(application)
    check_transition(application, "approve", actor)
    # 核准制: the verification checklist complete; 评审制: enough submitted expert scores and the pass mark
    # (review registers these guards: it sits above applications).
    blockers = [error for guard in _GUARDS.get("approve", ()) for error in guard(application)]
    if blockers:
        raise ValidationError(blockers)
    lock_organisation_year(application.organisation_id, application.call.year)
    check = recheck_caps(application)
    units = list(application.units.order_by("position", "pk"))
    for unit, result in zip(units, check.unit_results, strict=True):
        unit.counted_amount, unit.reason_code, unit.reason = result.counted_amount, result.reason_code, result.reason
    ApplicationUnit.objects.bulk_update(units, ["counted_amount", "reason_code", "reason"])
    application.standard_amount = check.standard_amount
    from_state = application.state
    application.approve()
    data = {"standard_amount": str(check.standard_amount)}
    if check.organisation_cap_cut:
        data.update(organisation_cap_cut=str(check.organisation_cap_cut), note=check.note)
    return _finish(
        application,
        actor=actor,
        name="approve",
        from_state=from_state,
        comment=comment,
        update_fields=["standard_amount"],
        data=data,
    )


@transaction.atomic
def send_back_application(*, application: Application, actor: User, reason: str, comment: str = "") -> Application:
    """Send an accepted application back to intake for another look (approver), e.g. when a check failed.

    The reason goes to the event (intake reads it in the history); the application is 已提交（待受理） again and
    the checklist keeps what was recorded. Raise ValidationError "reason_required" without a reason.
    """
    reason = required_reason(reason, _("请填写退回受理复核的原因"))
    application = locked(application)
    check_transition(application, "send_back", actor)
    from_state = application.state
    application.send_back_to_intake()
    return _finish(application, actor=actor, name="send_back", from_state=from_state, comment=comment or reason)


@transaction.atomic
def publish_application(*, application: Application, actor: User, comment: str = "") -> Application:
    """Put an approved application on public notice. Stage-driven: only ``publicity.services.open_publicity_notice``."""
    return _simple_transition(application, actor, "publish", comment)


@transaction.atomic
def confirm_application(
    *, application: Application, actor: User | None = None, comment: str = "", objection_dismissed: bool = False
) -> Application:
    """Confirm the award after a publicity period without an open or upheld objection.

    ``objection_dismissed``: an objection was filed and found groundless (异议不成立); the event's data keeps it, so
    that the award notice says so instead of 「公示期内无异议」.

    Stage-driven: only the publicity close job (``publicity.services.close_ended_notices``), which then asks
    ``notices`` for the award notice.
    """
    data = {"objection_dismissed": True} if objection_dismissed else None
    return _simple_transition(application, actor, "confirm", comment, data=data)


@transaction.atomic
def revoke_application(*, application: Application, actor: User, reason: str, comment: str = "") -> Application:
    """Revoke during publicity. Stage-driven: only an upheld objection (``publicity.services.decide_objection``)."""
    reason = required_reason(reason, _("请填写撤销原因"))
    return _simple_transition(application, actor, "revoke", comment or reason, reason=reason)


@transaction.atomic
def disburse_application(*, application: Application, actor: User, comment: str = "") -> Application:
    """Mark the award paid. Stage-driven: only a paid line of an approved batch (``payouts.services``), which then
    asks ``evaluations`` to open the performance report."""
    return _simple_transition(application, actor, "disburse", comment)


@transaction.atomic
def evaluate_application(*, application: Application, actor: User, comment: str = "") -> Application:
    """Record a passed performance evaluation. Stage-driven: only ``evaluations.services``."""
    return _simple_transition(application, actor, "evaluate", comment)


@transaction.atomic
def claw_back_application(*, application: Application, actor: User, reason: str, comment: str = "") -> Application:
    """Open a clawback after a failed evaluation or fraud. Stage-driven: only ``evaluations.services``."""
    reason = required_reason(reason, _("请填写追回原因"))
    return _simple_transition(application, actor, "claw_back", comment or reason, reason=reason)


@transaction.atomic
def close_application(*, application: Application, actor: User, comment: str = "") -> Application:
    """Close an evaluated application, or a clawback once repaid. Stage-driven: only ``evaluations.services``."""
    return _simple_transition(application, actor, "close", comment)


TRANSITION_SERVICES: dict[str, Callable[..., Application]] = {
    "submit": submit_application,
    "withdraw": withdraw_application,
    "accept": accept_application,
    "return": return_application,
    "reject": reject_application,
    "approve": approve_application,
    "send_back": send_back_application,
    "publish": publish_application,
    "confirm": confirm_application,
    "revoke": revoke_application,
    "disburse": disburse_application,
    "evaluate": evaluate_application,
    "claw_back": claw_back_application,
    "close": close_application,
}


def run_transition(*, application: Application, actor: User | None, name: str, **params: Any) -> Application:
    """Take a person-driven transition by its public name ("submit", "return", ...) with its parameters.

    Raise ValidationError "transition_unknown" for a name that is not a transition; Conflict
    "transition_driven_by_stage" for one that only its stage may take (publish, confirm, revoke, disburse,
    evaluate, claw_back, close), whoever asks and whatever the state: nothing changes then.
    """
    step = workflow.BY_NAME.get(name)
    if step is None:
        raise field_error("name", _("没有这个操作：%(n)s") % {"n": name}, ApplicationErrorCode.TRANSITION_UNKNOWN)
    if not step.person_driven:
        raise Conflict(
            _("“%(t)s”不能在此直接操作，%(where)s。") % {"t": step.label, "where": step.where},
            code=ApplicationErrorCode.TRANSITION_DRIVEN_BY_STAGE,
        )
    kwargs: dict[str, Any] = {
        "comment": clean_text(
            params.get("comment"), max_length=COMMENT_MAX_LENGTH, multiline=True, field="comment", strip=True
        )
    }
    if workflow.Param.REASON in step.params:
        kwargs["reason"] = clean_text(
            params.get("reason"), max_length=COMMENT_MAX_LENGTH, multiline=True, field="reason", strip=True
        )
    if workflow.Param.DUE_ON in step.params:
        kwargs["due_on"] = clean_date(params.get("due_on"), "due_on")
    return TRANSITION_SERVICES[name](application=application, actor=actor, **kwargs)


def available_transitions(application: Application, user: User | None) -> list[str]:
    """Public names of the person-driven transitions this user may take now (state and role, not business checks).

    Stage-driven ones are never listed: no person takes them by name.
    """
    return [
        step.name
        for step in workflow.STEPS
        if step.person_driven and application.state in step.sources and step.may_take(application, user)
    ]
