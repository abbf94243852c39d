"""Writes for applications: drafts, attachments and one service per workflow transition.

Every transition service locks the row, checks who may act and from which state, calls the FSM
transition, saves, writes exactly one ``ApplicationEvent`` in the same transaction, and queues the
applicant's notification after commit. Views, the admin, the API, tasks and tests all call these.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from accounts.models import Membership, Sanction, User
from accounts.rules import is_valid_uscc
from applications import audit, rules
from applications.models import (
    APPROVED_STATES,
    COUNTED_STATES,
    EDITABLE_STATES,
    TRANSITION_NAMES,
    Application,
    ApplicationEvent,
    ApplicationUnit,
    Attachment,
    OrganisationYear,
    PerformanceTarget,
    State,
)
from core.exceptions import Conflict
from core.money import format_yuan
from core.uploads import inspect_upload
from programs.models import AmountRule, AttachmentRequirement, Call, FieldType, OrganisationAnnualCap, Program
from programs.rules import (
    REASON_ALREADY_FUNDED,
    REASON_YEARLY_CAP_REACHED,
    CapPolicy,
    UnitInput,
    UnitResult,
    apply_organisation_cap,
    compute_units,
    normalise_unit_key,
    standard_amount,
)

MAX_UNITS = 50
MAX_TARGETS = 20


# --- Assessment: amounts and eligibility, computed live and at submit ---------------------------


@dataclass(frozen=True)
class Assessment:
    """What the rules say about an application now: per-unit results, the standard amount and the checks."""

    unit_results: list[UnitResult]
    standard_amount: Decimal
    claimed_amount: Decimal
    checks: list[rules.Check]
    # The attachment kinds present when assessed: an upload since then makes the assessment stale.
    attachment_kinds: frozenset[str] = frozenset()
    # The units as loaded for assessing, in unit_results' order; _store_assessment writes their counted amounts.
    units: tuple[ApplicationUnit, ...] = field(default=(), repr=False, compare=False)

    @property
    def failed(self) -> list[rules.Check]:
        return rules.failed_checks(self.checks)

    @property
    def is_eligible(self) -> bool:
        return not self.failed


def unit_inputs(application: Application, units: list[ApplicationUnit]) -> list[UnitInput]:
    program = application.program
    inputs = []
    for unit in units:
        amount = unit.tier.amount if unit.tier_id else (program.unit_amount or Decimal("0"))
        group = (unit.tier.tier_group if unit.tier_id else "") if program.cap_per_tier_group else ""
        inputs.append(UnitInput(key=unit.key, unit_amount=amount, claim_amount=unit.claim_amount, tier_group=group))
    return inputs


def count_units(
    program: Program, inputs: list[UnitInput], per_group: dict[str, int], funded: set[str]
) -> list[UnitResult]:
    """Count units in their order, except that where only one tier a year is funded the highest counts first.

    操作规程 第十条第一款：同一年度获得多项荣誉的，按最高档次资助。
    """
    order = list(range(len(inputs)))
    if program.one_tier_per_year:
        order.sort(key=lambda i: inputs[i].unit_amount, reverse=True)
    results = compute_units(
        [inputs[i] for i in order], cap_policy(program), units_already_counted=per_group, funded_keys=funded
    )
    by_index = dict(zip(order, results, strict=True))
    return [by_index[i] for i in range(len(inputs))]


def cap_policy(program: Program) -> CapPolicy:
    cap = program.max_units_per_year
    if program.one_tier_per_year:
        cap = 1 if cap is None else min(cap, 1)
    return CapPolicy(claim_required=program.claim_required, max_units_per_year=cap, funded_once=program.funded_once)


def _counted_elsewhere(
    application: Application, states: Iterable[str] = COUNTED_STATES
) -> tuple[dict[str, int], set[str]]:
    """Units already counted this year, per tier group, and keys already funded, in the organisation's other
    applications of the program in ``states`` (by default: submitted and neither withdrawn nor rejected)."""
    program = application.program
    others = ApplicationUnit.objects.filter(
        application__organisation_id=application.organisation_id,
        application__program_id=program.pk,
        application__state__in=list(states),
        reason_code="",
    ).exclude(application_id=application.pk)
    per_group: dict[str, int] = {}
    for group, year in others.values_list("tier__tier_group", "application__call__year"):
        if year == application.call.year:
            key = (group or "") if program.cap_per_tier_group else ""
            per_group[key] = per_group.get(key, 0) + 1
    funded: set[str] = set()
    if program.funded_once:
        funded = set(others.exclude(key_normalised="").values_list("key_normalised", flat=True))
    return per_group, funded


def window_open(application: Application, now: timezone.datetime) -> bool:
    """Whether the applicant may submit now: a draft within the call's window; a returned application until the
    end of its correction due date (补正期限), even after the call has closed; anything else was submitted in time."""
    if application.state == State.RETURNED and application.return_due_on:
        return timezone.localdate(now) <= application.return_due_on
    if application.state == State.DRAFT:
        return application.call.is_open_at(now)
    return True


def assess(application: Application, *, now: timezone.datetime | None = None) -> Assessment:
    """Compute the standard amount and run every eligibility check for an application as it stands."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    program = application.program
    organisation = application.organisation
    units = list(application.units.select_related("tier").order_by("position", "pk"))
    per_group, funded = _counted_elsewhere(application)
    inputs = unit_inputs(application, units)
    results = count_units(program, inputs, per_group, funded)
    claimed = sum(
        (u.claim_amount if u.claim_amount is not None else i.unit_amount for u, i in zip(units, inputs, strict=True)),
        Decimal("0.00"),
    )
    required = {r.kind: r.name for r in program.attachment_requirements.all() if r.is_required}
    present = set(application.attachments.values_list("kind", flat=True))
    missing_fields = [
        f.label for f in program.form_fields.all() if f.is_required and application.form_data.get(f.name) in (None, "")
    ]
    sanction = Sanction.objects.active_on(today).filter(organisation_id=organisation.pk).order_by("-ends_on").first()
    facts = rules.EligibilityFacts(
        org_type=organisation.org_type,
        org_type_label=organisation.get_org_type_display(),
        allowed_types=program.applicant_types,
        allowed_types_label=program.get_applicant_types_display(),
        in_shenzhen=organisation.is_in_shenzhen,
        founded_on=organisation.founded_on,
        min_years_established=program.min_years_established,
        today=today,
        sanction_until=sanction.ends_on if sanction else None,
        call_year=application.call.year,
        evidence_window=program.evidence_window,
        evidence_years=program.evidence_years,
        call_open=window_open(application, now),
        program_in_call=application.call.programs.filter(pk=program.pk).exists(),
        declarations=(
            application.declaration_truthful,
            application.declaration_no_duplicate_funding,
            application.declaration_accept_adjustment,
        ),
        uscc_valid=is_valid_uscc(organisation.uscc),
        units=[
            rules.UnitFacts(
                label=u.key or _("第%(n)s项") % {"n": i + 1},
                issued_on=u.issued_on,
                has_key=bool(u.key),
                has_tier=bool(u.tier_id),
            )
            for i, u in enumerate(units)
        ],
        unit_results=results,
        key_required=program.funded_once,
        tier_required=program.amount_rule == AmountRule.PER_TIER,
        missing_attachments=[name for kind, name in required.items() if kind not in present],
        missing_form_fields=missing_fields,
    )
    return Assessment(
        unit_results=results,
        standard_amount=standard_amount(results),
        claimed_amount=claimed,
        checks=rules.check_eligibility(facts),
        attachment_kinds=frozenset(present),
        units=tuple(units),
    )


def _store_assessment(application: Application, assessment: Assessment) -> None:
    """Write the counted amounts; keep the assessment on the instance (``latest_assessment``) so the response
    that follows the write can show the same eligibility checks without running them a second time."""
    application.latest_assessment = assessment
    units = list(assessment.units)
    for unit, result in zip(units, assessment.unit_results, strict=True):
        unit.counted_amount = result.counted_amount
        unit.reason_code = result.reason_code
        unit.reason = result.reason[:300]
    ApplicationUnit.objects.bulk_update(units, ["counted_amount", "reason_code", "reason"])
    application.standard_amount = assessment.standard_amount
    application.claimed_amount = assessment.claimed_amount
    application.save(update_fields=["standard_amount", "claimed_amount", "updated_at"])


# --- Drafts ------------------------------------------------------------------------------------


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _require_member(application: Application, actor: User) -> None:
    membership = getattr(actor, "membership", None)
    if membership is None or membership.organisation_id != application.organisation_id:
        raise PermissionDenied


def _clean_amount(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _field_error(field, _("请输入有效的金额"), "invalid_amount") from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2 or abs(amount) >= Decimal("1e12"):
        raise _field_error(field, _("金额最多两位小数"), "invalid_amount")
    if amount < 0:
        raise _field_error(field, _("金额不能为负数"), "negative_amount")
    return amount


def _clean_date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        parsed = parse_date(str(value))
    except ValueError:
        parsed = None
    if parsed is None:
        raise _field_error(field, _("请输入有效的日期，例如 2026-03-15"), "invalid_date")
    return parsed


def clean_units(program: Program, raw_units: Iterable[Mapping[str, Any]]) -> list[ApplicationUnit]:
    """Validate the units of a write body and return unsaved rows; nothing is written.

    Raise ValidationError on field ``units`` with code "tier_invalid", "negative_amount", "invalid_amount",
    "invalid_date", "duplicate_unit_key" or "too_many_units".
    """
    raw_units = list(raw_units)
    if len(raw_units) > MAX_UNITS:
        raise _field_error("units", _("一次最多填写%(n)s项") % {"n": MAX_UNITS}, "too_many_units")
    tiers = {t.code: t for t in program.tiers.all()}
    units: list[ApplicationUnit] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_units):
        if not isinstance(raw, Mapping):
            raise _field_error("units", _("第%(n)s项格式不正确") % {"n": index + 1}, "invalid")
        where = _("第%(n)s项") % {"n": index + 1}
        key = str(raw.get("key") or "").strip()[:100]
        tier_code = raw.get("tier") or ""
        tier = None
        if tier_code:
            tier = tiers.get(str(tier_code))
            if tier is None:
                raise _field_error(
                    "units", _("%(w)s：档次“%(t)s”不属于本项目") % {"w": where, "t": tier_code}, "tier_invalid"
                )
        try:
            claim = _clean_amount(raw.get("claim_amount"), "units")
            issued_on = _clean_date(raw.get("issued_on"), "units")
        except ValidationError as error:
            message = error.error_dict["units"][0].messages[0]
            raise _field_error("units", f"{where}：{message}", error.error_dict["units"][0].code) from None
        normalised = normalise_unit_key(key)
        if normalised and normalised in seen:
            raise _field_error(
                "units",
                _("%(w)s的编号“%(k)s”与第%(n)s项重复") % {"w": where, "k": key, "n": seen[normalised] + 1},
                "duplicate_unit_key",
            )
        if normalised:
            seen[normalised] = index
        units.append(
            ApplicationUnit(
                position=index,
                key=key,
                key_normalised=normalised,
                tier=tier,
                claim_amount=claim,
                issued_on=issued_on,
                description=str(raw.get("description") or "").strip()[:300],
            )
        )
    return units


def clean_form_data(program: Program, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate program-specific fields by type; required ones are enforced at submit, not while drafting."""
    if not isinstance(raw, Mapping):
        raise _field_error("form_data", _("格式不正确"), "invalid")
    fields = {f.name: f for f in program.form_fields.all()}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise _field_error(
            "form_data", _("本项目没有这些字段：%(f)s") % {"f": "、".join(unknown)}, "form_field_unknown"
        )
    cleaned: dict[str, Any] = {}
    for name, value in raw.items():
        field = fields[name]
        if value in (None, ""):
            cleaned[name] = ""
            continue
        bad = _field_error("form_data", _("“%(l)s”格式不正确") % {"l": field.label}, "form_field_invalid")
        if field.field_type == FieldType.INTEGER:
            try:
                cleaned[name] = int(str(value))
            except ValueError:
                raise bad from None
        elif field.field_type == FieldType.DECIMAL:
            try:
                cleaned[name] = str(Decimal(str(value)))
            except InvalidOperation:
                raise bad from None
        elif field.field_type == FieldType.DATE:
            parsed = parse_date(str(value)) if not isinstance(value, date) else value
            if parsed is None:
                raise bad
            cleaned[name] = parsed.isoformat()
        elif field.field_type == FieldType.CHOICE:
            if str(value) not in field.choice_list:
                raise bad
            cleaned[name] = str(value)
        elif field.field_type == FieldType.BOOLEAN:
            cleaned[name] = value in (True, "true", "True", "1", 1, "on")
        else:
            cleaned[name] = str(value)[:5000]
    return cleaned


def clean_targets(raw_targets: Iterable[Mapping[str, Any]]) -> list[PerformanceTarget]:
    raw_targets = list(raw_targets)
    if len(raw_targets) > MAX_TARGETS:
        raise _field_error("targets", _("绩效目标最多%(n)s项") % {"n": MAX_TARGETS}, "too_many_targets")
    targets = []
    for index, raw in enumerate(raw_targets):
        if not isinstance(raw, Mapping):
            raise _field_error("targets", _("第%(n)s项格式不正确") % {"n": index + 1}, "invalid")
        indicator = str(raw.get("indicator") or "").strip()
        target = str(raw.get("target") or "").strip()
        if not indicator or not target:
            raise _field_error(
                "targets", _("第%(n)s项绩效目标须填写指标和目标值") % {"n": index + 1}, "target_incomplete"
            )
        targets.append(
            PerformanceTarget(
                position=index, indicator=indicator[:200], target=target[:100], unit=str(raw.get("unit") or "")[:30]
            )
        )
    return targets


def _apply_changes(application: Application, data: Mapping[str, Any]) -> None:
    """Validate everything first, then write: a refused change leaves the draft exactly as it was."""
    program = application.program
    units = clean_units(program, data["units"]) if "units" in data else None
    form_data = clean_form_data(program, data["form_data"]) if "form_data" in data else None
    targets = clean_targets(data["targets"]) if "targets" in data else None
    declarations = data.get("declarations")
    if declarations is not None and not isinstance(declarations, Mapping):
        raise _field_error("declarations", _("格式不正确"), "invalid")

    update_fields = ["updated_at"]
    if form_data is not None:
        application.form_data = form_data
        update_fields.append("form_data")
    if declarations is not None:
        for key, field in (
            ("truthful", "declaration_truthful"),
            ("no_duplicate_funding", "declaration_no_duplicate_funding"),
            ("accept_adjustment", "declaration_accept_adjustment"),
        ):
            if key in declarations:
                setattr(application, field, declarations[key] in (True, "true", "True", "1", 1, "on"))
                update_fields.append(field)
    application.save(update_fields=update_fields)
    if units is not None:
        application.units.all().delete()
        for unit in units:
            unit.application = application
        ApplicationUnit.objects.bulk_create(units)
    if targets is not None:
        application.targets.all().delete()
        for target in targets:
            target.application = application
        PerformanceTarget.objects.bulk_create(targets)


@transaction.atomic
def create_application(
    *, actor: User, call: Call, program: Program, data: Mapping[str, Any] | None = None
) -> Application:
    """Start a draft for the actor's organisation; the rest of ``data`` is applied as ``update_application`` does.

    Raise PermissionDenied when the actor belongs to no organisation; ValidationError "program_not_in_call"
    or "call_closed" when the call does not take this program now.
    """
    membership = Membership.objects.filter(user=actor).select_related("organisation").first()
    if membership is None:
        raise PermissionDenied
    if not call.programs.filter(pk=program.pk).exists() or not program.is_active:
        raise _field_error("program", _("本批次不受理该项目"), "program_not_in_call")
    if not call.is_open:
        raise _field_error("call", _("不在申报时间内，不能新建申报"), "call_closed")
    application = Application.objects.create(
        organisation=membership.organisation, call=call, program=program, created_by=actor
    )
    application.reference = f"ZLPP-{call.year}-{application.pk:06d}"
    application.save(update_fields=["reference"])
    if data:
        _apply_changes(application, data)
    _store_assessment(application, assess(application))
    return application


@transaction.atomic
def update_application(*, application: Application, actor: User, data: Mapping[str, Any]) -> Application:
    """Change a draft or returned application: units, form data, targets, declarations (each optional).

    Raise PermissionDenied for non-members, Conflict "not_editable" outside draft/returned, ValidationError with
    a code per field otherwise; nothing changes when anything is refused.
    """
    application = _locked(application)
    _require_member(application, actor)
    if application.state not in EDITABLE_STATES:
        raise Conflict(_("只有草稿或退回补正的申报可以修改"), code="not_editable")
    _apply_changes(application, data)
    _store_assessment(application, assess(application))
    return application


@transaction.atomic
def delete_application(*, application: Application, actor: User) -> None:
    """Delete a draft. A returned application has a history and is withdrawn instead (Conflict "not_deletable")."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    _require_member(application, actor)
    if application.state != State.DRAFT:
        raise Conflict(_("已提交过的申报不能删除，如不再申报请撤回"), code="not_deletable")
    for attachment in application.attachments.all():
        attachment.file.delete(save=False)
    application.delete()


@transaction.atomic
def add_attachment(*, application: Application, actor: User, kind: str, uploaded_file: UploadedFile) -> Attachment:
    """Store an attachment privately after checking its kind, size and real content type.

    Raise ValidationError "attachment_kind_invalid", "file_too_large", "file_type_not_allowed" or "file_empty";
    Conflict "not_editable" outside draft/returned.
    """
    application = _locked(application, related=())  # an upload reads none of the joined rows
    _require_member(application, actor)
    if application.state not in EDITABLE_STATES:
        raise Conflict(_("只有草稿或退回补正的申报可以上传材料"), code="not_editable")
    requirements = AttachmentRequirement.objects.filter(program_id=application.program_id)
    kinds = set(requirements.order_by().values_list("kind", flat=True)) | {"other"}
    if kind not in kinds:
        raise _field_error("kind", _("本项目没有这类材料"), "attachment_kind_invalid")
    facts = inspect_upload(uploaded_file)
    attachment = Attachment(
        application=application,
        kind=kind,
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
def delete_attachment(*, attachment: Attachment, actor: User) -> None:
    application = Application.objects.select_for_update().get(pk=attachment.application_id)
    _require_member(application, actor)
    if application.state not in EDITABLE_STATES:
        raise Conflict(_("只有草稿或退回补正的申报可以删除材料"), code="not_editable")
    stored = attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: attachment.file.storage.delete(stored))


# --- Transitions -------------------------------------------------------------------------------


def _locked(application: Application, *, related: tuple[str, ...] = ("organisation", "call", "program")) -> Application:
    """The application's row, read afresh under its lock, with the ``related`` rows the caller will read."""
    # of=("self",): without it PostgreSQL also locks the joined call, program and organisation rows, and every
    # submission of a call would queue behind every other on deadline day.
    rows = Application.objects.select_for_update(of=("self",))
    if related:  # select_related() with no names would follow every foreign key
        rows = rows.select_related(*related)
    return rows.get(pk=application.pk)


def _check_transition(application: Application, method_name: str, actor: User | None) -> None:
    """403 when the actor's role may never take this transition; 409 when the state does not allow it now."""
    method = getattr(application, method_name)
    meta = method._django_fsm
    any_transition = next(iter(meta.transitions.values()))
    if not any_transition.has_perm(application, actor):
        raise PermissionDenied
    if meta.get_transition(application.state) is None:
        raise Conflict(
            _("当前状态“%(s)s”下不能%(t)s")
            % {"s": application.staff_state_label, "t": TRANSITION_LABEL_TEXT.get(method_name, method_name)},
            code="transition_not_allowed",
        )


TRANSITION_LABEL_TEXT = {
    "submit": "提交",
    "withdraw": "撤回",
    "accept": "受理",
    "return_for_correction": "退回补正",
    "reject": "作出不予资助决定",
    "approve": "审定",
    "publish": "列入公示",
    "confirm": "核准",
    "revoke": "撤销",
    "disburse": "拨付",
    "evaluate": "完成绩效评价",
    "claw_back": "追回资金",
    "close": "办结",
}


def _finish(
    application: Application,
    *,
    actor: User | None,
    method_name: str,
    from_state: str,
    comment: str,
    update_fields: Iterable[str] = (),
    data: dict | None = None,
) -> Application:
    """Save a transition and write its event, chained by hash to the application's previous event.

    The caller must hold the application's row lock (``_locked``), as every transition service does: the chain is
    per application, so that lock alone keeps two transactions from appending to one chain at the same time and
    no global lock is needed. Were it ever missed, the unique (application, prev_hash) constraint refuses the fork.
    """
    application.state_changed_at = timezone.now()
    application.save(update_fields=["state", "state_changed_at", "updated_at", *update_fields])
    prev_hash = (
        ApplicationEvent.objects.filter(application=application).order_by("-pk").values_list("hash", flat=True).first()
    )
    event = ApplicationEvent(
        application=application,
        name=TRANSITION_NAMES[method_name],
        from_state=from_state,
        to_state=application.state,
        actor=actor,
        comment=comment,
        data=data or {},
    )
    audit.seal(event, prev_hash or audit.GENESIS_HASH)
    event.save(force_insert=True)
    from applications.tasks import notify_applicant_task

    notify_applicant_task.delay_on_commit(event_id=event.pk)
    if application.state == State.AWARDED:
        # SPEC §6: the award notice is rendered in a background job once the award is confirmed.
        from notices.hooks import on_awarded

        on_awarded(application)
    elif application.state == State.DISBURSED:
        # SPEC §4: after payout the applicant is asked for its performance report (where the program wants one).
        from evaluations.services import open_report

        open_report(application=application)
    return application


def _simple_transition(
    application: Application, actor: User | None, method_name: str, comment: str = "", **kwargs: Any
) -> Application:
    application = _locked(application)
    _check_transition(application, method_name, actor)
    from_state = application.state
    getattr(application, method_name)(**kwargs)
    fields = {"return_reason", "return_due_on"} if method_name == "return_for_correction" else set()
    if method_name in ("reject", "revoke", "claw_back"):
        fields.add("decision_reason")
    return _finish(
        application, actor=actor, method_name=method_name, from_state=from_state, comment=comment, update_fields=fields
    )


def lock_organisation_year(organisation_id: int, year: int) -> OrganisationYear:
    """Take the row lock per (organisation, year) under which caps are counted.

    The row is made by the organisation's first submission of the year; ON CONFLICT DO NOTHING lets two first
    submissions at the same moment both make it (the second waits for the first and inserts nothing).
    """
    rows = OrganisationYear.objects.select_for_update().filter(organisation_id=organisation_id, year=year)
    row = rows.first()
    if row is None:
        OrganisationYear.objects.bulk_create(
            [OrganisationYear(organisation_id=organisation_id, year=year)], ignore_conflicts=True
        )
        row = rows.get()
    return row


@transaction.atomic
def submit_application(*, application: Application, actor: User, comment: str = "") -> Application:
    """Submit a draft or returned application for the completeness check.

    Raise ValidationError listing every failed check by code ("call_closed", "declarations_missing",
    "attachment_missing", "yearly_cap_reached", ...); nothing changes then. Counting happens under the
    (organisation, year) lock, so two submissions at the same moment cannot both pass a cap.
    """
    application = _locked(application)
    _check_transition(application, "submit", actor)
    lock_organisation_year(application.organisation_id, application.call.year)
    assessment = assess(application)
    if assessment.failed:
        raise ValidationError([ValidationError(f"{c.name}：{c.message}", code=c.error_code) for c in assessment.failed])
    _store_assessment(application, assessment)
    from_state = application.state
    application.submit()
    return _finish(
        application,
        actor=actor,
        method_name="submit",
        from_state=from_state,
        comment=comment,
        update_fields=["submitted_at", "return_reason", "return_due_on"],
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
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("请填写退回原因"), "reason_required")
    if due_on is None or due_on < timezone.localdate():
        raise _field_error("due_on", _("请填写今天或以后的补正截止日期"), "due_date_invalid")
    return _simple_transition(
        application, actor, "return_for_correction", comment or reason, reason=reason, due_on=due_on
    )


@transaction.atomic
def reject_application(*, application: Application, actor: User, reason: str, comment: str = "") -> Application:
    """Decide not to fund (intake officer or approver); a reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("请填写不予资助的原因"), "reason_required")
    return _simple_transition(application, actor, "reject", comment or reason, reason=reason)


@dataclass(frozen=True)
class CapCheck:
    """The caps in force applied to an application: counted units and the standard amount after the organisation cap."""

    unit_results: list[UnitResult]
    standard_amount: Decimal
    organisation_cap_cut: Decimal
    note: str


def recheck_caps(application: Application) -> CapCheck:
    """Re-count an application against the caps in force and the organisation's approved applications.

    Count caps and funded-once keys are a hard stop: raise ValidationError "yearly_cap_reached" or
    "already_funded" saying which cap and by how much. The organisation annual cap (SPEC §3 step 2) cuts the
    standard amount to the headroom and raises "organisation_cap_reached" when no headroom is left. The caller
    must hold ``lock_organisation_year`` so that concurrent approvals queue.
    """
    program = application.program
    units = list(application.units.select_related("tier").order_by("position", "pk"))
    per_group, funded = _counted_elsewhere(application, APPROVED_STATES)
    results = count_units(program, unit_inputs(application, units), per_group, funded)
    over = [r.key or str(i + 1) for i, r in enumerate(results) if r.reason_code == REASON_YEARLY_CAP_REACHED]
    if over:
        cap = cap_policy(program).max_units_per_year
        raise ValidationError(
            _("超过年度数量上限：本年度已核准%(done)s项，上限%(cap)s项，本申报超出%(n)s项（%(units)s）")
            % {"done": sum(per_group.values()), "cap": cap, "n": len(over), "units": "、".join(over)},
            code="yearly_cap_reached",
        )
    again = [r.key for r in results if r.reason_code == REASON_ALREADY_FUNDED]
    if again:
        raise ValidationError(
            _("以下编号已获资助，同一事项不重复资助：%(units)s") % {"units": "、".join(again)}, code="already_funded"
        )
    standard = standard_amount(results)
    cap_row = OrganisationAnnualCap.objects.filter(year=application.call.year).first()
    if cap_row is None:
        return CapCheck(results, standard, Decimal("0.00"), "")
    approved_total = Application.objects.filter(
        organisation_id=application.organisation_id, call__year=application.call.year, state__in=APPROVED_STATES
    ).exclude(pk=application.pk).aggregate(total=Sum(Coalesce("allocated_amount", "standard_amount")))[
        "total"
    ] or Decimal("0.00")
    (capped,) = apply_organisation_cap([standard], cap=cap_row.amount, already_awarded=approved_total)
    if capped.amount <= 0 < standard:
        raise ValidationError(
            _("本单位%(year)s年度资助已达上限%(cap)s元（已核准%(done)s元），本申报超出%(over)s元")
            % {
                "year": application.call.year,
                "cap": format_yuan(cap_row.amount),
                "done": format_yuan(approved_total),
                "over": format_yuan(standard),
            },
            code="organisation_cap_reached",
        )
    return CapCheck(results, capped.amount, standard - capped.amount, capped.reason)


@transaction.atomic
def approve_application(*, application: Application, actor: User, comment: str = "") -> Application:
    """Approve for funding (approver), enforcing the caps in force under the (organisation, year) row lock.

    Raise ValidationError "yearly_cap_reached", "already_funded" or "organisation_cap_reached"; nothing changes then.
    """
    application = _locked(application)
    _check_transition(application, "approve", actor)
    # 核准制: the verification checklist complete; 评审制: enough submitted expert scores and the pass mark.
    from review.services import approval_blockers

    blockers = approval_blockers(application)
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
        method_name="approve",
        from_state=from_state,
        comment=comment,
        update_fields=["standard_amount"],
        data=data,
    )


@transaction.atomic
def publish_application(*, application: Application, actor: User, comment: str = "") -> Application:
    """Put an approved application on public notice (approver, by opening a publicity notice)."""
    return _simple_transition(application, actor, "publish", comment)


@transaction.atomic
def confirm_application(*, application: Application, actor: User | None = None, comment: str = "") -> Application:
    """Confirm the award after a publicity period without an open or upheld objection (the scheduled job)."""
    return _simple_transition(application, actor, "confirm", comment)


@transaction.atomic
def revoke_application(*, application: Application, actor: User, reason: str, comment: str = "") -> Application:
    """Revoke during publicity after an upheld objection (approver)."""
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("请填写撤销原因"), "reason_required")
    return _simple_transition(application, actor, "revoke", comment or reason, reason=reason)


@transaction.atomic
def disburse_application(*, application: Application, actor: User, comment: str = "") -> Application:
    """Mark the award paid (finance, through a paid payout line)."""
    return _simple_transition(application, actor, "disburse", comment)


@transaction.atomic
def evaluate_application(*, application: Application, actor: User, comment: str = "") -> Application:
    """Record a passed performance evaluation (reviewer)."""
    return _simple_transition(application, actor, "evaluate", comment)


@transaction.atomic
def claw_back_application(*, application: Application, actor: User, reason: str, comment: str = "") -> Application:
    """Open a clawback after a failed evaluation or fraud (approver)."""
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("请填写追回原因"), "reason_required")
    return _simple_transition(application, actor, "claw_back", comment or reason, reason=reason)


@transaction.atomic
def close_application(*, application: Application, actor: User, comment: str = "") -> Application:
    """Close an evaluated application, or a clawback once repaid (approver or finance)."""
    return _simple_transition(application, actor, "close", comment)


TRANSITION_SERVICES = {
    "submit": submit_application,
    "withdraw": withdraw_application,
    "accept": accept_application,
    "return": return_application,
    "reject": reject_application,
    "approve": approve_application,
    "publish": publish_application,
    "confirm": confirm_application,
    "revoke": revoke_application,
    "disburse": disburse_application,
    "evaluate": evaluate_application,
    "claw_back": claw_back_application,
    "close": close_application,
}
METHOD_BY_NAME = {name: method for method, name in TRANSITION_NAMES.items()}


def run_transition(*, application: Application, actor: User | None, name: str, **params: Any) -> Application:
    """Dispatch a transition by its public name ("submit", "return", ...) with its parameters.

    Raise ValidationError "transition_unknown" for a name that is not a transition.
    """
    service = TRANSITION_SERVICES.get(name)
    if service is None:
        raise _field_error("name", _("没有这个操作：%(n)s") % {"n": name}, "transition_unknown")
    accepted = {"comment", "reason", "due_on"}
    kwargs = {k: v for k, v in params.items() if k in accepted and v is not None}
    if name == "return":
        kwargs["due_on"] = _clean_date(kwargs.get("due_on"), "due_on")
        kwargs.setdefault("reason", "")
        kwargs.setdefault("due_on", None)
    elif name in ("reject", "revoke", "claw_back"):
        kwargs.setdefault("reason", "")
    else:
        kwargs.pop("reason", None)
        kwargs.pop("due_on", None)
    return service(application=application, actor=actor, **kwargs)


def available_transitions(application: Application, user: User | None) -> list[str]:
    """Public names of the transitions this user may take now (state and role; not the business checks)."""
    names = []
    for method_name, public in TRANSITION_NAMES.items():
        method = getattr(application, method_name)
        meta = method._django_fsm
        transition = meta.get_transition(application.state)
        if transition is not None and transition.has_perm(application, user):
            names.append(public)
    return names
