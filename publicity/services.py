"""Writes of publicity and objections: open a notice, file and decide objections, close ended notices (SPEC §4)."""

import logging
from datetime import date

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import APPROVER, user_has_role
from allocations.models import AllocationRun, RunStatus
from applications.models import Application, State
from applications.services import confirm_application, publish_application, revoke_application
from core.exceptions import Conflict
from core.text import clean_text, invalid_character, text_error
from core.uploads import ALLOWED_UPLOADS, inspect_upload
from notices.hooks import on_awarded
from programs.models import Call
from publicity import rules
from publicity.calendar import add_working_days
from publicity.error_codes import PublicityErrorCode
from publicity.models import (
    Objection,
    ObjectionStatus,
    PublicityEntry,
    PublicityNotice,
    phone_validator,
)

logger = logging.getLogger(__name__)

NAME_MAX = 50
ORGANISATION_MAX = 200
CONTENT_MAX = 5000
DECISION_REASON_MAX_LENGTH = 2000


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def may_manage_publicity(user: object) -> bool:
    """Approvers (and superusers) open notices and decide objections."""
    return user_has_role(user, APPROVER)


@transaction.atomic
def open_publicity_notice(*, call: Call, actor: User, title: str = "") -> PublicityNotice:
    """Open a notice for all of a call's approved applications and put each on public notice.

    The period starts today and lasts ``call.publicity_working_days`` working days (today counting as the first
    when it is a working day); its end is computed by ``core.calendar`` and stored. Each entry copies the
    organisation name, the program and the allocated amount at opening.

    Raise PermissionDenied for anyone but an approver; ValidationError "allocation_missing" before a finished
    allocation run of the call (or when an approved application has no allocated amount yet), "nothing_to_publish"
    when the call has no approved application; Conflict "allocation_running" while an allocation run is in progress.
    """
    if not may_manage_publicity(actor):
        raise PermissionDenied
    call = Call.objects.select_for_update().get(pk=call.pk)
    runs = AllocationRun.objects.filter(call=call)
    if runs.filter(status__in=(RunStatus.PENDING, RunStatus.RUNNING)).exists():
        raise Conflict(
            _("本批次正在进行资金分配，请待分配完成后再发布公示"), code=PublicityErrorCode.ALLOCATION_RUNNING
        )
    if not runs.filter(status=RunStatus.DONE).exists():
        raise ValidationError(_("本批次尚未完成资金分配，不能发布公示"), code=PublicityErrorCode.ALLOCATION_MISSING)
    applications = list(
        Application.objects.filter(call=call, state=State.APPROVED)
        .select_related("organisation", "program")
        .order_by("program__code", "organisation__name", "pk")
    )
    if not applications:
        raise ValidationError(_("本批次没有“拟资助”的申报可以公示"), code=PublicityErrorCode.NOTHING_TO_PUBLISH)
    unallocated = [a for a in applications if a.allocated_amount is None]
    if unallocated:
        raise ValidationError(
            _("有%(n)d项拟资助申报在最近一次资金分配之后才审定，请重新运行资金分配后再发布公示")
            % {"n": len(unallocated)},
            code=PublicityErrorCode.ALLOCATION_MISSING,
        )
    today = timezone.localdate()
    ends_on, provisional = add_working_days(today, call.publicity_working_days)
    notice = PublicityNotice.objects.create(
        call=call,
        title=(title or "").strip() or rules.default_notice_title(call.title),
        opened_by=actor,
        starts_on=today,
        ends_on=ends_on,
        provisional=provisional,
        working_days=call.publicity_working_days,
    )
    entries = []
    for position, application in enumerate(applications):
        publish_application(application=application, actor=actor, comment=notice.title)
        entries.append(
            PublicityEntry(
                notice=notice,
                application=application,
                position=position,
                organisation_name=application.organisation.name,
                program_code=application.program.code,
                program_name=application.program.name,
                amount=application.allocated_amount,
            )
        )
    PublicityEntry.objects.bulk_create(entries)
    logger.info("publicity notice %s opened for call %s with %d entries", notice.pk, call.pk, len(entries))
    return notice


def _clean_letter(letter: UploadedFile) -> tuple[str, str]:
    """Check an uploaded letter's size and real type; return (content type, sanitised original name)."""
    facts = inspect_upload(letter, field="letter", default_name="letter")
    return facts.content_type, facts.original_name


@transaction.atomic
def file_objection(
    *,
    notice: PublicityNotice,
    entry: PublicityEntry | None = None,
    name: str,
    organisation: str = "",
    phone: str,
    content: str,
    letter: UploadedFile | None = None,
    ip: str = "",
) -> Objection:
    """Record a real-name objection to a notice (or to one entry of it) from the public.

    Raise ValidationError "publicity_closed" outside the publicity period, "anonymous_refused" without a name and
    a phone number, field errors ("required", "phone_invalid", "too_long", "entry_invalid", "file_too_large",
    "file_type_not_allowed", "file_empty") for the rest. The IP address is stored only as a keyed digest.
    """
    notice = PublicityNotice.objects.select_for_update().get(pk=notice.pk)
    if not rules.accepts_objections(starts_on=notice.starts_on, ends_on=notice.ends_on, today=timezone.localdate()):
        raise ValidationError(_("该公示不在公示期内，不再受理异议"), code=PublicityErrorCode.PUBLICITY_CLOSED)
    name, organisation = (name or "").strip(), (organisation or "").strip()
    phone, content = (phone or "").strip(), (content or "").strip()
    errors: dict[str, list[ValidationError]] = {}
    if not name and not phone:
        errors[NON_FIELD_ERRORS] = [
            ValidationError(
                _("异议实行实名制，请填写真实姓名和联系电话；匿名异议不予受理"),
                code=PublicityErrorCode.ANONYMOUS_REFUSED,
            )
        ]
    if not name:
        errors.setdefault("name", []).append(ValidationError(_("请填写真实姓名"), code=PublicityErrorCode.REQUIRED))
    elif len(name) > NAME_MAX:
        errors.setdefault("name", []).append(ValidationError(_("姓名过长"), code=PublicityErrorCode.TOO_LONG))
    if not phone:
        errors.setdefault("phone", []).append(ValidationError(_("请填写联系电话"), code=PublicityErrorCode.REQUIRED))
    else:
        try:
            phone_validator(phone)
        except ValidationError as error:
            errors.setdefault("phone", []).append(error)
    if len(organisation) > ORGANISATION_MAX:
        errors.setdefault("organisation", []).append(
            ValidationError(_("单位名称过长"), code=PublicityErrorCode.TOO_LONG)
        )
    if not content:
        errors.setdefault("content", []).append(
            ValidationError(_("请填写异议内容和理由"), code=PublicityErrorCode.REQUIRED)
        )
    elif len(content) > CONTENT_MAX:
        errors.setdefault("content", []).append(
            ValidationError(
                _("异议内容不超过%(n)d字，可上传异议书说明详情") % {"n": CONTENT_MAX}, code=PublicityErrorCode.TOO_LONG
            )
        )
    # No NUL, lone surrogates or control characters (a 500 on PostgreSQL); no line breaks but in the content.
    for field, value, multiline in (
        ("name", name, False),
        ("organisation", organisation, False),
        ("phone", phone, False),
        ("content", content, True),
    ):
        if value and invalid_character(value, multiline=multiline) is not None:
            errors[field] = [text_error(value, max_length=None, multiline=multiline)]
    if entry is not None and entry.notice_id != notice.pk:
        errors.setdefault("entry", []).append(
            ValidationError(_("所选申报不在本公示中"), code=PublicityErrorCode.ENTRY_INVALID)
        )
    letter_type = letter_name = ""
    if letter is not None:
        try:
            letter_type, letter_name = _clean_letter(letter)
        except ValidationError as error:
            errors.setdefault("letter", []).extend(error.error_dict["letter"])
    if errors:
        raise ValidationError(errors)
    objection = Objection(
        notice=notice,
        entry=entry,
        name=name,
        organisation=organisation,
        phone=phone,
        content=content,
        ip_hash=rules.hash_ip(ip, key=settings.SECRET_KEY),
        letter_name=letter_name,
        letter_content_type=letter_type,
    )
    if letter is not None:
        objection.letter.save(f"letter{ALLOWED_UPLOADS[letter_type][1]}", letter, save=False)
    try:
        objection.save()
    except Exception:
        if objection.letter:
            objection.letter.delete(save=False)
        raise
    return objection


@transaction.atomic
def decide_objection(*, objection: Objection, actor: User, uphold: bool, reason: str) -> Objection:
    """Uphold or dismiss an open objection with a reason (approver).

    Upholding revokes the objected application (in_publicity → rejected) with the reason in its event; dismissing
    changes nothing else. When the period has already ended, the notice is then closed as far as it can be (the
    entries no longer held are confirmed), as the scheduled job would.

    Raise PermissionDenied for anyone but an approver; ValidationError "reason_required", "entry_required" (uphold
    an objection that names no application); Conflict "already_decided".
    """
    if not may_manage_publicity(actor):
        raise PermissionDenied
    objection = Objection.objects.select_for_update(of=("self",)).select_related("notice", "entry").get(pk=objection.pk)
    if objection.status != ObjectionStatus.OPEN:
        raise Conflict(_("该异议已处理，不能重复处理"), code=PublicityErrorCode.ALREADY_DECIDED)
    reason = clean_text(reason, max_length=DECISION_REASON_MAX_LENGTH, multiline=True, field="reason", strip=True)
    if not reason:
        raise _field_error("reason", _("请填写处理意见"), PublicityErrorCode.REASON_REQUIRED)
    if uphold:
        if objection.entry is None:
            raise _field_error(
                "reason", _("该异议未指明具体申报，无法撤销；请联系异议人确认后处理"), PublicityErrorCode.ENTRY_REQUIRED
            )
        application = objection.entry.application
        if application.state != State.REJECTED:
            revoke_application(application=application, actor=actor, reason=reason, comment=_("异议成立：") + reason)
    objection.status = ObjectionStatus.UPHELD if uphold else ObjectionStatus.DISMISSED
    objection.decided_by = actor
    objection.decided_at = timezone.now()
    objection.decision_reason = reason
    objection.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    today = timezone.localdate()
    if objection.notice.ends_on < today:
        _close_notice(objection.notice.pk, today)
    return objection


def _close_notice(notice_id: int, today: date) -> dict[str, int]:
    """Confirm the entries of an ended notice that nothing holds; close the notice when none is left open."""
    counts = {"confirmed": 0, "held": 0, "closed": 0}
    notice = PublicityNotice.objects.select_for_update().get(pk=notice_id)
    if notice.closed_at is not None or notice.ends_on >= today:
        return counts
    objections = list(notice.objections.values_list("entry_id", "status"))
    notice_open = any(entry_id is None and status == ObjectionStatus.OPEN for entry_id, status in objections)
    notice_wide = [status for entry_id, status in objections if entry_id is None]
    by_entry: dict[int, list[str]] = {}
    for entry_id, status in objections:
        if entry_id is not None:
            by_entry.setdefault(entry_id, []).append(status)
    for entry in notice.entries.select_related("application").order_by("position", "pk"):
        outcome = rules.entry_outcome(
            in_publicity=entry.application.state == State.IN_PUBLICITY,
            objection_statuses=by_entry.get(entry.pk, ()),
            notice_has_open_objection=notice_open,
        )
        if outcome == rules.Outcome.CONFIRM:
            # An objection to this entry or to the whole notice that was dismissed (异议不成立) is said as such.
            dismissed = ObjectionStatus.DISMISSED in [*by_entry.get(entry.pk, ()), *notice_wide]
            awarded = confirm_application(
                application=entry.application,
                actor=None,
                comment=_("公示期满，异议经核查不成立") if dismissed else _("公示期满无异议"),
                objection_dismissed=dismissed,
            )
            # The next stage: the award notice is rendered in a background job once this transaction commits.
            on_awarded(awarded)
            counts["confirmed"] += 1
        elif outcome == rules.Outcome.HOLD:
            counts["held"] += 1
    if counts["held"] == 0 and not notice.objections.filter(status=ObjectionStatus.OPEN).exists():
        notice.closed_at = timezone.now()
        notice.save(update_fields=["closed_at"])
        counts["closed"] = 1
    return counts


def close_ended_notices(*, today: date | None = None) -> dict[str, int]:
    """Close the notices whose period ended before ``today`` (the scheduled job; safe to run any number of times).

    For each unclosed notice with ``ends_on < today``: every entry still in publicity without an open or upheld
    objection is confirmed (in_publicity → awarded, actor None = the system); entries with an open objection stay in
    publicity; the notice is marked closed once nothing is left open. Each notice is handled in its own
    transaction. Return counts: notices looked at, applications confirmed, entries held, notices closed.
    """
    today = today or timezone.localdate()
    totals = {"notices": 0, "confirmed": 0, "held": 0, "closed": 0}
    notice_ids = list(
        PublicityNotice.objects.unclosed().ended_before(today).order_by("ends_on", "pk").values_list("pk", flat=True)
    )
    for notice_id in notice_ids:
        with transaction.atomic():
            counts = _close_notice(notice_id, today)
        totals["notices"] += 1
        for key, value in counts.items():
            totals[key] += value
    return totals
