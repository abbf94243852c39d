"""Assessment: what the rules say about an application as it stands (amounts per unit, eligibility checks).

Computed live while the applicant fills in, stored on every write and run again at submission.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Sanction
from accounts.rules import is_valid_uscc
from applications import rules
from applications.models import COUNTED_STATES, Application, ApplicationUnit, State
from programs.models import AmountRule, Program
from programs.rules import CapPolicy, UnitInput, UnitResult, compute_units, standard_amount
from programs.selectors import call_config, program_config


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
    program: Program,
    inputs: list[UnitInput],
    per_group: dict[str, int],
    funded: set[str],
    *,
    policy: CapPolicy | None = None,
) -> list[UnitResult]:
    """Count units in their order, except that where only one tier a year is funded the highest counts first.

    操作规程 第十条第一款：同一年度获得多项荣誉的，按最高档次资助。
    ``policy`` is ``cap_policy(program)``, for a caller counting many applications of one program.
    """
    if policy is None:
        policy = cap_policy(program)
    if not program.one_tier_per_year:  # counted in their own order: nothing to reorder
        return compute_units(inputs, policy, units_already_counted=per_group, funded_keys=funded)
    order = list(range(len(inputs)))
    order.sort(key=lambda i: inputs[i].unit_amount, reverse=True)
    results = compute_units([inputs[i] for i in order], policy, units_already_counted=per_group, funded_keys=funded)
    by_index = dict(zip(order, results, strict=True))
    return [by_index[i] for i in range(len(inputs))]


def cap_policy(program: Program) -> CapPolicy:
    cap = program.max_units_per_year
    if program.one_tier_per_year:
        cap = 1 if cap is None else min(cap, 1)
    return CapPolicy(claim_required=program.claim_required, max_units_per_year=cap, funded_once=program.funded_once)


def counted_elsewhere(
    application: Application, states: Iterable[str] = COUNTED_STATES, *, keys: Iterable[str] = ()
) -> tuple[dict[str, int], set[str]]:
    """What other applications of the program in ``states`` (by default: submitted and neither withdrawn nor
    rejected) already count, in one query: the organisation's units this year, per tier group, for the count caps;
    and which of ``keys`` (normalised unit keys) any organisation already holds, in any year, for the keys funded
    at most once ever (SPEC §3)."""
    program = application.program
    year = application.call.year
    wanted = sorted({key for key in keys if key}) if program.funded_once else []
    mine = Q(application__organisation_id=application.organisation_id, application__call__year=year)
    rows = (
        ApplicationUnit.objects.filter(
            mine | Q(key_normalised__in=wanted) if wanted else mine,
            application__program_id=program.pk,
            application__state__in=list(states),
            reason_code="",
        )
        .exclude(application_id=application.pk)
        .values_list("tier__tier_group", "application__organisation_id", "application__call__year", "key_normalised")
    )
    per_group: dict[str, int] = {}
    funded: set[str] = set()
    for group, organisation_id, unit_year, key in rows:
        if organisation_id == application.organisation_id and unit_year == year:
            group_key = (group or "") if program.cap_per_tier_group else ""
            per_group[group_key] = per_group.get(group_key, 0) + 1
        if key in wanted:
            funded.add(key)
    return per_group, funded


def window_open(application: Application, now: timezone.datetime) -> bool:
    """Whether the applicant may submit now: a draft within the call's window; a returned application until the
    end of its correction due date (补正期限), even after the call has closed; anything else was submitted in time."""
    if application.state == State.RETURNED and application.return_due_on:
        return timezone.localdate(now) <= application.return_due_on
    if application.state == State.DRAFT:
        return application.call.is_open_at(now)
    return True


def assess(
    application: Application,
    *,
    now: timezone.datetime | None = None,
    units: list[ApplicationUnit] | None = None,
    attachment_kinds: Iterable[str] | None = None,
) -> Assessment:
    """Compute the standard amount and run every eligibility check for an application as it stands.

    A write that holds the application's units (just cleaned, perhaps not yet saved) or its attachment kinds passes
    them in, and they are not read again; the program's tiers, requirements and fields and the call's programs come
    from the configuration cache (``programs.selectors``); the organisation's sanction comes with the locked row when
    the service read it there (``sanction_until``, see ``services.common.locked``).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    config = program_config(application.program_id)
    program = application.program
    organisation = application.organisation
    if units is None:
        units = list(application.units.order_by("position", "pk"))
    tiers = config.tiers_by_id
    for unit in units:
        if unit.tier_id is not None and unit.tier_id in tiers:
            unit.tier = tiers[unit.tier_id]  # the cached row: no join, no query
    policy = cap_policy(program)
    if units and (policy.max_units_per_year is not None or policy.funded_once):
        per_group, funded = counted_elsewhere(application, keys=[unit.key_normalised for unit in units])
    else:  # nothing to count against: no cap, no key funded once ever, or no unit
        per_group, funded = {}, set()
    inputs = unit_inputs(application, units)
    results = count_units(program, inputs, per_group, funded)
    claimed = sum(
        (u.claim_amount if u.claim_amount is not None else i.unit_amount for u, i in zip(units, inputs, strict=True)),
        Decimal("0.00"),
    )
    required = {r.kind: r.name for r in config.requirements if r.is_required}
    if attachment_kinds is None:
        attachment_kinds = application.attachments.values_list("kind", flat=True)
    present = set(attachment_kinds)
    unanswered = [f for f in config.form_fields if f.is_required and application.form_data.get(f.name) in (None, "")]
    absent = [(kind, name) for kind, name in required.items() if kind not in present]
    if hasattr(application, "sanction_until"):
        sanction_until = application.sanction_until
    else:
        sanction = (
            Sanction.objects.active_on(today).filter(organisation_id=organisation.pk).order_by("-ends_on").first()
        )
        sanction_until = sanction.ends_on if sanction else None
    facts = rules.EligibilityFacts(
        org_type=organisation.org_type,
        org_type_label=organisation.get_org_type_display(),
        allowed_types=program.applicant_types,
        allowed_types_label=program.get_applicant_types_display(),
        in_shenzhen=organisation.is_in_shenzhen,
        founded_on=organisation.founded_on,
        min_years_established=program.min_years_established,
        today=today,
        sanction_until=sanction_until,
        call_year=application.call.year,
        evidence_window=program.evidence_window,
        evidence_years=program.evidence_years,
        call_open=window_open(application, now),
        program_in_call=application.program_id in call_config(application.call_id).program_ids,
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
        missing_attachments=[name for _kind, name in absent],
        missing_form_fields=[f.label for f in unanswered],
        missing_attachment_kinds=[kind for kind, _name in absent],
        missing_form_field_names=[f.name for f in unanswered],
    )
    return Assessment(
        unit_results=results,
        standard_amount=standard_amount(results),
        claimed_amount=claimed,
        checks=rules.check_eligibility(facts),
        attachment_kinds=frozenset(present),
        units=tuple(units),
    )


def sanction_until_subquery(today: date, organisation: str = "organisation_id") -> Subquery:
    """The end of the organisation's active sanction on ``today`` (or NULL), to annotate onto a row whose column
    ``organisation`` holds the organisation (an application's ``organisation_id``, an organisation's ``pk``)."""
    return Subquery(
        Sanction.objects.active_on(today)
        .filter(organisation_id=OuterRef(organisation))
        .order_by("-ends_on")
        .values("ends_on")[:1]
    )


def apply_assessment(application: Application, assessment: Assessment) -> list[str]:
    """Set the counted amounts on the assessed units and the amounts on the application, in memory only.

    Return the application's fields that changed (to save with the write's own fields): a write then saves each
    row once. Units already in the database whose counted amount changed are marked for ``store_assessment``.
    """
    application.latest_assessment = assessment
    changed_units = []
    for unit, result in zip(assessment.units, assessment.unit_results, strict=True):
        reason = result.reason[:300]
        if (unit.counted_amount, unit.reason_code, unit.reason) != (result.counted_amount, result.reason_code, reason):
            unit.counted_amount, unit.reason_code, unit.reason = result.counted_amount, result.reason_code, reason
            if unit.pk is not None:
                changed_units.append(unit)
    application._changed_units = changed_units
    fields = []
    if application.standard_amount != assessment.standard_amount:
        application.standard_amount = assessment.standard_amount
        fields.append("standard_amount")
    if application.claimed_amount != assessment.claimed_amount:
        application.claimed_amount = assessment.claimed_amount
        fields.append("claimed_amount")
    return fields


def store_assessment(application: Application, assessment: Assessment, *, save: bool = True) -> list[str]:
    """Write the counted amounts of the units that changed, and (``save``) the application's amounts when they
    changed; keep the assessment on the instance (``latest_assessment``) for the response that follows the write.

    With ``save=False`` return the application's changed fields for the caller's own single save.
    """
    fields = apply_assessment(application, assessment)
    changed_units = application.__dict__.pop("_changed_units", [])
    if changed_units:
        ApplicationUnit.objects.bulk_update(changed_units, ["counted_amount", "reason_code", "reason"])
    if save and fields:
        application.save(update_fields=[*fields, "updated_at"])
    return fields
