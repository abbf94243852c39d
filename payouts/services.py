"""Payout writes (SPEC §4 拨付): build, approve, export, record results. Each writes a PayoutEvent.

Only finance may call them; the admin, the API, commands and tests all go through these functions.
"""

import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import User
from accounts.roles import FINANCE
from applications.error_codes import ApplicationErrorCode
from applications.models import Application, State
from applications.services import disburse_application, lock_organisation_year, recheck_caps, transition_in_bulk
from core.db import bulk_insert, bulk_set
from core.exceptions import Conflict
from evaluations.services import open_report, open_reports_in_bulk
from payouts.error_codes import PayoutErrorCode
from payouts.models import BatchStatus, LineStatus, PayoutBatch, PayoutEvent, PayoutLine
from payouts.rules import batch_checksum, batch_tampered, payee_problem
from payouts.selectors import lines_fingerprint, may_pay
from programs.models import Call, Program

SKIP_MESSAGES = {
    PayoutErrorCode.NOT_AWARDED: "申报不是“已核准（待拨付）”状态",
    PayoutErrorCode.ALREADY_IN_BATCH: "申报已在其他拨付批次中（未失败）",
    PayoutErrorCode.NOT_ALLOCATED: "申报尚无核定资助金额",
    PayoutErrorCode.BANK_ACCOUNT_INCOMPLETE: "收款账户信息不完整，或账户名称与单位名称不一致",
    PayoutErrorCode.BANK_ACCOUNT_INVALID: "银行账号应为8至30位数字",
}


@dataclass(frozen=True)
class Skipped:
    """An application left out of a batch, and why (a stable code and a Chinese message)."""

    application_id: int
    reference: str
    code: str
    message: str


class BatchCreation(NamedTuple):
    batch: PayoutBatch
    skipped: list[Skipped]


def _require_finance(actor: User | None) -> None:
    if not may_pay(actor):
        raise PermissionDenied


def _event(batch: PayoutBatch, name: str, actor: User | None, line: PayoutLine | None = None, **data: Any) -> None:
    PayoutEvent.objects.create(batch=batch, line=line, name=name, actor=actor, data=data)


def live_lines() -> "Any":
    return PayoutLine.objects.exclude(status=LineStatus.FAILED)


def _candidates(
    applications: Iterable[Application | int] | None, call: Call | None, program: Program | None
) -> list[int]:
    if applications is not None:
        return sorted({a if isinstance(a, int) else a.pk for a in applications})
    if call is None and program is None:
        raise ValidationError(_("请选择申报批次、资助项目或具体申报"), code=PayoutErrorCode.SELECTION_REQUIRED)
    query = Application.objects.filter(state=State.AWARDED)
    if call is not None:
        query = query.filter(call=call)
    if program is not None:
        query = query.filter(program=program)
    return list(query.order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def create_batch(
    *,
    actor: User,
    applications: Iterable[Application | int] | None = None,
    call: Call | None = None,
    program: Program | None = None,
    title: str = "",
) -> BatchCreation:
    """Build a draft batch from awarded applications (a selection, or all of a call and/or program).

    Applications not awarded, already in a live (not failed) line, without an allocated amount, with an incomplete or
    invalid payee account, or failing the caps re-check are skipped, each with a code. Raise ValidationError
    "nothing_to_pay" when nothing is left, PermissionDenied for a non-finance actor. The application rows and the
    (organisation, year) rows are locked, so two officers adding one application at once end with one live line.
    """
    _require_finance(actor)
    ids = _candidates(applications, call, program)
    # Lock in id order (no deadlocks); a concurrent builder waits here, then sees the other's committed line.
    locked = list(
        Application.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("organisation", "call", "program")
        .order_by("pk")
    )
    for organisation_id, year in sorted({(a.organisation_id, a.call.year) for a in locked}):
        lock_organisation_year(organisation_id, year)
    busy = set(live_lines().filter(application_id__in=ids).values_list("application_id", flat=True))
    skipped: list[Skipped] = []
    accepted: list[Application] = []

    def skip(application: Application, code: str, message: str | None = None) -> None:
        skipped.append(Skipped(application.pk, application.reference or "", code, message or _(SKIP_MESSAGES[code])))

    for application in locked:
        organisation = application.organisation
        if application.state != State.AWARDED:
            skip(application, PayoutErrorCode.NOT_AWARDED)
            continue
        if application.pk in busy:
            skip(application, PayoutErrorCode.ALREADY_IN_BATCH)
            continue
        if not application.allocated_amount:
            skip(application, PayoutErrorCode.NOT_ALLOCATED)
            continue
        problem = payee_problem(
            name=organisation.name,
            bank_name=organisation.bank_name,
            account_number=organisation.bank_account_number,
            account_name=organisation.bank_account_name,
        )
        if problem:
            skip(application, problem)
            continue
        try:
            check = recheck_caps(application)
        except ValidationError as error:
            skip(application, error.error_list[0].code or PayoutErrorCode.INVALID, "；".join(error.messages))
            continue
        if check.standard_amount < application.allocated_amount:
            skip(
                application,
                PayoutErrorCode.ORGANISATION_CAP_REACHED,
                _("单位年度资助上限余额%(left)s元，少于核定金额%(amount)s元")
                % {"left": check.standard_amount, "amount": application.allocated_amount},
            )
            continue
        accepted.append(application)
    missing = set(ids) - {a.pk for a in locked}
    skipped.extend(Skipped(pk, "", PayoutErrorCode.NOT_AWARDED, _("申报不存在")) for pk in sorted(missing))
    if not accepted:
        raise ValidationError(_("没有可拨付的申报"), code=PayoutErrorCode.NOTHING_TO_PAY, params={"skipped": skipped})
    first = accepted[0]
    if not title:
        scope = call.title if call else (program.name if program else first.call.title)
        title = _("%(scope)s 拨付批次 %(day)s") % {"scope": scope, "day": timezone.localdate().isoformat()}
    batch = PayoutBatch.objects.create(
        call=call,
        program=program,
        title=title,
        created_by=actor,
        total_amount=sum((a.allocated_amount for a in accepted), Decimal("0.00")),
        line_count=len(accepted),
    )
    lines = [
        PayoutLine(
            batch=batch,
            position=position,
            application=application,
            reference=application.reference or str(application.pk),
            amount=application.allocated_amount,
            payee_name=application.organisation.name,
            payee_uscc=application.organisation.uscc,
            bank_name=application.organisation.bank_name,
            bank_account_number=application.organisation.bank_account_number,
            bank_account_name=application.organisation.bank_account_name,
            bank_cnaps=application.organisation.bank_cnaps,
            program_name=application.program.name,
            purpose=_("%(call)s%(program)s资助资金")
            % {"call": application.call.title, "program": application.program.name},
        )
        for position, application in enumerate(accepted, start=1)
    ]
    try:
        with transaction.atomic():
            PayoutLine.objects.bulk_create(lines)
    except IntegrityError as exc:  # the partial unique index: another batch took one of them meanwhile
        raise ValidationError(_("申报已在其他拨付批次中"), code=PayoutErrorCode.ALREADY_IN_BATCH) from exc
    _event(
        batch,
        "create",
        actor,
        line_count=len(lines),
        total=str(sum((line.amount for line in lines), Decimal("0.00"))),
        skipped=[{"application": s.application_id, "code": s.code} for s in skipped],
    )
    return BatchCreation(batch, skipped)


def _locked_batch(batch: PayoutBatch) -> PayoutBatch:
    return PayoutBatch.objects.select_for_update().get(pk=batch.pk)


@transaction.atomic
def approve_batch(*, batch: PayoutBatch, actor: User) -> PayoutBatch:
    """Approve a draft batch (a finance officer other than its creator); fix its totals, line count and checksum.

    Raise Conflict "batch_immutable" for an approved batch, ValidationError "same_officer" for the creator and
    "not_awarded" when a line's application is no longer awaiting payment.
    """
    _require_finance(actor)
    batch = _locked_batch(batch)
    if batch.status != BatchStatus.DRAFT:
        raise Conflict(_("拨付批次已复核，不能再修改"), code=PayoutErrorCode.BATCH_IMMUTABLE)
    if batch.created_by_id == actor.pk:
        raise ValidationError(_("复核人不能是制单人，请由另一位财务人员复核"), code=PayoutErrorCode.SAME_OFFICER)
    stale = batch.lines.exclude(application__state=State.AWARDED).values_list("reference", flat=True)
    if stale:
        raise ValidationError(
            _("以下申报已不是待拨付状态：%(refs)s") % {"refs": "、".join(stale)}, code=PayoutErrorCode.NOT_AWARDED
        )
    rows = list(
        batch.lines.order_by("position").values_list("reference", "payee_uscc", "bank_account_number", "amount")
    )
    batch.total_amount = sum((row[3] for row in rows), Decimal("0.00"))
    batch.line_count = len(rows)
    batch.checksum = batch_checksum(rows)
    batch.status = BatchStatus.APPROVED
    batch.approved_by = actor
    batch.approved_at = timezone.now()
    batch.save(update_fields=["total_amount", "line_count", "checksum", "status", "approved_by", "approved_at"])
    _event(batch, "approve", actor, total=str(batch.total_amount), line_count=batch.line_count, checksum=batch.checksum)
    return batch


EXPORT_FORMATS = ("xlsx", "csv", "results")


def _lines_tampered(batch: PayoutBatch) -> bool:
    """Whether the lines no longer give the checksum, count and total fixed at approval (one statement on
    PostgreSQL; the rows hashed in Python elsewhere)."""
    fingerprint = lines_fingerprint(batch)
    if fingerprint is not None:
        return fingerprint != (batch.checksum, batch.line_count, batch.total_amount)
    rows = (
        batch.lines.order_by("position")
        .values_list("reference", "payee_uscc", "bank_account_number", "amount")
        .iterator(chunk_size=2000)
    )
    return batch_tampered(rows, checksum=batch.checksum, line_count=batch.line_count, total=batch.total_amount)


def stream_batch(*, batch: PayoutBatch, fmt: str, actor: User | None = None) -> tuple[str, Iterator[bytes]]:
    """Return (Chinese file name, chunks of the content) of an approved batch; write an "export" event.

    ``fmt``: "xlsx" the 拨付清单 for people, "csv" the bank's upload file (streamed row by row), "results" the
    result-file template pre-filled with the references. Raise Conflict "batch_not_approved" for a draft,
    "batch_checksum_mismatch" (finance alerted) when the lines no longer match the approval, ValidationError
    "format_invalid" for another format.
    """
    from payouts.exports import export_filename, iter_bank_csv, write_result_template, write_xlsx

    if fmt not in EXPORT_FORMATS:
        raise ValidationError(_("导出格式应为 xlsx、csv 或 results"), code=PayoutErrorCode.FORMAT_INVALID)
    batch = PayoutBatch.objects.get(pk=batch.pk)
    if not batch.is_approved:
        raise Conflict(_("拨付批次复核后才能导出"), code=PayoutErrorCode.BATCH_NOT_APPROVED)
    if _lines_tampered(batch):
        _alert_finance_tampered(batch, actor)
        raise Conflict(
            _("拨付批次%(batch)s的明细与复核时的校验值不符，已停止导出并通知财务人员") % {"batch": batch.pk},
            code=PayoutErrorCode.BATCH_CHECKSUM_MISMATCH,
        )
    if fmt == "csv":
        content: Iterator[bytes] = iter_bank_csv(batch)
    else:
        content = iter([write_xlsx(batch) if fmt == "xlsx" else write_result_template(batch)])
    _event(batch, "export", actor, format=fmt, checksum=batch.checksum)
    return export_filename(batch, fmt), content


def export_batch(*, batch: PayoutBatch, fmt: str, actor: User | None = None) -> tuple[str, bytes]:
    """``stream_batch`` with the content joined into bytes (tests, commands, small batches)."""
    filename, content = stream_batch(batch=batch, fmt=fmt, actor=actor)
    return filename, b"".join(content)


def _alert_finance_tampered(batch: PayoutBatch, actor: User | None) -> None:
    """Log on ``portal.audit`` and e-mail every active finance officer: an approved batch's lines were changed.

    Sent at once, not on commit: the refusal that follows rolls back the request's transaction.
    """
    logging.getLogger("portal.audit").error(
        "PAYOUT BATCH TAMPERED batch=%s checksum=%s line_count=%s total=%s export_by=%s",
        batch.pk,
        batch.checksum,
        batch.line_count,
        batch.total_amount,
        getattr(actor, "pk", None),
    )
    finance = User.objects.filter(is_active=True, is_staff=True, groups__name=FINANCE.group_name).exclude(email="")
    recipients = list(finance.values_list("email", flat=True).distinct())
    if recipients:
        send_mail(
            subject=_("【质量品牌专项资金】拨付批次%(batch)s校验值不符") % {"batch": batch.pk},
            message=_(
                "拨付批次%(batch)s（%(title)s）复核后，其明细（收款单位、账号或金额）已被改动，与复核时的校验值 "
                "%(checksum)s 不符。导出已被拒绝，请勿向银行提交该批次，并立即核查。"
            )
            % {"batch": batch.pk, "title": batch.title, "checksum": batch.checksum},
            from_email=None,
            recipient_list=recipients,
            fail_silently=True,
        )


def _clean_result(status: str, voucher_no: str, paid_on: date | None, reason: str) -> tuple[str, str, date | None, str]:
    voucher_no, reason = (voucher_no or "").strip(), (reason or "").strip()
    if status == LineStatus.PAID:
        errors = {}
        if not voucher_no:
            errors["voucher_no"] = ValidationError(_("请填写银行凭证号"), code=PayoutErrorCode.VOUCHER_REQUIRED)
        if paid_on is None:
            errors["paid_on"] = ValidationError(_("请填写到账日期"), code=PayoutErrorCode.PAID_ON_REQUIRED)
        if errors:
            raise ValidationError(errors)
        return status, voucher_no, paid_on, ""
    if status == LineStatus.FAILED:
        if not reason:
            raise ValidationError(
                {"reason": ValidationError(_("请填写失败原因"), code=PayoutErrorCode.REASON_REQUIRED)}
            )
        return status, "", None, reason
    raise ValidationError(
        {
            "status": ValidationError(
                _("结果应为“已到账”或“失败”（也可写 成功、到账、已支付；退票、退回）"),
                code=PayoutErrorCode.STATUS_INVALID,
            )
        }
    )


@transaction.atomic
def record_line_result(
    *,
    line: PayoutLine,
    actor: User,
    status: str,
    voucher_no: str = "",
    paid_on: date | None = None,
    reason: str = "",
) -> tuple[PayoutLine, bool]:
    """Record a line of an approved batch as paid (voucher number, date) or failed (reason); return (line, changed).

    Paid disburses the application (awarded → disbursed); failed leaves it awarded and free for a new batch.
    Recording the same result again changes nothing and writes no event. Raise Conflict "batch_not_approved",
    "line_already_paid" (a paid line cannot become failed or change its voucher) or "line_already_failed".
    """
    _require_finance(actor)
    status, voucher_no, paid_on, reason = _clean_result(status, voucher_no, paid_on, reason)
    line = PayoutLine.objects.select_for_update(of=("self",)).select_related("batch").get(pk=line.pk)
    if not line.batch.is_approved:
        raise Conflict(_("拨付批次复核后才能登记结果"), code=PayoutErrorCode.BATCH_NOT_APPROVED)
    same = (
        line.status == status
        and line.voucher_no == voucher_no
        and line.paid_on == paid_on
        and line.failure_reason == reason
    )
    if same:
        return line, False
    if line.status == LineStatus.PAID:
        raise Conflict(_("该笔已登记到账，不能更改"), code=PayoutErrorCode.LINE_ALREADY_PAID)
    if line.status == LineStatus.FAILED:
        raise Conflict(_("该笔已登记失败，请将申报编入新的拨付批次"), code=PayoutErrorCode.LINE_ALREADY_FAILED)
    line.status, line.voucher_no, line.paid_on, line.failure_reason = status, voucher_no, paid_on, reason
    line.recorded_by, line.recorded_at = actor, timezone.now()
    line.save(update_fields=["status", "voucher_no", "paid_on", "failure_reason", "recorded_by", "recorded_at"])
    if status == LineStatus.PAID:
        disbursed = disburse_application(
            application=line.application,
            actor=actor,
            comment=_("拨付批次%(batch)s第%(n)s笔，凭证号%(voucher)s")
            % {"batch": line.batch_id, "n": line.position, "voucher": voucher_no},
        )
        # The next stage: the applicant is asked for its performance report (where the program wants one).
        open_report(application=disbursed)
    _event(
        line.batch,
        f"line_{status}",
        actor,
        line=line,
        reference=line.reference,
        voucher_no=voucher_no,
        paid_on=paid_on.isoformat() if paid_on else None,
        reason=reason,
    )
    return line, True


# --- Bank result files -------------------------------------------------------------------------------

HEADER_ALIASES = {
    "reference": ("reference", "ref", "申报编号", "业务编号", "参考号", "业务参考号", "客户业务编号"),
    "status": ("status", "状态", "结果", "处理结果", "交易状态", "处理状态", "拨付结果"),
    "voucher_no": ("voucher_no", "voucher", "凭证号", "银行凭证号", "流水号", "交易流水号", "银行流水号"),
    "paid_on": ("date", "paid_on", "日期", "到账日期", "交易日期", "处理日期"),
    "reason": ("reason", "原因", "失败原因", "备注", "退票原因"),
}
# The words banks and treasury clerks write in the result column (compared without spaces, case-insensitive).
STATUS_ALIASES = {
    **dict.fromkeys(
        ("paid", "success", "succeeded", "ok", "成功", "已成功", "交易成功", "到账", "已到账", "已支付", "支付成功"),
        LineStatus.PAID,
    ),
    **dict.fromkeys(
        (
            "failed",
            "failure",
            "fail",
            "失败",
            "交易失败",
            "支付失败",
            "拨付失败",
            "退票",
            "已退票",
            "退回",
            "已退回",
            "退汇",
        ),
        LineStatus.FAILED,
    ),
}


class RowResult(StrEnum):
    """What the import did with one row of the bank's file: a stable code (API) with its Chinese label (pages)."""

    PAID = "paid", _lazy("已到账")
    FAILED = "failed", _lazy("拨付失败")
    UNCHANGED = "unchanged", _lazy("已登记过，未变")
    UNKNOWN_REFERENCE = "unknown_reference", _lazy("编号不在本批次")
    ERROR = "error", _lazy("有误，未登记")

    def __new__(cls, value: str, label: Any = "") -> "RowResult":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


@dataclass
class RowOutcome:
    """One data row of the bank's file: its line number in the file, the reference, what was done and why."""

    row: int
    reference: str
    outcome: str  # a RowResult value
    code: str = ""
    detail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The result in Chinese (已到账, 拨付失败, 已登记过，未变, 编号不在本批次, 有误，未登记)."""
        return str(RowResult(self.outcome).label)

    @property
    def is_problem(self) -> bool:
        """A row finance has to look at: a failed payment, an unknown reference or a row in error."""
        return self.outcome in (RowResult.FAILED, RowResult.UNKNOWN_REFERENCE, RowResult.ERROR)


def normalise_status(text: str) -> str:
    """The line status a bank's word means (paid or failed), or the word itself when it is not one it uses."""
    word = re.sub(r"\s+", "", text or "").lower()
    return STATUS_ALIASES.get(word, word)


DAY_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")


def parse_day(text: str) -> date | None:
    """A date as banks write it (2026-05-06, 2026/05/06, 20260506, 2026年5月6日, or with a time after it); else None."""
    text = (text or "").strip()
    if not text:
        return None
    head = text.split(" ")[0].split("T")[0]
    for fmt in DAY_FORMATS:
        try:
            return datetime.strptime(head, fmt).date()  # noqa: DTZ007 (a calendar day, no time)
        except ValueError:
            continue
    return None


def _read_rows(file: Any) -> list[list[str]]:
    data = file.read() if hasattr(file, "read") else bytes(file)
    if isinstance(data, str):
        data = data.encode()
    if data[:2] == b"PK":
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return [
                ["" if v is None else (v.date().isoformat() if hasattr(v, "date") else str(v)).strip() for v in row]
                for row in workbook.active.iter_rows(values_only=True)
            ]
        finally:
            workbook.close()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def _columns(rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    """Find the header row (the first of the first ten that names a reference and a status column) and its columns."""
    for index, header in enumerate(rows[:10]):
        lowered = [h.strip().lstrip("'").lower() for h in header]
        columns = {}
        for key, aliases in HEADER_ALIASES.items():
            for position, name in enumerate(lowered):
                if name in aliases:
                    columns[key] = position
                    break
        if "reference" in columns and "status" in columns:
            return index, columns
    raise ValidationError(
        _("结果文件应有表头，至少包含“申报编号”和“状态”两列（可用本批次导出的结果文件模板）"),
        code=PayoutErrorCode.FILE_INVALID,
    )


@dataclass
class _LineState:
    pk: int
    position: int
    application_id: int
    status: str
    voucher_no: str
    paid_on: date | None
    reason: str
    changed: bool = False


def _error_code(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return next((e.code for errors in error.error_dict.values() for e in errors), PayoutErrorCode.INVALID)
    return error.error_list[0].code or PayoutErrorCode.INVALID


@transaction.atomic
def import_bank_results(*, batch: PayoutBatch, actor: User, file: Any) -> list[RowOutcome]:
    """Record the bank's result file (CSV or XLSX: reference, status, voucher number, date, reason) as one operation.

    Return one outcome per data row (row number, reference, result, code and Chinese reason); unknown references and
    rows in error are reported and change nothing, the other rows are recorded together: the lines in one UPDATE,
    the paid applications disbursed in bulk (one chained event each, one notification task per organisation),
    their performance reports opened in bulk, one payout event per changed line. The same checks as
    ``record_line_result`` row by row: a paid line stays paid, a failed one failed, the same result again changes
    nothing (a re-import is idempotent), a paid application must still be awaiting payment. The batch row is locked,
    so two imports of one batch run one after the other. Raise ValidationError "file_invalid" for an unreadable file
    or missing columns, Conflict "batch_not_approved" for a draft.
    """
    _require_finance(actor)
    batch = _locked_batch(batch)
    if not batch.is_approved:
        raise Conflict(_("拨付批次复核后才能登记结果"), code=PayoutErrorCode.BATCH_NOT_APPROVED)
    try:
        rows = _read_rows(file)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
        raise ValidationError(_("无法读取结果文件，请上传 CSV 或 XLSX"), code=PayoutErrorCode.FILE_INVALID) from exc
    if not rows:
        raise ValidationError(_("结果文件为空"), code=PayoutErrorCode.FILE_INVALID)
    header_index, columns = _columns(rows)
    lines = {
        reference: _LineState(pk, position, application_id, status, voucher_no, paid_on, reason)
        for pk, reference, position, application_id, status, voucher_no, paid_on, reason in (
            batch.lines.select_for_update()
            .order_by("position")
            .values_list(
                "pk", "reference", "position", "application_id", "status", "voucher_no", "paid_on", "failure_reason"
            )
        )
    }
    awaiting = dict(
        Application.objects.select_for_update(of=("self",))
        .filter(payout_lines__batch=batch)
        .order_by("pk")
        .values_list("pk", "state")
    )

    def cell(row: list[str], key: str) -> str:
        index = columns.get(key)
        return row[index].strip().lstrip("'") if index is not None and index < len(row) else ""

    outcomes: list[RowOutcome] = []
    for number, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if not any(row):
            continue
        reference = cell(row, "reference")
        line = lines.get(reference)
        if line is None:
            outcomes.append(
                RowOutcome(
                    number,
                    reference,
                    RowResult.UNKNOWN_REFERENCE,
                    PayoutErrorCode.UNKNOWN_REFERENCE,
                    _("本批次没有申报编号为“%(ref)s”的明细") % {"ref": reference} if reference else _("未填申报编号"),
                )
            )
            continue
        raw_day = cell(row, "paid_on")
        paid_on = parse_day(raw_day)
        try:
            if raw_day and paid_on is None:
                raise ValidationError(
                    {
                        "paid_on": ValidationError(
                            _("到账日期“%(d)s”无法识别，应如 2026-05-06") % {"d": raw_day},
                            code=PayoutErrorCode.PAID_ON_REQUIRED,
                        )
                    }
                )
            status, voucher_no, paid_on, reason = _clean_result(
                normalise_status(cell(row, "status")), cell(row, "voucher_no"), paid_on, cell(row, "reason")
            )
        except ValidationError as error:
            outcomes.append(
                RowOutcome(number, reference, RowResult.ERROR, _error_code(error), "；".join(error.messages))
            )
            continue
        same = (line.status, line.voucher_no, line.paid_on, line.reason) == (status, voucher_no, paid_on, reason)
        if same:
            outcomes.append(RowOutcome(number, reference, RowResult.UNCHANGED, "", _("与已登记的结果相同")))
            continue
        if line.status in (LineStatus.PAID, LineStatus.FAILED):
            code = (
                PayoutErrorCode.LINE_ALREADY_PAID
                if line.status == LineStatus.PAID
                else PayoutErrorCode.LINE_ALREADY_FAILED
            )
            message = (
                _("该笔已登记到账，不能更改")
                if line.status == LineStatus.PAID
                else _("该笔已登记失败，请将申报编入新的拨付批次")
            )
            outcomes.append(RowOutcome(number, reference, RowResult.ERROR, code, message))
            continue
        if status == LineStatus.PAID and awaiting.get(line.application_id) != State.AWARDED:
            outcomes.append(
                RowOutcome(
                    number,
                    reference,
                    RowResult.ERROR,
                    ApplicationErrorCode.TRANSITION_NOT_ALLOWED,
                    _("申报已不是“已核准（待拨付）”状态，不能登记到账"),
                )
            )
            continue
        line.status, line.voucher_no, line.paid_on, line.reason, line.changed = (
            status,
            voucher_no,
            paid_on,
            reason,
            True,
        )
        detail = (
            _("凭证号%(v)s，到账日期%(d)s") % {"v": voucher_no, "d": paid_on.isoformat()}
            if status == LineStatus.PAID
            else _("失败原因：%(r)s") % {"r": reason}
        )
        outcomes.append(RowOutcome(number, reference, RowResult(status), "", detail))
    _record_in_bulk(batch, actor, [line for line in lines.values() if line.changed], reference_of=lines)
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
    _event(batch, "import_results", actor, rows=len(outcomes), outcomes=counts)
    return outcomes


def _record_in_bulk(
    batch: PayoutBatch, actor: User, changed: list[_LineState], *, reference_of: dict[str, _LineState]
) -> None:
    """Write the changed lines, disburse the paid applications, open their reports and log one event per line."""
    if not changed:
        return
    now = timezone.now()
    bulk_set(
        PayoutLine,
        (
            (
                line.pk,
                {
                    "status": line.status,
                    "voucher_no": line.voucher_no,
                    "paid_on": line.paid_on,
                    "failure_reason": line.reason,
                    # both keys: bulk_set reads the value by the field's name, sets it by the attribute given
                    "recorded_by": actor.pk,
                    "recorded_by_id": actor.pk,
                    "recorded_at": now,
                },
            )
            for line in changed
        ),
        ("status", "voucher_no", "paid_on", "failure_reason", "recorded_by_id", "recorded_at"),
    )
    paid = [line for line in changed if line.status == LineStatus.PAID]
    if paid:
        # The next stages: the application is disbursed, and asked for its performance report where wanted.
        transition_in_bulk(
            name="disburse",
            comments={
                line.application_id: _("拨付批次%(batch)s第%(n)s笔，凭证号%(voucher)s")
                % {"batch": batch.pk, "n": line.position, "voucher": line.voucher_no}
                for line in paid
            },
            actor=actor,
            at=now,
        )
        open_reports_in_bulk(
            application_ids=[line.application_id for line in paid], disbursed_on=timezone.localdate(now)
        )
    references = {line.pk: reference for reference, line in reference_of.items()}
    bulk_insert(
        PayoutEvent,
        [
            PayoutEvent(
                batch_id=batch.pk,
                line_id=line.pk,
                name=f"line_{line.status}",
                actor_id=actor.pk,
                at=now,
                data={
                    "reference": references[line.pk],
                    "voucher_no": line.voucher_no,
                    "paid_on": line.paid_on.isoformat() if line.paid_on else None,
                    "reason": line.reason,
                },
            )
            for line in changed
        ],
        ("batch", "line", "name", "actor", "at", "data"),
    )


def batch_progress(batch: PayoutBatch) -> dict[str, Any]:
    """Paid, failed and pending counts and amounts of a batch."""
    totals = batch.lines.aggregate(
        paid=Sum("amount", filter=Q(status=LineStatus.PAID)),
        failed=Sum("amount", filter=Q(status=LineStatus.FAILED)),
        pending=Sum("amount", filter=Q(status=LineStatus.PENDING)),
    )
    return {key: value or Decimal("0.00") for key, value in totals.items()}
