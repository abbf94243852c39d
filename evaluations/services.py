"""Writes of performance evaluation: reports, grades, clawbacks, sanctions and reminders (SPEC §4 绩效评价).

State changes of the application go through ``applications.services`` (which write the event rows);
this module only adds the evaluation records around them, in the same transaction.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Sanction, User
from accounts.roles import APPROVER, FINANCE, INTAKE, user_has_role
from applications import services as application_services
from applications.models import Application, ApplicationEvent, State
from applications.tasks import notify_members_task
from core.db import bulk_insert
from core.exceptions import Conflict
from core.text import clean_text
from core.uploads import inspect_upload
from evaluations import rules
from evaluations.error_codes import EvaluationErrorCode
from evaluations.models import (
    Clawback,
    Grade,
    PerformanceReport,
    ReportAttachment,
    ReportStatus,
    ReportTargetResult,
)
from programs.models import Call, Program

# Refused beyond these lengths, never cut: the achieved value is the column's length; the texts as the forms say.
ACHIEVED_MAX_LENGTH = 100
EXPLANATION_MAX_LENGTH = 2000
COMMENT_MAX_LENGTH = 1000


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _require_member(application: Application, actor: User | None) -> None:
    membership = getattr(actor, "membership", None) if getattr(actor, "is_authenticated", False) else None
    if membership is None or membership.organisation_id != application.organisation_id:
        raise PermissionDenied


def _require_reviewer(actor: User | None) -> None:
    if not (user_has_role(actor, INTAKE) or user_has_role(actor, APPROVER)):
        raise PermissionDenied


def _locked_report(report: PerformanceReport) -> PerformanceReport:
    return (
        PerformanceReport.objects.select_for_update(of=("self",))
        .select_related("application__program", "application__call", "application__organisation")
        .get(pk=report.pk)
    )


def disbursed_on(application: Application) -> date:
    """The day the award was paid: the latest disburse event, else the last state change."""
    event = ApplicationEvent.objects.filter(application=application, name="disburse").order_by("-at", "-pk").first()
    moment = event.at if event is not None else application.state_changed_at
    return timezone.localdate(moment)


# --- Opening a report ------------------------------------------------------------------------


@transaction.atomic
def open_report(*, application: Application) -> PerformanceReport | None:
    """Ask for the performance report of a disbursed application whose program requires one.

    Idempotent: return the existing report if there is one. Return None when the program requires no report
    (a reviewer then calls ``complete_without_report``). Raise Conflict "not_disbursed" for an application
    that has not been paid. Meant to be called right after ``disburse_application``; the daily reminder job
    also opens any report that is missing.
    """
    application = (
        Application.objects.select_for_update(of=("self",)).select_related("call", "program").get(pk=application.pk)
    )
    existing = PerformanceReport.objects.filter(application=application).first()
    if existing is not None:
        return existing
    if not rules.report_required(application.program):
        return None
    if application.state != State.DISBURSED:
        raise Conflict(_("资金拨付后才需提交绩效报告"), code=EvaluationErrorCode.NOT_DISBURSED)
    months = rules.report_due_months(application.call, application.program)
    return PerformanceReport.objects.create(
        application=application, due_on=rules.report_due_on(disbursed_on(application), months)
    )


@transaction.atomic
def open_reports_in_bulk(*, application_ids: list[int], disbursed_on: date) -> int:
    """``open_report`` for many applications just disbursed on ``disbursed_on``, in a constant number of statements.

    Skip those already asked for a report, those not disbursed and those whose program requires none. Return how
    many reports were opened.
    """
    if not application_ids:
        return 0
    rows = list(
        Application.objects.filter(pk__in=application_ids, state=State.DISBURSED, performance_report__isnull=True)
        .order_by("pk")
        .values_list("pk", "call_id", "program_id")
    )
    programs = {p.pk: p for p in Program.objects.filter(pk__in={r[2] for r in rows})}
    calls = {c.pk: c for c in Call.objects.filter(pk__in={r[1] for r in rows})}
    now = timezone.now()
    reports = [
        PerformanceReport(
            application_id=pk,
            due_on=rules.report_due_on(disbursed_on, rules.report_due_months(calls[call], programs[program])),
            created_at=now,
            updated_at=now,
        )
        for pk, call, program in rows
        if rules.report_required(programs[program])
    ]
    # One COPY on PostgreSQL whatever the number (a bank file of 20,000 lines opens 20,000 reports at once).
    bulk_insert(
        PerformanceReport,
        reports,
        ("application", "due_on", "status", "grade", "grade_comment", "created_at", "updated_at"),
    )
    return len(reports)


@transaction.atomic
def complete_without_report(*, application: Application, actor: User, comment: str = "") -> Application:
    """Finish the evaluation of a disbursed application whose program requires no report (intake or approver).

    Raise ValidationError "report_required" when the program does require a report; PermissionDenied and
    Conflict as ``evaluate_application`` does.
    """
    _require_reviewer(actor)
    application = Application.objects.select_related("program").get(pk=application.pk)
    if rules.report_required(application.program):
        raise _field_error(
            "application", _("本项目须提交绩效报告，应对报告作出评价"), EvaluationErrorCode.REPORT_REQUIRED
        )
    return application_services.evaluate_application(
        application=application, actor=actor, comment=comment or _("本项目无须提交绩效报告")
    )


# --- The applicant's report ------------------------------------------------------------------


@transaction.atomic
def submit_report(
    *, report: PerformanceReport, actor: User, results: Mapping[int, tuple[str, str]]
) -> PerformanceReport:
    """Save the achieved value and an explanation for every declared target and submit the report.

    ``results`` maps a PerformanceTarget id to (achieved, explanation). The report may be submitted again
    until it is graded, also after its due date. Raise PermissionDenied for a non-member; Conflict
    "report_graded" once graded; ValidationError keyed ``target_<id>`` with code "target_missing" for each
    target left unanswered and "target_unknown" for an id that is not this application's target.
    """
    report = _locked_report(report)
    application = report.application
    _require_member(application, actor)
    if not report.is_editable:
        raise Conflict(_("绩效报告已评价，不能再修改"), code=EvaluationErrorCode.REPORT_GRADED)
    targets = {target.pk: target for target in application.targets.all()}
    errors: dict[str, ValidationError] = {}
    for target_id in results:
        if target_id not in targets:
            errors[f"target_{target_id}"] = ValidationError(
                _("没有这项绩效目标"), code=EvaluationErrorCode.TARGET_UNKNOWN
            )
    cleaned: dict[int, tuple[str, str]] = {}
    for target_id, target in targets.items():
        achieved, explanation = results.get(target_id, ("", ""))
        try:
            achieved = clean_text(achieved, max_length=ACHIEVED_MAX_LENGTH, strip=True)
            explanation = clean_text(explanation, max_length=EXPLANATION_MAX_LENGTH, multiline=True, strip=True)
        except ValidationError as error:
            errors[f"target_{target_id}"] = error
            continue
        if not achieved or not explanation:
            errors[f"target_{target_id}"] = ValidationError(
                _("请填写“%(indicator)s”的实际完成值和完成情况说明") % {"indicator": target.indicator},
                code=EvaluationErrorCode.TARGET_MISSING,
            )
            continue
        cleaned[target_id] = (achieved, explanation)
    if errors:
        raise ValidationError(errors)
    for target_id, (achieved, explanation) in cleaned.items():
        ReportTargetResult.objects.update_or_create(
            report=report, target_id=target_id, defaults={"achieved": achieved, "explanation": explanation}
        )
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = timezone.now()
    report.submitted_by = actor
    report.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    return report


@transaction.atomic
def add_report_attachment(*, report: PerformanceReport, actor: User, uploaded_file: UploadedFile) -> ReportAttachment:
    """Store a supporting file privately after checking its size and real content type (as application uploads).

    Raise ValidationError "file_empty", "file_too_large" or "file_type_not_allowed" (key "file");
    Conflict "report_graded" once graded; PermissionDenied for a non-member.
    """
    report = _locked_report(report)
    _require_member(report.application, actor)
    if not report.is_editable:
        raise Conflict(_("绩效报告已评价，不能再上传附件"), code=EvaluationErrorCode.REPORT_GRADED)
    facts = inspect_upload(uploaded_file)
    attachment = ReportAttachment(
        report=report,
        original_name=facts.original_name,
        content_type=facts.content_type,
        size=facts.size,
        sha256=facts.sha256,
        uploaded_by=actor,
    )
    attachment.file.save(f"upload{facts.suffix}", uploaded_file, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def delete_report_attachment(*, attachment: ReportAttachment, actor: User) -> None:
    """Remove a report attachment while the report can still be changed (member)."""
    report = _locked_report(attachment.report)
    _require_member(report.application, actor)
    if not report.is_editable:
        raise Conflict(_("绩效报告已评价，不能再删除附件"), code=EvaluationErrorCode.REPORT_GRADED)
    stored = attachment.file.name
    storage = attachment.file.storage
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(stored))


# --- Grading, clawbacks and sanctions --------------------------------------------------------


def _open_clawback(
    *,
    application: Application,
    actor: User,
    reason: str,
    amount: Decimal | None,
    due_on: date | None,
    sanction_ends_on: date | None,
) -> Clawback:
    """Move the application to clawback and record the clawback and the organisation's sanction."""
    today = timezone.localdate()
    if amount is None:
        amount = rules.default_clawback_amount(application.allocated_amount, application.standard_amount)
    if amount <= 0:
        raise _field_error("amount", _("追回金额必须大于0"), EvaluationErrorCode.AMOUNT_INVALID)
    application = application_services.claw_back_application(application=application, actor=actor, reason=reason)
    sanction = _record_sanction(
        organisation_id=application.organisation_id, actor=actor, reason=reason, ends_on=sanction_ends_on
    )
    return Clawback.objects.create(
        application=application,
        amount=amount,
        due_on=due_on or rules.default_clawback_due_on(today),
        reason=reason,
        sanction=sanction,
        opened_by=actor,
    )


def _record_sanction(*, organisation_id: int, actor: User, reason: str, ends_on: date | None) -> Sanction:
    starts_on = timezone.localdate()
    ends_on = ends_on or rules.default_sanction_ends_on(starts_on)
    if ends_on <= starts_on:
        raise _field_error(
            "sanction_ends_on", _("限制申报截止日期必须晚于今天"), EvaluationErrorCode.SANCTION_DATES_INVALID
        )
    return Sanction.objects.create(
        organisation_id=organisation_id, reason=reason, starts_on=starts_on, ends_on=ends_on, created_by=actor
    )


@transaction.atomic
def grade_report(
    *,
    report: PerformanceReport,
    actor: User,
    grade: str,
    comment: str = "",
    clawback_amount: Decimal | None = None,
    clawback_due_on: date | None = None,
    sanction_ends_on: date | None = None,
) -> PerformanceReport:
    """Grade a submitted report (优秀/良好/合格 move the application to evaluated; 不合格 opens a clawback).

    A pass may be given by an intake officer or an approver. 不合格 claws funds back and sanctions the
    organisation (default: the whole award, repay within 90 days, barred for 3 years), so only an approver
    may give it; it needs a comment, which becomes the clawback reason. An overdue report that was never
    submitted can only be failed. Raise PermissionDenied, Conflict "report_not_submitted"/"report_graded",
    ValidationError "grade_invalid"/"comment_required"/"amount_invalid".
    """
    _require_reviewer(actor)
    report = _locked_report(report)
    if grade not in Grade.values:
        raise _field_error("grade", _("请选择评价等级"), EvaluationErrorCode.GRADE_INVALID)
    if report.status == ReportStatus.GRADED:
        raise Conflict(_("绩效报告已评价"), code=EvaluationErrorCode.REPORT_GRADED)
    passed = rules.is_passing(grade)
    if report.status == ReportStatus.PENDING or (report.status == ReportStatus.OVERDUE and passed):
        raise Conflict(_("申报单位尚未提交绩效报告"), code=EvaluationErrorCode.REPORT_NOT_SUBMITTED)
    comment = clean_text(comment, max_length=COMMENT_MAX_LENGTH, multiline=True, field="comment", strip=True)
    if passed:
        application_services.evaluate_application(
            application=report.application,
            actor=actor,
            comment=_("绩效评价：%(g)s。%(c)s") % {"g": Grade(grade).label, "c": comment},
        )
    else:
        if not user_has_role(actor, APPROVER):
            raise PermissionDenied
        if not comment:
            raise _field_error(
                "comment",
                _("评价为不合格时须填写评价意见（作为追回原因告知申报单位）"),
                EvaluationErrorCode.COMMENT_REQUIRED,
            )
        _open_clawback(
            application=report.application,
            actor=actor,
            reason=_("绩效评价不合格：%(c)s") % {"c": comment},
            amount=clawback_amount,
            due_on=clawback_due_on,
            sanction_ends_on=sanction_ends_on,
        )
    report.status = ReportStatus.GRADED
    report.grade = grade
    report.grade_comment = comment
    report.graded_by = actor
    report.graded_at = timezone.now()
    report.save(update_fields=["status", "grade", "grade_comment", "graded_by", "graded_at", "updated_at"])
    return report


@dataclass(frozen=True)
class FraudOutcome:
    sanction: Sanction
    clawback: Clawback | None


FRAUD_STATES = (State.AWARDED, State.DISBURSED, State.EVALUATED, State.CLAWBACK, State.CLOSED)


@transaction.atomic
def report_fraud(
    *,
    application: Application,
    actor: User,
    reason: str,
    amount: Decimal | None = None,
    due_on: date | None = None,
    sanction_ends_on: date | None = None,
) -> FraudOutcome:
    """Record fraud found after award (approver): sanction the organisation and claw back paid funds.

    Disbursed or evaluated: the application moves to clawback with a Clawback row (default the whole award).
    Awarded but not paid, already in clawback, or closed: the workflow has no transition to take, so only the
    sanction is recorded (the caller must stop payout of an awarded one). Raise PermissionDenied for a
    non-approver; Conflict "not_awarded" before award; ValidationError "reason_required".
    """
    if not user_has_role(actor, APPROVER):
        raise PermissionDenied
    reason = clean_text(reason, max_length=COMMENT_MAX_LENGTH, multiline=True, field="reason", strip=True)
    if not reason:
        raise _field_error("reason", _("请填写查实的违规情形"), EvaluationErrorCode.REASON_REQUIRED)
    application = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
    if application.state not in FRAUD_STATES:
        raise Conflict(_("只有已核准的申报才能登记违规追回"), code=EvaluationErrorCode.NOT_AWARDED)
    full_reason = _("查实违规：%(r)s") % {"r": reason}
    if application.state in (State.DISBURSED, State.EVALUATED):
        clawback = _open_clawback(
            application=application,
            actor=actor,
            reason=full_reason,
            amount=amount,
            due_on=due_on,
            sanction_ends_on=sanction_ends_on,
        )
        return FraudOutcome(sanction=clawback.sanction, clawback=clawback)
    sanction = _record_sanction(
        organisation_id=application.organisation_id, actor=actor, reason=full_reason, ends_on=sanction_ends_on
    )
    return FraudOutcome(sanction=sanction, clawback=None)


@transaction.atomic
def record_repayment(*, clawback: Clawback, actor: User) -> Clawback:
    """Record that the clawed-back funds were repaid and close the application (approver or finance).

    The sanction stays in force until its end date. Raise PermissionDenied; Conflict "already_repaid".
    """
    if not (user_has_role(actor, APPROVER) or user_has_role(actor, FINANCE)):
        raise PermissionDenied
    clawback = Clawback.objects.select_for_update(of=("self",)).get(pk=clawback.pk)
    if clawback.is_repaid:
        raise Conflict(_("已登记退回"), code=EvaluationErrorCode.ALREADY_REPAID)
    clawback.repaid_at = timezone.now()
    clawback.repaid_recorded_by = actor
    clawback.save(update_fields=["repaid_at", "repaid_recorded_by"])
    application = Application.objects.get(pk=clawback.application_id)
    if application.state == State.CLAWBACK:
        application_services.close_application(
            application=application, actor=actor, comment=_("追回资金 %(a)s 元已退回") % {"a": clawback.amount}
        )
    return clawback


# --- The scheduled job -------------------------------------------------------------------------


def _notify_members(report: PerformanceReport, title: str, body: str, *, key: str) -> None:
    """Tell the applicant organisation through the portal's one notification path (in the portal and by e-mail,
    after commit, once per member and ``key``)."""
    application = report.application
    url = f"{settings.SITE_URL.rstrip('/')}{report.get_absolute_url()}"
    body = f"{body}\n{_('填写绩效报告：%(url)s') % {'url': url}}"
    notify_members_task.delay_on_commit(application_id=application.pk, title=title, body=body, key=key)


def _mark_overdue(report: PerformanceReport) -> None:
    application = report.application
    report.status = ReportStatus.OVERDUE
    report.overdue_at = timezone.now()
    report.save(update_fields=["status", "overdue_at", "updated_at"])
    facts = {"ref": application.reference, "program": application.program.name, "due": report.due_on}
    _notify_members(
        report,
        _("%(ref)s 绩效报告已逾期") % facts,
        _("您的申报 %(ref)s（%(program)s）的绩效报告应于 %(due)s 前提交，目前已逾期，请尽快提交。") % facts,
        key=f"report-overdue:{report.pk}",
    )


def _remind(report: PerformanceReport) -> None:
    application = report.application
    report.reminded_at = timezone.now()
    report.save(update_fields=["reminded_at", "updated_at"])
    facts = {"ref": application.reference, "program": application.program.name, "due": report.due_on}
    _notify_members(
        report,
        _("%(ref)s 绩效报告将于 %(due)s 到期") % facts,
        _("您的申报 %(ref)s（%(program)s）的绩效报告应于 %(due)s 前提交，请按时填写各项绩效目标的完成情况。") % facts,
        key=f"report-reminder:{report.pk}",
    )


def send_report_reminders(*, today: date | None = None) -> dict[str, int]:
    """Open missing reports, remind once within 14 days before the due date, mark reports overdue once.

    Safe to run any number of times: ``reminded_at`` and the overdue status record what was done; each
    report is handled under its own row lock. Return counts {"opened", "reminded", "overdue"}.
    """
    today = today or timezone.localdate()
    counts = {"opened": 0, "reminded": 0, "overdue": 0}
    missing = Application.objects.filter(
        state=State.DISBURSED, program__report_required=True, performance_report__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(missing):
        with transaction.atomic():
            if not PerformanceReport.objects.filter(application_id=pk).exists():
                open_report(application=Application(pk=pk))
                counts["opened"] += 1
    candidates = PerformanceReport.objects.filter(
        status=ReportStatus.PENDING, application__state=State.DISBURSED
    ).values_list("pk", flat=True)
    for pk in list(candidates):
        with transaction.atomic():
            report = (
                PerformanceReport.objects.select_for_update(of=("self",))
                .select_related("application__program")
                .filter(pk=pk, status=ReportStatus.PENDING)
                .first()
            )
            if report is None:
                continue
            if rules.is_overdue(report.due_on, today):
                _mark_overdue(report)
                counts["overdue"] += 1
            elif report.reminded_at is None and rules.reminder_due(report.due_on, today):
                _remind(report)
                counts["reminded"] += 1
    return counts
