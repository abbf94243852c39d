"""Writes for the catalogue that go beyond editing one row in the admin."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from programs.error_codes import ProgramErrorCode
from programs.models import (
    AttachmentRequirement,
    Call,
    FormField,
    Program,
    ProgramBudget,
    RuleSet,
    ScoringCriterion,
    Tier,
    VerificationItem,
)

PROGRAM_CODE_LENGTH = 20
# What a copied program keeps of its original's rows: the model and the fields copied (besides the program).
COPIED_CHILDREN: tuple[tuple[type, tuple[str, ...]], ...] = (
    (Tier, ("code", "name", "amount", "tier_group", "is_default_amount", "sort_order")),
    (AttachmentRequirement, ("kind", "name", "help_text", "is_required", "sort_order")),
    (FormField, ("name", "label", "field_type", "is_required", "help_text", "choices", "sort_order")),
    (ScoringCriterion, ("name", "description", "weight", "max_score", "sort_order")),
    (VerificationItem, ("text", "help_text", "sort_order")),
    (ProgramBudget, ("year", "amount")),
)


def _shift_year(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


@transaction.atomic
def clone_call(*, call: Call, actor: User, years: int = 1) -> Call:
    """Copy a call to a later year: same programs, window moved by whole years, budgets copied where missing.

    The copy is not published until an administrator checks it. Raise ValidationError "call_exists"
    when a call with the same title already exists for the target year.
    """
    if not actor.has_perm("programs.add_call"):
        raise PermissionDenied
    year = call.year + years
    title = call.title.replace(str(call.year), str(year)) if str(call.year) in call.title else f"{call.title}（{year}）"
    if Call.objects.filter(year=year, title=title).exists():
        raise ValidationError(
            _("目标年度已存在同名批次：%(title)s") % {"title": title}, code=ProgramErrorCode.CALL_EXISTS
        )
    clone = Call(
        year=year,
        title=title,
        opens_at=_shift_year(call.opens_at, years),
        closes_at=_shift_year(call.closes_at, years),
        publicity_working_days=call.publicity_working_days,
        report_due_months=call.report_due_months,
        description=call.description,
        is_published=False,
    )
    clone.full_clean()
    clone.save()
    programs = list(call.programs.all())
    clone.programs.set(programs)
    existing = set(ProgramBudget.objects.filter(year=year, program__in=programs).values_list("program_id", flat=True))
    previous = {b.program_id: b.amount for b in ProgramBudget.objects.filter(year=call.year, program__in=programs)}
    ProgramBudget.objects.bulk_create(
        ProgramBudget(program_id=pid, year=year, amount=amount)
        for pid, amount in previous.items()
        if pid not in existing
    )
    return clone


def _free_suffix(rule_set: RuleSet, programs: list[Program]) -> int:
    """The smallest copy number n for which the rule set code "<code>-copy-n" and every "<program code>.n" are free."""
    n = rule_set.copies.count() + 1
    while True:
        codes = [f"{p.code}.{n}" for p in programs]
        taken = RuleSet.objects.filter(code=f"{rule_set.code}-copy-{n}").exists() or (
            Program.objects.filter(code__in=codes).exists()
        )
        if not taken:
            return n
        n += 1


@transaction.atomic
def copy_rule_set(*, rule_set: RuleSet, actor: User, name: str = "") -> RuleSet:
    """Copy a rule set with its programs and their tiers, materials, form fields, criteria, checklists and budgets,
    for an administrator to edit and compare in the policy simulator.

    The copy's programs are inactive (no applicant sees them), keep their original's counterpart and remember the
    program they were copied from, so the simulator maps applications to them as it maps to the original. Program
    codes get the copy number (P8-3 → P8-3.1). Raise PermissionDenied unless the actor may add rule sets;
    ValidationError "rule_set_code_too_long" when a program code would pass 20 characters.
    """
    if not actor.has_perm("programs.add_ruleset"):
        raise PermissionDenied
    programs = list(rule_set.programs.order_by("sort_order", "code"))
    n = _free_suffix(rule_set, programs)
    too_long = [p.code for p in programs if len(f"{p.code}.{n}") > PROGRAM_CODE_LENGTH]
    if too_long:
        raise ValidationError(
            _("以下项目编号加上副本序号后超过20个字符，请先缩短编号：%(codes)s") % {"codes": "、".join(too_long)},
            code=ProgramErrorCode.RULE_SET_CODE_TOO_LONG,
        )
    copy = RuleSet.objects.create(
        code=f"{rule_set.code}-copy-{n}",
        name=name or f"{rule_set.name}（副本{n}）",
        document=rule_set.document,
        effective_on=rule_set.effective_on,
        description=rule_set.description,
        copied_from=rule_set,
    )
    skipped = {"id", "code", "rule_set", "copied_from", "is_active"}
    new_by_old: dict[int, Program] = {}
    for original in programs:
        values = {f.name: getattr(original, f.name) for f in Program._meta.concrete_fields if f.name not in skipped}
        program = Program(**values, code=f"{original.code}.{n}", rule_set=copy, copied_from=original, is_active=False)
        program.save()
        new_by_old[original.pk] = program
    for model, names in COPIED_CHILDREN:
        rows = model._default_manager.filter(program_id__in=new_by_old).values("program_id", *names)
        model._default_manager.bulk_create(model(program=new_by_old[row.pop("program_id")], **row) for row in rows)
    return copy
