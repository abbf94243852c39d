"""Cap sweeps and allocation runs (足额或折算分配, SPEC §3): writes, each recorded with inputs and outputs.

Queries do not grow with the number of applications: a call's approved applications, their units and the
frozen context are each read once, as tuples (no model instances), the programs and tiers come from the
configuration cache, and each table is written by one statement (COPY or UPDATE … FROM unnest(…) on PostgreSQL).
"""

import gc
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from operator import itemgetter

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max, Q, Sum
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
from applications.services import cap_policy, count_units
from core.db import bulk_insert, bulk_set, bulk_set_columns, copy_rows, number_array
from core.exceptions import Conflict
from programs.models import Call, OrganisationAnnualCap, ProgramBudget
from programs.rules import (
    REASON_ORGANISATION_CAP_REACHED,
    UnitInput,
    allocate,
    apply_organisation_cap,
    standard_amount,
)
from programs.selectors import program_config

logger = logging.getLogger(__name__)

# Once an application of the call is on public notice, its amounts are frozen (SPEC §3: "can be re-run until 公示
# opens; then amounts are frozen").
FROZEN_STATES = tuple(s for s in APPROVED_STATES if s != State.APPROVED)


def may_allocate(user: User | None) -> bool:
    return user_has_role(user, APPROVER) or user_has_role(user, ADMINISTRATOR)


def is_frozen(call: Call) -> bool:
    return Application.objects.filter(call=call, state__in=FROZEN_STATES).exists()


# The approved applications of a call, as tuples: what the cap sweep and the allocation need, nothing more.
# (id, organisation_id, program_id, standard_amount, claimed_amount), in approval order (earliest approval first).
Approved = tuple[int, int, int, Decimal, Decimal]
# (id, application_id, tier_id, key_normalised, claim_amount, counted_amount, reason_code), in position order.
UnitRow = tuple[int, int, int | None, str, Decimal | None, Decimal, str]


def _approved_applications(call: Call) -> list[Approved]:
    return list(
        Application.objects.filter(call=call, state=State.APPROVED)
        .annotate(approved_at=Max("events__at", filter=Q(events__name="approve")))
        .order_by("approved_at", "pk")
        .values_list("pk", "organisation_id", "program_id", "standard_amount", "claimed_amount")
    )


def _approved_units(call: Call) -> dict[int, list[UnitRow]]:
    rows: dict[int, list[UnitRow]] = defaultdict(list)
    units = (
        ApplicationUnit.objects.filter(application__call=call, application__state=State.APPROVED)
        .order_by("application_id", "position", "pk")
        .values_list(
            "pk", "application_id", "tier_id", "key_normalised", "claim_amount", "counted_amount", "reason_code"
        )
    )
    for row in units:
        rows[row[1]].append(row)
    return rows


def _lock_organisation_years(organisation_ids: set[int], year: int) -> None:
    """Hold the (organisation, year) rows of every organisation involved, in id order (no deadlocks).

    PostgreSQL: one ``INSERT … SELECT … ON CONFLICT DO UPDATE``, which makes the missing rows and locks them all, as
    ``applications.services.lock_organisation_year`` does for one. Elsewhere: make the missing rows, then lock.
    """
    ordered = sorted(organisation_ids)
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(OrganisationYear._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (organisation_id, year) "  # noqa: S608
                "SELECT o, %s FROM unnest(%s::bigint[]) AS o ORDER BY o "
                "ON CONFLICT (organisation_id, year) DO UPDATE SET year = EXCLUDED.year",
                [year, number_array(ordered) or ordered],
            )
        return
    OrganisationYear.objects.bulk_create(
        [OrganisationYear(organisation_id=o, year=year) for o in ordered], ignore_conflicts=True
    )
    list(
        OrganisationYear.objects.select_for_update()
        .filter(organisation_id__in=ordered, year=year)
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
    sweep, applications, standards = _sweep(call, actor)
    _write_amounts(applications, standards, {})
    return sweep


def _sweep(call: Call, actor: User | None) -> tuple[CapSweep, list[Approved], dict[int, Decimal]]:
    """The cap sweep without the write of the applications' standard amounts, which the caller makes (alone, or
    together with the allocated amounts: one UPDATE of the applications either way). Read as tuples: the approved
    applications, their units, the frozen context; the programs and tiers from the configuration cache."""
    applications = _approved_applications(call)
    if not applications:
        return CapSweep.objects.create(call=call, run_by=actor, checked=0), [], {}
    year = call.year
    organisation_ids = {a[1] for a in applications}
    program_ids = {a[2] for a in applications}
    _lock_organisation_years(organisation_ids, year)
    configs = {program_id: program_config(program_id) for program_id in program_ids}
    tiers_of = {program_id: config.tiers_by_id for program_id, config in configs.items()}
    policies = {program_id: cap_policy(config.program) for program_id, config in configs.items()}
    units_of = _approved_units(call)

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
    unit_updates: list[tuple[int, dict]] = []
    reasons: dict[int, tuple[str, str]] = {}
    for pk, organisation_id, program_id, _standard, _claimed in applications:
        key = (organisation_id, program_id)
        config = configs[program_id]
        program = config.program
        tiers = tiers_of[program_id]
        units = units_of.get(pk, [])
        inputs = []
        groups = []
        for _unit_pk, _app, tier_id, unit_key, claim, _counted, _reason in units:
            tier = tiers.get(tier_id) if tier_id is not None else None
            group = (tier.tier_group if tier else "") if program.cap_per_tier_group else ""
            amount = tier.amount if tier else (program.unit_amount or Decimal("0"))
            inputs.append(UnitInput(key=unit_key, unit_amount=amount, claim_amount=claim, tier_group=group))
            groups.append(group)
        # count_units copies what it is given: no copy here, and no empty entry made for an unseen key.
        results = count_units(
            program, inputs, counted.get(key) or {}, funded.get(key) or set(), policy=policies[program_id]
        )
        for unit, group, result in zip(units, groups, results, strict=True):
            if (unit[5], unit[6]) != (result.counted_amount, result.reason_code):
                unit_updates.append(
                    (
                        unit[0],
                        {
                            "counted_amount": result.counted_amount,
                            "reason_code": result.reason_code,
                            "reason": result.reason[:300],
                        },
                    )
                )
            if result.reason_code == "":
                counted[key][group] += 1
                if unit[3]:
                    funded[key].add(unit[3])
        standards[pk] = standard_amount(results)
        lost = [r for r in results if r.reason_code]
        if lost:
            reasons[pk] = (lost[0].reason_code, lost[0].reason)

    # The organisation annual cap, in approval order per organisation.
    if cap_row is not None:
        by_organisation: dict[int, list[int]] = defaultdict(list)
        for pk, organisation_id, *_rest in applications:
            by_organisation[organisation_id].append(pk)
        for organisation_id, own in by_organisation.items():
            capped = apply_organisation_cap(
                [standards[pk] for pk in own], cap=cap_row.amount, already_awarded=awarded.get(organisation_id) or 0
            )
            for pk, result in zip(own, capped, strict=True):
                if result.reason_code == REASON_ORGANISATION_CAP_REACHED and result.amount < standards[pk]:
                    reasons[pk] = (result.reason_code, result.reason)
                standards[pk] = result.amount

    changes: list[CapSweepChange] = []
    for pk, _organisation_id, _program_id, before, _claimed in applications:
        after = standards[pk]
        if after != before:
            code, reason = reasons.get(pk, ("recounted", _("按现行规则重新计算")))
            changes.append(
                CapSweepChange(
                    application_id=pk,
                    standard_before=before,
                    standard_after=after,
                    reason_code=code,
                    reason=reason[:300],
                )
            )
    sweep = CapSweep.objects.create(call=call, run_by=actor, checked=len(applications), changed=len(changes))
    for change in changes:
        change.sweep = sweep
    unit_fields = ["counted_amount", "reason_code", "reason"]
    bulk_set(ApplicationUnit, unit_updates, unit_fields)
    bulk_insert(
        CapSweepChange, changes, ["sweep", "application", "standard_before", "standard_after", "reason_code", "reason"]
    )
    return sweep, applications, standards


def _write_amounts(applications: list[Approved], standards: dict[int, Decimal], allocated: dict[int, Decimal]) -> None:
    """One UPDATE of the applications: the standard amounts the sweep changed and, after an allocation, every
    application's allocated amount."""
    if allocated:
        pks = [a[0] for a in applications]
        amounts = {"standard_amount": [standards[pk] for pk in pks], "allocated_amount": [allocated[pk] for pk in pks]}
    else:
        pks = [a[0] for a in applications if standards[a[0]] != a[3]]
        amounts = {"standard_amount": [standards[pk] for pk in pks]}
    bulk_set_columns(Application, pks, amounts)


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
        with _collector_paused(), transaction.atomic():
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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during one run, then restore it as it was.

    A run keeps tens of thousands of rows, units and results alive at once; each of them counts towards the
    collector's thresholds, so a run set off a full collection, which walks every object of the worker's process
    (0.15 to 0.6 s at 10,000 applications, about a quarter of the run). Reference counting still frees what the
    run drops; what little cyclic garbage it leaves is collected after it, as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _allocate(run: AllocationRun) -> None:
    """Sweep the caps, then allocate per program: read once as tuples, one write per table (no correlated
    subquery: the applications' amounts are one UPDATE … FROM unnest(…) with the swept standard amounts)."""
    call = Call.objects.select_for_update().get(pk=run.call_id)
    if is_frozen(call):
        raise Conflict(_("本批次已进入公示，资助金额已锁定，不能重新分配"), code=AllocationErrorCode.ALLOCATION_FROZEN)
    sweep, applications, standards = _sweep(call, run.started_by)
    program_ids = {a[2] for a in applications}
    budgets = dict(
        ProgramBudget.objects.filter(year=call.year, program_id__in=program_ids).values_list("program_id", "amount")
    )
    missing = sorted({program_config(p).program.code for p in program_ids if p not in budgets})
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
    by_program: dict[int, list[Approved]] = defaultdict(list)
    for application in sorted(applications, key=itemgetter(2, 0)):
        by_program[application[2]].append(application)

    results: list[AllocationProgramResult] = []
    lines: list[tuple] = []  # AllocationLine rows as tuples: no 10,000 model instances
    allocated: dict[int, Decimal] = {}
    done = 0
    for program_id, own in by_program.items():
        budget = budgets[program_id]
        frozen = frozen_elsewhere.get(program_id) or Decimal("0.00")
        available = max(budget - frozen, Decimal("0.00"))
        allocation = allocate({a[0]: standards[a[0]] for a in own}, available)
        results.append(
            AllocationProgramResult(
                run=run,
                program_id=program_id,
                application_count=len(own),
                budget=budget,
                frozen_elsewhere=frozen,
                requested_total=sum((a[4] for a in own), Decimal("0.00")),
                standard_total=allocation.total_standard,
                allocated_total=allocation.total_allocated,
                factor=allocation.factor,
                fully_funded=allocation.fully_funded,
            )
        )
        reason = "" if allocation.fully_funded else _("按系数%(f)s折算，取整到元") % {"f": allocation.factor}
        for pk, _organisation_id, _program_id, _standard, claimed in own:
            amount = allocation.amounts[pk]
            allocated[pk] = amount
            lines.append((run.pk, pk, program_id, claimed, standards[pk], amount, reason))
        done += len(own)
        cache.set(progress_key(run.pk), done, timeout=3600)
    AllocationProgramResult.objects.bulk_create(results)
    copy_rows(
        AllocationLine,
        ["run", "application", "program", "claimed_amount", "standard_amount", "allocated_amount", "reason"],
        lines,
    )
    _write_amounts(applications, standards, allocated)
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
