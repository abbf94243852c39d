"""Drafts: create, change and delete an application before submission, validating every field first."""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation, User
from applications.error_codes import ApplicationErrorCode
from applications.models import EDITABLE_STATES, Application, ApplicationUnit, PerformanceTarget, State
from applications.services.assessment import apply_assessment, assess, sanction_until_subquery, store_assessment
from applications.services.common import field_error, locked, require_member
from core.exceptions import Conflict
from core.normalise import amount_text
from core.text import clean_text
from programs.models import Call, FieldType, FormField, Program
from programs.rules import normalise_unit_key
from programs.selectors import call_config, program_config

MAX_UNITS = 50
MAX_TARGETS = 20
# The lengths of the program-specific text answers (``form_data``, a JSON column): refused beyond, never cut.
FORM_TEXT_MAX = 500
FORM_TEXTAREA_MAX = 5000
# The columns of ApplicationUnit and PerformanceTarget.
UNIT_KEY_MAX = 100
UNIT_DESCRIPTION_MAX = 300
TARGET_INDICATOR_MAX = 200
TARGET_TARGET_MAX = 100
TARGET_UNIT_MAX = 30


class ErrorCollector:
    """Gathers the field errors of one write so that all of them are answered in one round, each with its code."""

    def __init__(self) -> None:
        self.errors: dict[str, list[ValidationError]] = {}

    @contextmanager
    def catch(self) -> Iterator[None]:
        """Keep a field error raised in the block (the rest of the block is skipped) and carry on after it."""
        try:
            yield
        except ValidationError as error:
            for name, errors in error.error_dict.items():
                self.errors.setdefault(name, []).extend(errors)

    @contextmanager
    def row(self, index: int) -> Iterator[None]:
        """Mark the errors caught in the block with the row (``error.row``, from 0) they are about, so that a page
        can put each beside its row."""
        before = {name: len(errors) for name, errors in self.errors.items()}
        yield
        for name, errors in self.errors.items():
            for error in errors[before.get(name, 0) :]:
                error.row = index

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _item_text(value: Any, *, field: str, where: str, max_length: int, multiline: bool = False) -> str:
    """Clean one text of a unit or target; the error names the item (第n项) and stays on ``field``."""
    if value is None or value == "":
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        value = str(value)  # a number sent as a number: its text, as before (a unit's key is often a number)
    try:
        return clean_text(value, max_length=max_length, multiline=multiline, strip=True)
    except ValidationError as error:
        raise field_error(field, f"{where}：{error.messages[0]}", error.code) from None


def clean_amount(value: Any, field: str) -> Decimal | None:
    """An amount in yuan, as typed: 「30,000」, 「3万」 and full-width digits are read as the pages read them."""
    if isinstance(value, str):
        value = amount_text(value)
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise field_error(
            field, _("请输入有效的金额，例如 30000、30,000 或 3万"), ApplicationErrorCode.INVALID_AMOUNT
        ) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2 or abs(amount) >= Decimal("1e12"):
        raise field_error(field, _("金额最多两位小数"), ApplicationErrorCode.INVALID_AMOUNT)
    if amount < 0:
        raise field_error(field, _("金额不能为负数"), ApplicationErrorCode.NEGATIVE_AMOUNT)
    return amount


def clean_date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    parsed = _parse_date(value)
    if parsed is None:
        raise field_error(field, _("请输入有效的日期，例如 2026-03-15"), ApplicationErrorCode.INVALID_DATE)
    return parsed


def _parse_date(value: Any) -> date | None:
    """An ISO date from text, or None when it is not one: 2026-02-30 is well formed but no date (ValueError)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_date(value.strip())
    except ValueError:
        return None


def clean_units(program: Program, raw_units: Iterable[Mapping[str, Any]]) -> list[ApplicationUnit]:
    """Validate the units of a write body and return unsaved rows; nothing is written.

    Every row is checked: raise ValidationError on field ``units`` listing each problem (naming its row), with codes
    "tier_invalid", "negative_amount", "invalid_amount", "invalid_date", "duplicate_unit_key" or "too_many_units".
    """
    raw_units = list(raw_units)
    if len(raw_units) > MAX_UNITS:
        raise field_error("units", _("一次最多填写%(n)s项") % {"n": MAX_UNITS}, ApplicationErrorCode.TOO_MANY_UNITS)
    tiers = program_config(program.pk).tiers_by_code
    units: list[ApplicationUnit] = []
    seen: dict[str, int] = {}
    collected = ErrorCollector()
    for index, raw in enumerate(raw_units):
        with collected.row(index):
            unit = _clean_unit(index, raw, tiers, seen, collected)
        if unit is not None:
            units.append(unit)
    collected.raise_any()
    return units


def _clean_unit(
    index: int, raw: Any, tiers: Mapping[str, Any], seen: dict[str, int], collected: "ErrorCollector"
) -> ApplicationUnit | None:
    """One row of ``clean_units``: its problems go to ``collected``; the unsaved row, or None when it is no row."""
    if not isinstance(raw, Mapping):
        with collected.catch():
            raise field_error("units", _("第%(n)s项格式不正确") % {"n": index + 1}, ApplicationErrorCode.INVALID)
        return None
    where = _("第%(n)s项") % {"n": index + 1}
    key = description = ""
    tier = claim = issued_on = None
    with collected.catch():
        key = _item_text(raw.get("key"), field="units", where=where, max_length=UNIT_KEY_MAX)
    tier_code = raw.get("tier") or ""
    if tier_code:
        tier = tiers.get(str(tier_code))
        if tier is None:
            with collected.catch():
                raise field_error(
                    "units",
                    _("%(w)s：档次“%(t)s”不属于本项目") % {"w": where, "t": tier_code},
                    ApplicationErrorCode.TIER_INVALID,
                )
    for name, clean in (("claim_amount", clean_amount), ("issued_on", clean_date)):
        try:
            value = clean(raw.get(name), "units")
        except ValidationError as error:
            item = error.error_dict["units"][0]
            with collected.catch():
                raise field_error("units", f"{where}：{item.messages[0]}", item.code) from None
        else:
            if name == "claim_amount":
                claim = value
            else:
                issued_on = value
    normalised = normalise_unit_key(key)
    if normalised and normalised in seen:
        with collected.catch():
            raise field_error(
                "units",
                _("%(w)s的编号“%(k)s”与第%(n)s项重复") % {"w": where, "k": key, "n": seen[normalised] + 1},
                ApplicationErrorCode.DUPLICATE_UNIT_KEY,
            )
    elif normalised:
        seen[normalised] = index
    with collected.catch():
        description = _item_text(raw.get("description"), field="units", where=where, max_length=UNIT_DESCRIPTION_MAX)
    return ApplicationUnit(
        position=index,
        key=key,
        key_normalised=normalised,
        tier=tier,
        claim_amount=claim,
        issued_on=issued_on,
        description=description,
    )


def clean_form_data(program: Program, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate program-specific fields by type; required ones are enforced at submit, not while drafting.

    Every answer is checked: raise ValidationError on field ``form_data`` listing each problem (naming its field).
    Numbers are read as typed (「1,200」, full-width digits), as the pages read them.
    """
    if not isinstance(raw, Mapping):
        raise field_error("form_data", _("格式不正确"), ApplicationErrorCode.INVALID)
    fields = {f.name: f for f in program_config(program.pk).form_fields}
    collected = ErrorCollector()
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        with collected.catch():
            raise field_error(
                "form_data",
                _("本项目没有这些字段：%(f)s") % {"f": "、".join(unknown)},
                ApplicationErrorCode.FORM_FIELD_UNKNOWN,
            )
    cleaned: dict[str, Any] = {}
    for name, value in raw.items():
        if name in fields:
            with collected.catch():
                cleaned[name] = _clean_answer(fields[name], value)
    collected.raise_any()
    return cleaned


def _clean_answer(field: FormField, value: Any) -> Any:
    """One answer of ``form_data`` in its stored form; ValidationError on ``form_data`` naming the field."""
    if value in (None, ""):
        return ""
    bad = field_error("form_data", _("“%(l)s”格式不正确") % {"l": field.label}, ApplicationErrorCode.FORM_FIELD_INVALID)
    if field.field_type in (FieldType.INTEGER, FieldType.DECIMAL) and isinstance(value, str):
        value = amount_text(value)
    if field.field_type == FieldType.INTEGER:
        try:
            return int(str(value))
        except ValueError:
            raise bad from None
    if field.field_type == FieldType.DECIMAL:
        try:
            return str(Decimal(str(value)))
        except InvalidOperation:
            raise bad from None
    if field.field_type == FieldType.DATE:
        parsed = value if isinstance(value, date) else _parse_date(value)
        if parsed is None:
            raise field_error(
                "form_data",
                _("“%(l)s”请输入有效的日期，例如 2026-03-15") % {"l": field.label},
                ApplicationErrorCode.INVALID_DATE,
            )
        return parsed.isoformat()
    if field.field_type == FieldType.CHOICE:
        if str(value) not in field.choice_list:
            raise bad
        return str(value)
    if field.field_type == FieldType.BOOLEAN:
        return value in (True, "true", "True", "1", 1, "on")
    multiline = field.field_type == FieldType.TEXTAREA
    try:
        return clean_text(value, max_length=FORM_TEXTAREA_MAX if multiline else FORM_TEXT_MAX, multiline=multiline)
    except ValidationError as error:
        raise field_error("form_data", f"“{field.label}”：{error.messages[0]}", error.code) from None


def clean_targets(raw_targets: Iterable[Mapping[str, Any]]) -> list[PerformanceTarget]:
    raw_targets = list(raw_targets)
    if len(raw_targets) > MAX_TARGETS:
        raise field_error(
            "targets", _("绩效目标最多%(n)s项") % {"n": MAX_TARGETS}, ApplicationErrorCode.TOO_MANY_TARGETS
        )
    targets = []
    collected = ErrorCollector()
    for index, raw in enumerate(raw_targets):
        with collected.row(index), collected.catch():
            targets.append(_clean_target(index, raw))
    collected.raise_any()
    return targets


def _clean_target(index: int, raw: Any) -> PerformanceTarget:
    if not isinstance(raw, Mapping):
        raise field_error("targets", _("第%(n)s项格式不正确") % {"n": index + 1}, ApplicationErrorCode.INVALID)
    where = _("第%(n)s项") % {"n": index + 1}
    indicator = _item_text(raw.get("indicator"), field="targets", where=where, max_length=TARGET_INDICATOR_MAX)
    target = _item_text(raw.get("target"), field="targets", where=where, max_length=TARGET_TARGET_MAX)
    unit = _item_text(raw.get("unit"), field="targets", where=where, max_length=TARGET_UNIT_MAX)
    if not indicator or not target:
        raise field_error(
            "targets",
            _("第%(n)s项绩效目标须填写指标和目标值") % {"n": index + 1},
            ApplicationErrorCode.TARGET_INCOMPLETE,
        )
    return PerformanceTarget(position=index, indicator=indicator, target=target, unit=unit)


def _clean_changes(application: Application, data: Mapping[str, Any]) -> tuple[list[str], Any, Any]:
    """Validate everything first, then set the row's fields in memory: a refused change leaves the draft exactly as
    it was. Return the changed fields of the row, and the new units and targets (None where not sent), unsaved."""
    program = application.program
    units = form_data = targets = None
    # Every part is checked before any error is answered: all of them come back in one round.
    collected = ErrorCollector()
    if "units" in data:
        with collected.catch():
            units = clean_units(program, data["units"])
    if "form_data" in data:
        with collected.catch():
            form_data = clean_form_data(program, data["form_data"])
    if "targets" in data:
        with collected.catch():
            targets = clean_targets(data["targets"])
    declarations = data.get("declarations")
    if declarations is not None and not isinstance(declarations, Mapping):
        with collected.catch():
            raise field_error("declarations", _("格式不正确"), ApplicationErrorCode.INVALID)
    collected.raise_any()

    update_fields = []
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
    return update_fields, units, targets


def _write_children(application: Application, units: Any, targets: Any, *, new: bool) -> None:
    """Replace the units and targets that were sent (each row written once, with its counted amount)."""
    if units is not None:
        if not new:
            application.units.all().delete()
        for unit in units:
            unit.application = application
        ApplicationUnit.objects.bulk_create(units)
    if targets is not None:
        if not new:
            application.targets.all().delete()
        for target in targets:
            target.application = application
        PerformanceTarget.objects.bulk_create(targets)


def _next_application_id() -> int | None:
    """The new application's id before its INSERT, where the database has a sequence to ask (PostgreSQL): the
    reference (which carries the id) is then written with the row, not by a second UPDATE."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Application._meta.db_table])
        return cursor.fetchone()[0]


def reference_for(year: int, pk: int) -> str:
    return f"ZLPP-{year}-{pk:06d}"


@transaction.atomic
def create_application(
    *, actor: User, call: Call, program: Program, data: Mapping[str, Any] | None = None
) -> Application:
    """Start a draft for the actor's organisation; the rest of ``data`` is applied as ``update_application`` does.

    Raise PermissionDenied when the actor belongs to no organisation; ValidationError "program_not_in_call"
    or "call_closed" when the call does not take this program now.

    The row, its units and its targets are each written once, already assessed; the membership comes with the
    actor when the token authentication loaded it; the program's configuration and the call's programs come from
    the configuration cache. What was written is kept on the instance (``written``) for the answer's body.
    """
    try:
        membership = actor.membership
    except (Membership.DoesNotExist, AttributeError):
        raise PermissionDenied from None
    config = call_config(call.pk)
    if program.pk not in config.program_ids or not program.is_active:
        raise field_error("program", _("本批次不受理该项目"), ApplicationErrorCode.PROGRAM_NOT_IN_CALL)
    if not call.is_open:
        raise field_error("call", _("不在申报时间内，不能新建申报"), ApplicationErrorCode.CALL_CLOSED)
    organisation = (
        Organisation.objects.annotate(sanction_until=sanction_until_subquery(timezone.localdate(), "pk"))
        .filter(pk=membership.organisation_id)
        .get()
    )
    program_config(program.pk).prime(program)
    application = Application(organisation=organisation, call=call, program=program, created_by=actor)
    application.sanction_until = organisation.sanction_until
    _fields, units, targets = _clean_changes(application, data or {})
    assessment = assess(application, units=units or [], attachment_kinds=())
    apply_assessment(application, assessment)
    application.pk = _next_application_id()
    if application.pk is not None:
        application.reference = reference_for(call.year, application.pk)
        application.save(force_insert=True)
    else:
        application.save(force_insert=True)
        application.reference = reference_for(call.year, application.pk)
        application.save(update_fields=["reference"])
    _write_children(application, units, targets, new=True)
    application.written = {
        "units": list(units or []),
        "targets": list(targets or []),
        "attachments": [],
        "events": [],
    }
    return application


@transaction.atomic
def update_application(*, application: Application, actor: User, data: Mapping[str, Any]) -> Application:
    """Change a draft or returned application: units, form data, targets, declarations (each optional).

    Raise PermissionDenied for non-members, Conflict "not_editable" outside draft/returned, ValidationError with
    a code per field otherwise; nothing changes when anything is refused.

    The row is read once under its lock (with the organisation and its sanction) and written once, with the new
    amounts; new units are assessed before they are inserted, so each is written once.
    """
    application = locked(application, assessing=True)
    require_member(application, actor)
    if application.state not in EDITABLE_STATES:
        raise Conflict(_("只有草稿或退回补正的申报可以修改"), code=ApplicationErrorCode.NOT_EDITABLE)
    update_fields, units, targets = _clean_changes(application, data)
    attachments = list(application.attachments.order_by("kind", "uploaded_at", "pk"))
    assessment = assess(application, units=units, attachment_kinds=[a.kind for a in attachments])
    update_fields += store_assessment(application, assessment, save=False)
    application.save(update_fields=[*update_fields, "updated_at"])
    _write_children(application, units, targets, new=False)
    application.written = {"units": list(assessment.units), "attachments": attachments}
    if targets is not None:
        application.written["targets"] = targets
    if application.state == State.DRAFT and not application.submitted_at:
        application.written["events"] = []  # no transition leads into a draft: a draft has no history
    return application


@transaction.atomic
def delete_application(*, application: Application, actor: User) -> None:
    """Delete a draft. A returned application has a history and is withdrawn instead (Conflict "not_deletable")."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_member(application, actor)
    if application.state != State.DRAFT:
        raise Conflict(_("已提交过的申报不能删除，如不再申报请撤回"), code=ApplicationErrorCode.NOT_DELETABLE)
    for attachment in application.attachments.all():
        attachment.file.delete(save=False)
    application.delete()
