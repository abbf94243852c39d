"""The policy simulator's computation: pure functions, no database (SPEC §3 applied under any rule set).

The same pipeline as the live stages, built on ``programs.rules``: each application's units are counted under a
program's rules (claims, the yearly count cap per program or tier group, keys funded once whoever claims them), the
organisation annual cap cuts in order, and each program's budget is shared in full or pro rata. The simulator runs it
twice on the same applications, once under today's rules and once under a candidate rule set, with programs mapped
through their counterpart links (``map_programs``).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _

from programs.rules import (
    CENT,
    REASON_ALREADY_FUNDED,
    REASON_YEARLY_CAP_REACHED,
    ZERO,
    CapPolicy,
    UnitInput,
    allocate,
    apply_organisation_cap,
    compute_units,
    normalise_unit_key,
    standard_amount,
)


@dataclass(frozen=True)
class TierRule:
    code: str
    amount: Decimal
    group: str = ""


@dataclass(frozen=True)
class ProgramRule:
    """What the computation needs of a program (a plain copy of its row and its tiers)."""

    id: int
    code: str
    name: str
    unit_amount: Decimal | None
    claim_required: bool
    max_units_per_year: int | None
    cap_per_tier_group: bool
    funded_once: bool
    one_tier_per_year: bool
    tiers: tuple[TierRule, ...] = ()
    sort_order: int = 0

    @property
    def is_tiered(self) -> bool:
        return bool(self.tiers)

    def tier(self, code: str) -> TierRule | None:
        """The tier of this code; a unit of an untiered program (or of an unknown tier) takes the first tier."""
        for tier in self.tiers:
            if tier.code == code:
                return tier
        return self.tiers[0] if self.tiers else None

    def policy(self) -> CapPolicy:
        cap = self.max_units_per_year
        if self.one_tier_per_year:
            cap = 1 if cap is None else min(cap, 1)
        return CapPolicy(claim_required=self.claim_required, max_units_per_year=cap, funded_once=self.funded_once)


@dataclass(frozen=True)
class ProgramLink:
    """A program's place among rule sets: its rule set, the counterpart it names and the program it was copied from."""

    id: int
    rule_set_id: int
    counterpart_id: int | None = None
    copied_from_id: int | None = None
    sort_order: int = 0


def _lineage(program_id: int, links: Mapping[int, ProgramLink]) -> list[int]:
    """The program and the programs it was copied from, nearest first."""
    chain, seen = [], set()
    current: int | None = program_id
    while current is not None and current not in seen and current in links:
        chain.append(current)
        seen.add(current)
        current = links[current].copied_from_id
    return chain


def map_programs(
    base_ids: Iterable[int], candidate_rule_set_id: int, links: Mapping[int, ProgramLink]
) -> dict[int, int | None]:
    """Map each base program to the program of the candidate rule set its applications are computed under.

    In order: the candidate program of the same lineage (the base program itself, or a copy of it or of what it was
    copied from); else one its lineage names as counterpart (P8-3 → 大湾区碳足迹标识认证), or a copy of that; else one
    whose lineage names it. None when the candidate has no such program. Several matches: the first in catalogue
    order.
    """
    candidates = sorted(
        (link for link in links.values() if link.rule_set_id == candidate_rule_set_id),
        key=lambda link: (link.sort_order, link.id),
    )
    lineage = {c.id: set(_lineage(c.id, links)) for c in candidates}
    mapping: dict[int, int | None] = {}
    for base_id in base_ids:
        own = set(_lineage(base_id, links))
        named = {links[i].counterpart_id for i in own if links[i].counterpart_id is not None}
        match = next((c.id for c in candidates if lineage[c.id] & own), None)
        if match is None:
            match = next((c.id for c in candidates if lineage[c.id] & named), None)
        if match is None:
            match = next(
                (c.id for c in candidates if any(links[i].counterpart_id in own for i in lineage[c.id])),
                None,
            )
        mapping[base_id] = match
    return mapping


@dataclass(frozen=True)
class UnitIn:
    key: str
    tier_code: str = ""
    claim_amount: Decimal | None = None


@dataclass(frozen=True)
class ApplicationIn:
    """A real application as the simulator sees it; ``program_id`` is its program under today's rules."""

    id: int
    organisation_id: int
    program_id: int
    units: tuple[UnitIn, ...]


@dataclass(frozen=True)
class ContextUnit:
    """A counted unit of an application outside the simulated ones (on public notice or later), for the caps."""

    organisation_id: int
    program_id: int
    tier_code: str
    key: str  # normalised
    same_year: bool


@dataclass(frozen=True)
class Context:
    units: tuple[ContextUnit, ...] = ()
    awarded: Mapping[int, Decimal] = field(default_factory=dict)  # per organisation, this year, outside
    frozen_elsewhere: Mapping[int, Decimal] = field(default_factory=dict)  # per base program, this year, outside


@dataclass
class Outcome:
    """One application under one side's rules."""

    program_id: int | None
    standard: Decimal = ZERO  # after count caps and once-per-key, before the organisation cap
    count_cut: Decimal = ZERO
    key_cut: Decimal = ZERO
    other_cut: Decimal = ZERO  # claims missing
    org_cut: Decimal = ZERO
    capped: Decimal = ZERO  # after the organisation cap: what the allocation shares
    factor: Decimal | None = None
    allocated: Decimal = ZERO
    note: str = ""


@dataclass
class ProgramSummary:
    program_id: int
    count: int = 0
    standard_total: Decimal = ZERO
    count_cut_total: Decimal = ZERO
    key_cut_total: Decimal = ZERO
    org_cut_total: Decimal = ZERO
    capped_total: Decimal = ZERO
    budget: Decimal | None = None
    frozen_elsewhere: Decimal = ZERO
    factor: Decimal | None = None
    fully_funded: bool = True
    allocated_total: Decimal = ZERO


@dataclass
class SideResult:
    outcomes: dict[int, Outcome]
    programs: dict[int, ProgramSummary]


def _would_count(rule: ProgramRule, amount: Decimal, claim: Decimal | None) -> Decimal:
    if rule.claim_required:
        if claim is None or claim <= 0:
            return ZERO
        return min(Decimal(claim).quantize(CENT, rounding=ROUND_DOWN), amount)
    return amount


def simulate_side(
    applications: Sequence[ApplicationIn],
    rules: Mapping[int, ProgramRule],
    mapping: Mapping[int, int | None],
    budgets: Mapping[int, Decimal],
    *,
    organisation_cap: Decimal | None,
    context: Context | None = None,
) -> SideResult:
    """Compute every application under one side's programs (``mapping`` from its program to this side's).

    ``applications`` must be in the order the caps are applied (submission order). A program with no budget in
    ``budgets`` gets its applications' amounts in full. Applications whose program has no counterpart on this side
    get nothing, with a note.
    """
    context = context or Context()
    counted: dict[tuple[int, int, str], int] = defaultdict(int)
    funded: dict[int, set[str]] = defaultdict(set)
    for unit in context.units:
        pid = mapping.get(unit.program_id)
        if pid is None:
            continue
        rule = rules[pid]
        tier = rule.tier(unit.tier_code) if rule.is_tiered else None
        group = tier.group if (tier and rule.cap_per_tier_group) else ""
        if unit.same_year:
            counted[(unit.organisation_id, pid, group)] += 1
        if unit.key and rule.funded_once:
            funded[pid].add(unit.key)

    outcomes: dict[int, Outcome] = {}
    no_counterpart = _("该规则集中没有对应项目")
    for application in applications:
        pid = mapping.get(application.program_id)
        if pid is None:
            outcomes[application.id] = Outcome(program_id=None, note=no_counterpart)
            continue
        rule = rules[pid]
        inputs: list[UnitInput] = []
        would: list[Decimal] = []
        keys: list[str] = []
        for unit in application.units:
            if rule.is_tiered:
                tier = rule.tier(unit.tier_code)
                amount = tier.amount if tier else ZERO
                group = tier.group if (tier and rule.cap_per_tier_group) else ""
            else:
                amount, group = (rule.unit_amount or ZERO), ""
            inputs.append(UnitInput(key=unit.key, unit_amount=amount, claim_amount=unit.claim_amount, tier_group=group))
            would.append(_would_count(rule, amount, unit.claim_amount))
            keys.append(normalise_unit_key(unit.key))
        order = list(range(len(inputs)))
        if rule.one_tier_per_year:
            order.sort(key=lambda i: inputs[i].unit_amount, reverse=True)
        org = application.organisation_id
        already = {group: counted[(org, pid, group)] for group in {u.tier_group for u in inputs}}
        own_funded = funded[pid]
        results = compute_units(
            [inputs[i] for i in order],
            rule.policy(),
            units_already_counted=already,
            funded_keys=[k for k in keys if k and k in own_funded],
        )
        outcome = Outcome(program_id=pid, standard=standard_amount(results))
        for index, result in zip(order, results, strict=True):
            if result.is_counted:
                counted[(org, pid, inputs[index].tier_group)] += 1
                if keys[index] and rule.funded_once:
                    own_funded.add(keys[index])
            elif result.reason_code == REASON_YEARLY_CAP_REACHED:
                outcome.count_cut += would[index]
            elif result.reason_code == REASON_ALREADY_FUNDED:
                outcome.key_cut += would[index]
            else:
                outcome.other_cut += would[index]
        outcomes[application.id] = outcome

    # The organisation annual cap, in order, per organisation.
    by_organisation: dict[int, list[int]] = defaultdict(list)
    for application in applications:
        if outcomes[application.id].program_id is not None:
            by_organisation[application.organisation_id].append(application.id)
    for organisation_id, ids in by_organisation.items():
        capped = apply_organisation_cap(
            [outcomes[i].standard for i in ids],
            cap=organisation_cap,
            already_awarded=context.awarded.get(organisation_id, ZERO),
        )
        for app_id, result in zip(ids, capped, strict=True):
            outcome = outcomes[app_id]
            outcome.capped = result.amount
            outcome.org_cut = outcome.standard - result.amount

    # Allocation per program: in full or pro rata.
    frozen: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for base_id, amount in context.frozen_elsewhere.items():
        pid = mapping.get(base_id)
        if pid is not None:
            frozen[pid] += amount or ZERO
    per_program: dict[int, list[int]] = defaultdict(list)
    for application in applications:
        pid = outcomes[application.id].program_id
        if pid is not None:
            per_program[pid].append(application.id)
    summaries: dict[int, ProgramSummary] = {}
    for pid, ids in per_program.items():
        summary = ProgramSummary(program_id=pid, count=len(ids), budget=budgets.get(pid))
        summary.frozen_elsewhere = frozen[pid]
        for app_id in ids:
            o = outcomes[app_id]
            summary.standard_total += o.standard
            summary.count_cut_total += o.count_cut
            summary.key_cut_total += o.key_cut
            summary.org_cut_total += o.org_cut
            summary.capped_total += o.capped
        if summary.budget is None:
            amounts = {app_id: outcomes[app_id].capped for app_id in ids}
            summary.allocated_total = summary.capped_total
        else:
            available = max(summary.budget - summary.frozen_elsewhere, ZERO)
            allocation = allocate({app_id: outcomes[app_id].capped for app_id in ids}, available)
            amounts = allocation.amounts
            summary.factor = allocation.factor
            summary.fully_funded = allocation.fully_funded
            summary.allocated_total = allocation.total_allocated
        for app_id in ids:
            outcomes[app_id].allocated = amounts[app_id]
            outcomes[app_id].factor = summary.factor
        summaries[pid] = summary
    return SideResult(outcomes=outcomes, programs=summaries)
