"""Cap sweeps and allocation runs (足额或折算分配, SPEC §3): writes, each recorded with inputs and outputs.

Queries do not grow with the number of applications: a call's approved applications, their units and the
frozen context are each read once, and results are written in bulk.
"""

import logging
from collections import defaultdict
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import ADMINISTRATOR, APPROVER, user_has_role
from allocations.error_codes import AllocationErrorCode
from allocations.models import (
    AllocationLine,
    AllocationProgramResult,
    AllocationRun,
    CapSweep,
    CapSweepChange,
    RunStatus,
)
from applications.models import APPROVED_STATES, Application, ApplicationUnit, OrganisationYear, State
from applications.services import count_units, unit_inputs
from core.db import bulk_insert, bulk_set
from core.exceptions import Conflict
from programs.models import Call, OrganisationAnnualCap, ProgramBudget
from programs.rules import REASON_ORGANISATION_CAP_REACHED, allocate, apply_organisation_cap, standard_amount

logger = logging.getLogger(__name__)

# Once an application of the call is on public notice, its amounts are frozen (SPEC §3: "can be re-run until 公示
# opens; then amounts are frozen").
FROZEN_STATES = tuple(s for s in APPROVED_STATES if s != State.APPROVED)


def may_allocate(user: User | None) -> bool:
    return user_has_role(user, APPROVER) or user_has_role(user, ADMINISTRATOR)


def is_frozen(call: Call) -> bool:
    return Application.objects.filter(call=call, state__in=FROZEN_STATES).exists()


def _approved_applications(call: Call) -> list[Application]:
    """The call's approved applications with their units, in approval order (earliest approval first)."""
    return list(
        Application.objects.filter(call=call, state=State.APPROVED)
        .select_related("program", "call")
        .prefetch_related(
            Prefetch(
                "units",
                queryset=ApplicationUnit.objects.select_related("tier").order_by("position", "pk"),
                to_attr="ordered_units",
            )
        )
        .annotate(approved_at=Max("events__at", filter=Q(events__name="approve")))
        .order_by("approved_at", "pk")
    )


def _lock_organisation_years(organisation_ids: set[int], year: int) -> None:
    """Hold the (organisation, year) rows of every organisation involved, in id order (no deadlocks), in 2 queries."""
    OrganisationYear.objects.bulk_create(
        [OrganisationYear(organisation_id=o, year=year) for o in organisation_ids], ignore_conflicts=True
    )
    list(
        OrganisationYear.objects.select_for_update()
        .filter(organisation_id__in=organisation_ids, year=year)
        .order_by("organisation_id")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def sweep_caps(*, call: Call, actor: User | None = None) -> CapSweep:
    """Re-check a call's approved applications against the caps in force and record what changed and why.

    Count caps and funded-once keys are counted in approval order on top of the organisation's frozen
    applications (on public notice or later); the organisation annual cap then cuts in approval order.
    Idempotent: a second sweep with unchanged inputs changes nothing. Also runs before every allocation.
    """
    applications = _approved_applications(call)
    sweep = CapSweep.objects.create(call=call, run_by=actor, checked=len(applications))
    if not applications:
        return sweep
    year = call.year
    organisation_ids = {a.organisation_id for a in applications}
    program_ids = {a.program_id for a in applications}
    _lock_organisation_years(organisation_ids, year)

    # Frozen context: units and money of the organisations' applications on notice or later.
    counted: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    funded: dict[tuple[int, int], set[str]] = defaultdict(set)
    frozen_units = ApplicationUnit.objects.filter(
        application__organisation_id__in=organisation_ids,
        application__program_id__in=program_ids,
        application__state__in=FROZEN_STATES,
        reason_code="",
    ).values_list(
        "application__organisation_id",
        "application__program_id",
        "tier__tier_group",
        "application__call__year",
        "key_normalised",
        "application__program__cap_per_tier_group",
    )
    for organisation_id, program_id, group, unit_year, key, per_group in frozen_units:
        if unit_year == year:
            counted[(organisation_id, program_id)][(group or "") if per_group else ""] += 1
        if key:
            funded[(organisation_id, program_id)].add(key)
    awarded = dict(
        Application.objects.filter(organisation_id__in=organisation_ids, call__year=year, state__in=FROZEN_STATES)
        .values("organisation_id")
        .annotate(total=Sum(Coalesce("allocated_amount", "standard_amount")))
        .values_list("organisation_id", "total")
    )
    cap_row = OrganisationAnnualCap.objects.filter(year=year).first()

    # Count units in approval order.
    standards: dict[int, Decimal] = {}
    unit_updates: list[ApplicationUnit] = []
    reasons: dict[int, tuple[str, str]] = {}
    for application in applications:
        key = (application.organisation_id, application.program_id)
        units = application.ordered_units
        results = count_units(
            application.program, unit_inputs(application, units), dict(counted[key]), set(funded[key])
        )
        for unit, result in zip(units, results, strict=True):
            if (unit.counted_amount, unit.reason_code) != (result.counted_amount, result.reason_code):
                unit.counted_amount, unit.reason_code, unit.reason = (
                    result.counted_amount,
                    result.reason_code,
                    result.reason,
                )
                unit_updates.append(unit)
            if result.reason_code == "":
                group = (unit.tier.tier_group if unit.tier_id else "") if application.program.cap_per_tier_group else ""
                counted[key][group] += 1
                if unit.key_normalised:
                    funded[key].add(unit.key_normalised)
        standards[application.pk] = standard_amount(results)
        lost = [r for r in results if r.reason_code]
        if lost:
            reasons[application.pk] = (lost[0].reason_code, lost[0].reason)

    # The organisation annual cap, in approval order per organisation.
    if cap_row is not None:
        by_organisation: dict[int, list[Application]] = defaultdict(list)
        for application in applications:
            by_organisation[application.organisation_id].append(application)
        for organisation_id, own in by_organisation.items():
            capped = apply_organisation_cap(
                [standards[a.pk] for a in own], cap=cap_row.amount, already_awarded=awarded.get(organisation_id) or 0
            )
            for application, result in zip(own, capped, strict=True):
                if result.reason_code == REASON_ORGANISATION_CAP_REACHED and result.amount < standards[application.pk]:
                    reasons[application.pk] = (result.reason_code, result.reason)
                standards[application.pk] = result.amount

    changes: list[CapSweepChange] = []
    changed_applications: list[Application] = []
    for application in applications:
        after = standards[application.pk]
        if after != application.standard_amount:
            code, reason = reasons.get(application.pk, ("recounted", _("按现行规则重新计算")))
            changes.append(
                CapSweepChange(
                    sweep=sweep,
                    application=application,
                    standard_before=application.standard_amount,
                    standard_after=after,
                    reason_code=code,
                    reason=reason[:300],
                )
            )
            application.standard_amount = after
            changed_applications.append(application)
    unit_fields = ["counted_amount", "reason_code", "reason"]
    bulk_set(ApplicationUnit, ((u.pk, {f: getattr(u, f) for f in unit_fields}) for u in unit_updates), unit_fields)
    bulk_set(
        Application, ((a.pk, {"standard_amount": a.standard_amount}) for a in changed_applications), ["standard_amount"]
    )
    bulk_insert(
        CapSweepChange, changes, ["sweep", "application", "standard_before", "standard_after", "reason_code", "reason"]
    )
    sweep.changed = len(changes)
    sweep.save(update_fields=["changed"])
    return sweep


def progress_key(run_id: int) -> str:
    return f"allocation-run-{run_id}-progress"


@transaction.atomic
def start_allocation(*, call: Call, actor: User) -> AllocationRun:
    """Queue an allocation run for a call (approver or administrator).

    Raise PermissionDenied for other users; Conflict "allocation_frozen" once the call's publicity has opened;
    Conflict "allocation_running" while another run of the call is queued or running.
    """
    if not may_allocate(actor):
        raise PermissionDenied
    Call.objects.select_for_update().get(pk=call.pk)
    if is_frozen(call):
        raise Conflict(_("本批次已进入公示，资助金额已锁定，不能重新分配"), code=AllocationErrorCode.ALLOCATION_FROZEN)
    if AllocationRun.objects.filter(call=call, status__in=(RunStatus.PENDING, RunStatus.RUNNING)).exists():
        raise Conflict(_("本批次已有正在进行的资金分配，请稍候"), code=AllocationErrorCode.ALLOCATION_RUNNING)
    run = AllocationRun.objects.create(
        call=call,
        started_by=actor,
        total=Application.objects.filter(call=call, state=State.APPROVED).count(),
    )
    from allocations.tasks import allocate_call_task

    allocate_call_task.delay_on_commit(run_id=run.pk)
    return run


def execute_allocation(*, run_id: int) -> AllocationRun:
    """Compute a queued run: sweep the caps, then allocate per program under its budget; idempotent.

    A run that is already done or failed is returned unchanged. On an error the run is marked failed with the
    reason and no amount changes.
    """
    with transaction.atomic():
        run = AllocationRun.objects.select_for_update().get(pk=run_id)
        if run.status in (RunStatus.DONE, RunStatus.FAILED):
            return run
        run.status = RunStatus.RUNNING
        run.save(update_fields=["status"])
    try:
        with transaction.atomic():
            _allocate(run)
    except (ValidationError, Conflict) as error:
        message = "；".join(error.messages) if isinstance(error, ValidationError) else error.message
        AllocationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=message, finished_at=timezone.now()
        )
    except Exception:
        logger.exception("allocation run %s failed", run.pk)
        AllocationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=_("计算出错，请联系系统管理员"), finished_at=timezone.now()
        )
        raise
    run.refresh_from_db()
    return run


def _allocate(run: AllocationRun) -> None:
    call = Call.objects.select_for_update().get(pk=run.call_id)
    if is_frozen(call):
        raise Conflict(_("本批次已进入公示，资助金额已锁定，不能重新分配"), code=AllocationErrorCode.ALLOCATION_FROZEN)
    sweep = sweep_caps(call=call, actor=run.started_by)
    applications = list(
        Application.objects.filter(call=call, state=State.APPROVED)
        .select_related("program")
        .order_by("program_id", "pk")
    )
    program_ids = {a.program_id for a in applications}
    budgets = dict(
        ProgramBudget.objects.filter(year=call.year, program_id__in=program_ids).values_list("program_id", "amount")
    )
    missing = sorted({a.program.code for a in applications if a.program_id not in budgets})
    if missing:
        raise ValidationError(
            _("以下项目未设置%(year)s年度资助总额：%(codes)s") % {"year": call.year, "codes": "、".join(missing)},
            code=AllocationErrorCode.BUDGET_MISSING,
        )
    frozen_elsewhere = dict(
        Application.objects.filter(program_id__in=program_ids, call__year=call.year, state__in=FROZEN_STATES)
        .exclude(call=call)
        .values("program_id")
        .annotate(total=Sum(Coalesce("allocated_amount", "standard_amount")))
        .values_list("program_id", "total")
    )
    by_program: dict[int, list[Application]] = defaultdict(list)
    for application in applications:
        by_program[application.program_id].append(application)

    results: list[AllocationProgramResult] = []
    lines: list[AllocationLine] = []
    done = 0
    for program_id, own in by_program.items():
        budget = budgets[program_id]
        frozen = frozen_elsewhere.get(program_id) or Decimal("0.00")
        available = max(budget - frozen, Decimal("0.00"))
        allocation = allocate({a.pk: a.standard_amount for a in own}, available)
        results.append(
            AllocationProgramResult(
                run=run,
                program_id=program_id,
                application_count=len(own),
                budget=budget,
                frozen_elsewhere=frozen,
                requested_total=sum((a.claimed_amount for a in own), Decimal("0.00")),
                standard_total=allocation.total_standard,
                allocated_total=allocation.total_allocated,
                factor=allocation.factor,
                fully_funded=allocation.fully_funded,
            )
        )
        for application in own:
            amount = allocation.amounts[application.pk]
            application.allocated_amount = amount
            reason = "" if allocation.fully_funded else _("按系数%(f)s折算，取整到元") % {"f": allocation.factor}
            lines.append(
                AllocationLine(
                    run=run,
                    application=application,
                    program_id=program_id,
                    claimed_amount=application.claimed_amount,
                    standard_amount=application.standard_amount,
                    allocated_amount=amount,
                    reason=reason,
                )
            )
        done += len(own)
        cache.set(progress_key(run.pk), done, timeout=3600)
    AllocationProgramResult.objects.bulk_create(results)
    bulk_insert(
        AllocationLine,
        lines,
        ["run", "application", "program", "claimed_amount", "standard_amount", "allocated_amount", "reason"],
    )
    # One statement for every application of the call: copy the amounts from this run's lines.
    Application.objects.filter(call=call, state=State.APPROVED).update(
        allocated_amount=Subquery(
            AllocationLine.objects.filter(run=run, application=OuterRef("pk")).values("allocated_amount")[:1]
        )
    )
    run.status = RunStatus.DONE
    run.progress = done
    run.total = done
    run.cap_sweep = sweep
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "progress", "total", "cap_sweep", "finished_at"])


def current_progress(run: AllocationRun) -> int:
    """Applications processed so far: live from the cache while running, from the row once finished."""
    if run.status == RunStatus.RUNNING:
        return int(cache.get(progress_key(run.pk)) or 0)
    return run.progress


def compare_with_previous(run: AllocationRun) -> dict:
    """Per program, this run's totals beside the previous finished run's, and how many applications changed."""
    previous = (
        AllocationRun.objects.filter(call_id=run.call_id, status=RunStatus.DONE, started_at__lt=run.started_at)
        .order_by("-started_at", "-pk")
        .first()
    )
    if previous is None:
        return {"previous": None, "programs": {}, "changed_applications": 0}
    before = {r.program_id: r for r in previous.programs.all()}
    programs = {
        r.program_id: {
            "allocated_before": before[r.program_id].allocated_total if r.program_id in before else None,
            "allocated_after": r.allocated_total,
        }
        for r in run.programs.all()
    }
    old = dict(previous.lines.values_list("application_id", "allocated_amount"))
    changed = sum(
        1 for app_id, amount in run.lines.values_list("application_id", "allocated_amount") if old.get(app_id) != amount
    )
    return {"previous": previous, "programs": programs, "changed_applications": changed}
