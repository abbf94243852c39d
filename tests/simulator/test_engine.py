"""The simulator's pure computation: program mapping between rule sets, caps, the organisation cap, the factor."""

from decimal import Decimal

from simulator.engine import (
    ApplicationIn,
    Context,
    ContextUnit,
    ProgramLink,
    ProgramRule,
    TierRule,
    UnitIn,
    map_programs,
    simulate_side,
)

DRAFT, FINAL, COPY = 1, 2, 3


def rule(pid: int, **values) -> ProgramRule:
    defaults = {
        "code": f"P{pid}",
        "name": f"项目{pid}",
        "unit_amount": Decimal("50000.00"),
        "claim_required": True,
        "max_units_per_year": 3,
        "cap_per_tier_group": False,
        "funded_once": True,
        "one_tier_per_year": False,
    }
    return ProgramRule(id=pid, **{**defaults, **values})


def test_map_programs_follows_counterparts_copies_and_reverse_links():
    links = {
        10: ProgramLink(10, DRAFT, counterpart_id=20),  # P8-3 → 大湾区碳足迹标识认证
        11: ProgramLink(11, DRAFT),  # named by 21
        12: ProgramLink(12, DRAFT),  # no counterpart
        20: ProgramLink(20, FINAL),
        21: ProgramLink(21, FINAL, counterpart_id=11),
        30: ProgramLink(30, COPY, copied_from_id=20),  # an edited copy of the final rules
        31: ProgramLink(31, COPY, copied_from_id=21, counterpart_id=11),
        40: ProgramLink(40, 4, copied_from_id=10, counterpart_id=20),  # a copy of the draft itself
    }
    assert map_programs([10, 11, 12], FINAL, links) == {10: 20, 11: 21, 12: None}
    assert map_programs([10, 11, 12], COPY, links) == {10: 30, 11: 31, 12: None}
    assert map_programs([10, 12], 4, links) == {10: 40, 12: None}
    assert map_programs([10], DRAFT, links) == {10: 10}


def test_one_side_counts_caps_keys_whoever_holds_them_the_organisation_cap_and_the_factor():
    carbon = rule(20, unit_amount=Decimal("100000.00"))
    applications = [
        # Organisation 1: four certificates, the fourth past the cap of 3.
        ApplicationIn(1, 1, 10, tuple(UnitIn(f"C-{i}", "", Decimal("120000")) for i in range(4))),
        # Organisation 2: a certificate organisation 1 already claims (funded once whoever claims it) and one new.
        ApplicationIn(2, 2, 10, (UnitIn("c-0 ", "", Decimal("80000")), UnitIn("C-9", "", Decimal("60000")))),
        # Organisation 3: a certificate funded in an earlier year.
        ApplicationIn(3, 3, 10, (UnitIn("OLD-1", "", Decimal("90000")),)),
        ApplicationIn(4, 4, 99, (UnitIn("X", "", Decimal("1")),)),  # a program without counterpart
    ]
    context = Context(units=(ContextUnit(3, 10, "", "OLD-1", same_year=False),))
    side = simulate_side(
        applications,
        {20: carbon},
        {10: 20, 99: None},
        {20: Decimal("300000.00")},
        organisation_cap=Decimal("250000.00"),
        context=context,
    )
    one, two, three, four = (side.outcomes[i] for i in (1, 2, 3, 4))
    assert one.standard == Decimal("300000.00") and one.count_cut == Decimal("100000.00")
    assert one.org_cut == Decimal("50000.00") and one.capped == Decimal("250000.00")
    assert two.standard == Decimal("60000.00") and two.key_cut == Decimal("80000.00")
    assert three.standard == 0 and three.key_cut == Decimal("90000.00")
    assert four.program_id is None and four.allocated == 0 and four.note
    summary = side.programs[20]
    # 250,000 + 60,000 = 310,000 against a budget of 300,000: f = 0.967741.
    assert summary.capped_total == Decimal("310000.00")
    assert summary.factor == Decimal("0.967741") and not summary.fully_funded
    assert one.allocated == Decimal("241935.00") and two.allocated == Decimal("58064.00")
    assert summary.allocated_total <= Decimal("300000.00")


def test_tiers_map_by_code_and_count_per_sub_item():
    metrology = rule(
        20,
        unit_amount=None,
        claim_required=False,
        funded_once=False,
        cap_per_tier_group=True,
        tiers=(TierRule("doc", Decimal("100000.00"), "documents"), TierRule("cert", Decimal("30000.00"), "certs")),
    )
    units = (*(UnitIn(f"JJF-{i}", "doc") for i in range(4)), UnitIn("S-1", "cert"), UnitIn("S-2", "unknown"))
    side = simulate_side([ApplicationIn(1, 1, 10, units)], {20: metrology}, {10: 20}, {}, organisation_cap=None)
    outcome = side.outcomes[1]
    # Three documents counted, the fourth cut; an unknown tier takes the first tier (a document), also past the cap.
    assert outcome.standard == Decimal("330000.00")
    assert outcome.count_cut == Decimal("200000.00")
    assert side.programs[20].fully_funded and side.programs[20].budget is None
