"""Caps: the (organisation, year) lock under which caps are counted, and the re-check at approval and payout."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from applications.error_codes import ApplicationErrorCode
from applications.models import APPROVED_STATES, Application, OrganisationYear
from applications.services.assessment import cap_policy, count_units, counted_elsewhere, unit_inputs
from core.money import format_yuan
from programs.models import OrganisationAnnualCap
from programs.rules import (
    REASON_ALREADY_FUNDED,
    REASON_YEARLY_CAP_REACHED,
    UnitResult,
    apply_organisation_cap,
    standard_amount,
)


def lock_organisation_year(organisation_id: int, year: int) -> OrganisationYear:
    """Take the row lock per (organisation, year) under which caps are counted, in one statement.

    ``INSERT … ON CONFLICT (organisation, year) DO UPDATE`` makes the row on the organisation's first submission of
    the year and locks it in every case (PostgreSQL locks the row it updates on conflict; two first submissions at
    the same moment queue on the unique index, and the second then updates, i.e. locks, the first one's row).
    """
    (row,) = OrganisationYear.objects.bulk_create(
        [OrganisationYear(organisation_id=organisation_id, year=year)],
        update_conflicts=True,
        unique_fields=["organisation", "year"],
        update_fields=["year"],
    )
    return row


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
    per_group, funded = counted_elsewhere(application, APPROVED_STATES, keys=[unit.key_normalised for unit in units])
    results = count_units(program, unit_inputs(application, units), per_group, funded)
    over = [r.key or str(i + 1) for i, r in enumerate(results) if r.reason_code == REASON_YEARLY_CAP_REACHED]
    if over:
        cap = cap_policy(program).max_units_per_year
        raise ValidationError(
            _("超过年度数量上限：本年度已核准%(done)s项，上限%(cap)s项，本申报超出%(n)s项（%(units)s）")
            % {"done": sum(per_group.values()), "cap": cap, "n": len(over), "units": "、".join(over)},
            code=ApplicationErrorCode.YEARLY_CAP_REACHED,
        )
    again = [r.key for r in results if r.reason_code == REASON_ALREADY_FUNDED]
    if again:
        raise ValidationError(
            _("以下编号已获资助，同一事项不重复资助：%(units)s") % {"units": "、".join(again)},
            code=ApplicationErrorCode.ALREADY_FUNDED,
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
            code=ApplicationErrorCode.ORGANISATION_CAP_REACHED,
        )
    return CapCheck(results, capped.amount, standard - capped.amount, capped.reason)
