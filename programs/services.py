"""Writes for the catalogue that go beyond editing one row in the admin."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from programs.error_codes import ProgramErrorCode
from programs.models import Call, ProgramBudget


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
