"""Policy simulations (审定人 and 系统管理员): start one, compute it, read and export its comparison.

Reads the call's applications, units, programs, budgets and caps in a constant number of queries, computes both sides
with the pure ``simulator.engine`` and writes only the simulation's own rows.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import ADMINISTRATOR, APPROVER, user_has_role
from applications.models import APPROVED_STATES, Application, ApplicationUnit, State
from core.db import bulk_insert
from programs.models import Call, OrganisationAnnualCap, Program, ProgramBudget, RuleSet, Tier
from simulator import engine
from simulator.error_codes import SimulatorErrorCode
from simulator.models import Simulation, SimulationLine, SimulationStatus

logger = logging.getLogger(__name__)

# Any state from submitted on (SPEC §4): drafts are not applications yet.
SIMULATED_STATES = tuple(s for s in State.values if s != State.DRAFT)
# By default: those that count against caps (neither withdrawn nor rejected).
DEFAULT_STATES = tuple(s for s in SIMULATED_STATES if s not in (State.WITHDRAWN, State.REJECTED))
# Amounts of these are frozen (on public notice or later): outside the simulated call they are context.
FROZEN_STATES = tuple(s for s in APPROVED_STATES if s != State.APPROVED)
ZERO = Decimal("0.00")

LINE_FIELDS = [
    "simulation",
    "application",
    "organisation",
    "position",
    "state",
    "base_program",
    "base_standard",
    "base_count_cut",
    "base_key_cut",
    "base_org_cut",
    "base_factor",
    "base_allocated",
    "candidate_program",
    "candidate_standard",
    "candidate_count_cut",
    "candidate_key_cut",
    "candidate_org_cut",
    "candidate_factor",
    "candidate_allocated",
    "delta",
    "note",
]


def may_simulate(user: User | None) -> bool:
    return user_has_role(user, APPROVER) or user_has_role(user, ADMINISTRATOR)


def progress_key(simulation_id: int) -> str:
    return f"simulation-{simulation_id}-progress"


def _set_progress(simulation_id: int, percent: int) -> None:
    cache.set(progress_key(simulation_id), percent, timeout=3600)


def current_progress(simulation: Simulation) -> int:
    """Percent done: live from the cache while running, 100 once done."""
    if simulation.status == SimulationStatus.DONE:
        return 100
    if simulation.status == SimulationStatus.RUNNING:
        return int(cache.get(progress_key(simulation.pk)) or 0)
    return 0


def base_rule_set(call: Call) -> RuleSet:
    return call.rule_set or RuleSet.draft()


def default_budgets(call: Call, rule_set: RuleSet) -> dict[int, Decimal | None]:
    """Per program of a rule set, the budget a simulation starts from: the program's budget for the call's year,
    else its rule set's default annual total, else the budgets of the call's programs it is the counterpart of."""
    programs = list(rule_set.programs.all())
    budgets = dict(
        ProgramBudget.objects.filter(year=call.year, program__in=programs).values_list("program_id", "amount")
    )
    base_ids = list(call.programs.values_list("pk", flat=True))
    mapping = engine.map_programs(base_ids, rule_set.pk, _links())
    base_budgets = dict(
        ProgramBudget.objects.filter(year=call.year, program_id__in=base_ids).values_list("program_id", "amount")
    )
    mapped: dict[int, Decimal] = {}
    for base_id, pid in mapping.items():
        if pid is not None and base_id in base_budgets:
            mapped[pid] = mapped.get(pid, ZERO) + base_budgets[base_id]
    return {p.pk: budgets.get(p.pk) or p.default_annual_budget or mapped.get(p.pk) for p in programs}


def live_organisation_cap(year: int) -> Decimal | None:
    row = OrganisationAnnualCap.objects.filter(year=year).first()
    return row.amount if row else None


@transaction.atomic
def start_simulation(
    *,
    call: Call,
    candidate: RuleSet,
    actor: User,
    states: Iterable[str] = DEFAULT_STATES,
    budgets: Mapping[int, Decimal | None] | None = None,
    organisation_cap: Decimal | None = None,
) -> Simulation:
    """Queue a simulation of a call's applications in ``states`` under its rules and under ``candidate``.

    ``budgets`` maps candidate programs to their annual budget (None or missing: the program's default from
    ``default_budgets``); ``organisation_cap`` is the candidate's organisation annual cap (None: off).
    Raise PermissionDenied unless the actor is an approver or administrator; ValidationError "states_invalid" for no
    state or a state before submission; "budget_negative" for a negative budget.
    """
    if not may_simulate(actor):
        raise PermissionDenied
    states = list(dict.fromkeys(states))
    if not states or not set(states) <= set(SIMULATED_STATES):
        raise ValidationError(_("请选择至少一种已提交之后的申报状态"), code=SimulatorErrorCode.STATES_INVALID)
    chosen = {**default_budgets(call, candidate), **(budgets or {})}
    codes = dict(candidate.programs.values_list("pk", "code"))
    if any(amount is not None and amount < 0 for amount in chosen.values()) or (
        organisation_cap is not None and organisation_cap < 0
    ):
        raise ValidationError(_("金额不能为负数"), code=SimulatorErrorCode.BUDGET_NEGATIVE)
    simulation = Simulation.objects.create(
        call=call,
        base_rule_set=base_rule_set(call),
        candidate_rule_set=candidate,
        states=states,
        candidate_budgets={
            codes[pid]: str(Decimal(amount).quantize(Decimal("0.01")))
            for pid, amount in chosen.items()
            if amount is not None and pid in codes
        },
        base_organisation_cap=live_organisation_cap(call.year),
        candidate_organisation_cap=organisation_cap,
        started_by=actor,
        total=Application.objects.filter(call=call, state__in=states).count(),
    )
    from simulator.tasks import simulate_task

    simulate_task.delay_on_commit(simulation_id=simulation.pk)
    return simulation


def _links() -> dict[int, engine.ProgramLink]:
    return {
        pid: engine.ProgramLink(pid, rs, cp, cf, so)
        for pid, rs, cp, cf, so in Program.objects.values_list(
            "pk", "rule_set_id", "counterpart_id", "copied_from_id", "sort_order"
        )
    }


def _rules(rule_set_ids: set[int]) -> dict[int, engine.ProgramRule]:
    tiers: dict[int, list[engine.TierRule]] = defaultdict(list)
    for program_id, code, amount, group in (
        Tier.objects.filter(program__rule_set_id__in=rule_set_ids)
        .order_by("program_id", "sort_order", "pk")
        .values_list("program_id", "code", "amount", "tier_group")
    ):
        tiers[program_id].append(engine.TierRule(code, amount, group or ""))
    rules = {}
    for p in Program.objects.filter(rule_set_id__in=rule_set_ids):
        rules[p.pk] = engine.ProgramRule(
            id=p.pk,
            code=p.code,
            name=p.name,
            unit_amount=p.unit_amount,
            claim_required=p.claim_required,
            max_units_per_year=p.max_units_per_year,
            cap_per_tier_group=p.cap_per_tier_group,
            funded_once=p.funded_once,
            one_tier_per_year=p.one_tier_per_year,
            tiers=tuple(tiers[p.pk]) if p.is_tiered else (),
            sort_order=p.sort_order,
        )
    return rules


def _load(simulation: Simulation) -> tuple[list[engine.ApplicationIn], dict[int, str], engine.Context]:
    """The simulated applications in submission order, their states, and the context outside them."""
    call = simulation.call
    rows = list(
        Application.objects.filter(call=call, state__in=simulation.states)
        .order_by(Coalesce("submitted_at", "created_at"), "pk")
        .values_list("pk", "organisation_id", "program_id", "state")
    )
    units: dict[int, list[engine.UnitIn]] = defaultdict(list)
    for app_id, key, tier_code, claim in (
        ApplicationUnit.objects.filter(application__call=call, application__state__in=simulation.states)
        .order_by("application_id", "position", "pk")
        .values_list("application_id", "key", "tier__code", "claim_amount")
    ):
        units[app_id].append(engine.UnitIn(key=key, tier_code=tier_code or "", claim_amount=claim))
    applications = [engine.ApplicationIn(pk, org, program, tuple(units[pk])) for pk, org, program, _state in rows]
    states = {pk: state for pk, _org, _program, state in rows}

    program_ids = {a.program_id for a in applications}
    outside = Q(application__state__in=FROZEN_STATES, reason_code="") & ~Q(application__call=call)
    context_units = tuple(
        engine.ContextUnit(org, pid, tier or "", key, year == call.year)
        for org, pid, tier, key, year in ApplicationUnit.objects.filter(
            outside, application__program_id__in=program_ids
        ).values_list(
            "application__organisation_id",
            "application__program_id",
            "tier__code",
            "key_normalised",
            "application__call__year",
        )
    )
    elsewhere = Application.objects.filter(call__year=call.year, state__in=FROZEN_STATES).exclude(call=call)
    organisations = {a.organisation_id for a in applications}
    awarded = dict(
        elsewhere.filter(organisation_id__in=organisations)
        .values("organisation_id")
        .annotate(total=Sum(Coalesce("allocated_amount", "standard_amount")))
        .values_list("organisation_id", "total")
    )
    frozen = dict(
        elsewhere.filter(program_id__in=program_ids)
        .values("program_id")
        .annotate(total=Sum(Coalesce("allocated_amount", "standard_amount")))
        .values_list("program_id", "total")
    )
    return applications, states, engine.Context(units=context_units, awarded=awarded, frozen_elsewhere=frozen)


def _summary_rows(side: engine.SideResult, rules: Mapping[int, engine.ProgramRule]) -> list[dict]:
    rows = []
    for pid, s in sorted(side.programs.items(), key=lambda item: (rules[item[0]].sort_order, rules[item[0]].code)):
        rows.append(
            {
                "program_id": pid,
                "code": rules[pid].code,
                "name": rules[pid].name,
                "count": s.count,
                "standard_total": str(s.standard_total),
                "count_cut_total": str(s.count_cut_total),
                "key_cut_total": str(s.key_cut_total),
                "org_cut_total": str(s.org_cut_total),
                "budget": None if s.budget is None else str(s.budget),
                "frozen_elsewhere": str(s.frozen_elsewhere),
                "factor": None if s.factor is None else str(s.factor),
                "fully_funded": s.fully_funded,
                "allocated_total": str(s.allocated_total),
            }
        )
    return rows


def execute_simulation(*, simulation_id: int) -> Simulation:
    """Compute a queued simulation; idempotent (a finished one is returned as it is). Writes only its own rows."""
    with transaction.atomic():
        simulation = Simulation.objects.select_for_update().select_related("call").get(pk=simulation_id)
        if simulation.status in (SimulationStatus.DONE, SimulationStatus.FAILED):
            return simulation
        simulation.status = SimulationStatus.RUNNING
        simulation.save(update_fields=["status"])
    try:
        with transaction.atomic():
            _simulate(simulation)
    except Exception:
        logger.exception("simulation %s failed", simulation.pk)
        Simulation.objects.filter(pk=simulation.pk).update(
            status=SimulationStatus.FAILED, error=_("计算出错，请联系系统管理员"), finished_at=timezone.now()
        )
        raise
    simulation.refresh_from_db()
    return simulation


def _simulate(simulation: Simulation) -> None:
    call = simulation.call
    _set_progress(simulation.pk, 5)
    applications, states, context = _load(simulation)
    rules = _rules({simulation.base_rule_set_id, simulation.candidate_rule_set_id})
    links = _links()
    base_ids = {a.program_id for a in applications}
    for pid in base_ids - rules.keys():  # an application of a program outside the call's rule set
        rules.update(_rules({links[pid].rule_set_id}))
    identity = {pid: pid for pid in base_ids}
    candidate_map = engine.map_programs(base_ids, simulation.candidate_rule_set_id, links)
    base_budgets = dict(
        ProgramBudget.objects.filter(year=call.year, program_id__in=base_ids).values_list("program_id", "amount")
    )
    by_code = {r.code: pid for pid, r in rules.items()}
    candidate_budgets = {
        by_code[code]: Decimal(amount) for code, amount in simulation.candidate_budgets.items() if code in by_code
    }
    _set_progress(simulation.pk, 20)
    base = engine.simulate_side(
        applications,
        rules,
        identity,
        base_budgets,
        organisation_cap=simulation.base_organisation_cap,
        context=context,
    )
    _set_progress(simulation.pk, 50)
    candidate = engine.simulate_side(
        applications,
        rules,
        candidate_map,
        candidate_budgets,
        organisation_cap=simulation.candidate_organisation_cap,
        context=context,
    )
    _set_progress(simulation.pk, 80)
    lines = []
    for position, application in enumerate(applications, 1):
        b, c = base.outcomes[application.id], candidate.outcomes[application.id]
        lines.append(
            SimulationLine(
                simulation_id=simulation.pk,
                application_id=application.id,
                organisation_id=application.organisation_id,
                position=position,
                state=states[application.id],
                base_program_id=application.program_id,
                base_standard=b.standard,
                base_count_cut=b.count_cut,
                base_key_cut=b.key_cut,
                base_org_cut=b.org_cut,
                base_factor=b.factor,
                base_allocated=b.allocated,
                candidate_program_id=c.program_id,
                candidate_standard=c.standard,
                candidate_count_cut=c.count_cut,
                candidate_key_cut=c.key_cut,
                candidate_org_cut=c.org_cut,
                candidate_factor=c.factor,
                candidate_allocated=c.allocated,
                delta=c.allocated - b.allocated,
                note=c.note[:200],
            )
        )
    bulk_insert(SimulationLine, lines, LINE_FIELDS)
    simulation.summary = {
        "base": _summary_rows(base, rules),
        "candidate": _summary_rows(candidate, rules),
        "mapping": {rules[b].code: (rules[c].code if c else None) for b, c in candidate_map.items()},
        "totals": {
            "base_allocated": str(sum((o.allocated for o in base.outcomes.values()), ZERO)),
            "candidate_allocated": str(sum((o.allocated for o in candidate.outcomes.values()), ZERO)),
        },
    }
    simulation.status = SimulationStatus.DONE
    simulation.total = len(applications)
    simulation.finished_at = timezone.now()
    simulation.save(update_fields=["summary", "status", "total", "finished_at"])
    _set_progress(simulation.pk, 100)


def organisation_comparison(simulation: Simulation) -> QuerySet:
    """Per organisation: allocated today and under the candidate, and the difference (one query)."""
    return (
        SimulationLine.objects.filter(simulation=simulation)
        .values("organisation_id", "organisation__name")
        .annotate(
            applications=Count("pk"),
            base=Sum("base_allocated"),
            candidate=Sum("candidate_allocated"),
            delta=Sum("delta"),
        )
    )


def program_comparison(simulation: Simulation) -> list[dict]:
    """Per candidate program (and those with none): today's and the candidate's allocated totals (one query)."""
    rows = (
        SimulationLine.objects.filter(simulation=simulation)
        .values("candidate_program_id", "candidate_program__code", "candidate_program__name")
        .annotate(
            applications=Count("pk"),
            base=Sum("base_allocated"),
            candidate=Sum("candidate_allocated"),
            gainers=Count("pk", filter=Q(delta__gt=0)),
            losers=Count("pk", filter=Q(delta__lt=0)),
        )
        .order_by("candidate_program__sort_order", "candidate_program__code")
    )
    return list(rows)
