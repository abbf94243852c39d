"""Award computation (SPEC §3): counted units, the organisation annual cap, the pro-rata allocation."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from programs.rules import (
    CappedAmount,
    CapPolicy,
    UnitInput,
    UnitResult,
    allocate,
    apply_organisation_cap,
    compute_units,
    standard_amount,
)

# 操作规程 第八条第三款 / 第九条第一款 / 第八条第一款, as the seed data configures them.
P8_3 = CapPolicy(claim_required=True, max_units_per_year=3, funded_once=True)
P9_1 = CapPolicy(claim_required=True, max_units_per_year=2, funded_once=True)
P8_1 = CapPolicy(claim_required=False, max_units_per_year=1, funded_once=False)
P9_2 = CapPolicy(claim_required=False, max_units_per_year=3, funded_once=True)

CERTIFICATE = Decimal("50000.00")
ACCREDITATION = Decimal("300000.00")


def certificate(key: str, claim: str | None) -> UnitInput:
    return UnitInput(key=key, unit_amount=CERTIFICATE, claim_amount=None if claim is None else Decimal(claim))


# --- compute_units -----------------------------------------------------------------------------------------------


def test_fourth_certificate_past_the_cap_counts_zero() -> None:
    # given P8-3 with four certificates claimed at 5万, 5万, 3.2万 and 6万 (SPEC §3 example)
    units = [
        certificate("CGP-001", "50000"),
        certificate("CGP-002", "50000"),
        certificate("CGP-003", "32000"),
        certificate("CGP-004", "60000"),
    ]

    # when
    results = compute_units(units, P8_3)

    # then the first three count, the partial claim counts as claimed, the fourth is past the cap of 3
    assert [r.counted_amount for r in results] == [
        Decimal("50000.00"),
        Decimal("50000.00"),
        Decimal("32000.00"),
        Decimal("0.00"),
    ]
    assert [r.reason_code for r in results] == ["", "", "", "yearly_cap_reached"]
    assert results[3].reason == "超过每年最多3项的上限"
    assert results[3].key == "CGP-004"
    assert standard_amount(results) == Decimal("132000.00")


def test_claim_above_the_unit_amount_counts_the_unit_amount() -> None:
    results = compute_units([certificate("CGP-004", "60000")], P8_3)

    assert results == [UnitResult(key="CGP-004", counted_amount=Decimal("50000.00"), reason_code="", reason="")]


def test_three_accreditations_with_a_cap_of_two_count_sixty_wan() -> None:
    # given P9-1 with three accreditations claimed at 30万 each (SPEC §3 example)
    units = [UnitInput(f"CNAS-L{n}", ACCREDITATION, Decimal("300000")) for n in (1, 2, 3)]

    # when
    results = compute_units(units, P9_1)

    # then
    assert [r.counted_amount for r in results] == [Decimal("300000.00"), Decimal("300000.00"), Decimal("0.00")]
    assert results[2].reason_code == "yearly_cap_reached"
    assert results[2].reason == "超过每年最多2项的上限"
    assert standard_amount(results) == Decimal("600000.00")


def test_duplicate_key_in_the_same_application_counts_once_and_keeps_the_place_free() -> None:
    # given the same certificate twice (typed differently), then two more
    units = [
        certificate("CGP-001", "50000"),
        certificate(" cgp-001", "50000"),
        certificate("CGP-002", "40000"),
        certificate("CGP-003", "30000"),
    ]

    # when
    results = compute_units(units, P8_3)

    # then the duplicate counts 0 and does not use up one of the 3 places
    assert [r.reason_code for r in results] == ["", "already_funded", "", ""]
    assert results[1].counted_amount == Decimal("0.00")
    assert standard_amount(results) == Decimal("120000.00")


def test_key_funded_in_an_earlier_year_counts_zero() -> None:
    # given a certificate already funded in an earlier application
    units = [certificate("CGP-001", "50000"), certificate("CGP-009", "20000")]

    # when
    results = compute_units(units, P8_3, funded_keys={"cgp-001"})

    # then
    assert results[0] == UnitResult("CGP-001", Decimal("0.00"), "already_funded", "该编号已获资助，同一事项不重复资助")
    assert results[1].counted_amount == Decimal("20000.00")


def test_units_counted_in_other_applications_use_up_the_yearly_cap() -> None:
    # given the organisation already has two P8-3 certificates counted this year
    units = [certificate("CGP-005", "50000"), certificate("CGP-006", "50000")]

    # when
    results = compute_units(units, P8_3, units_already_counted={"": 2})

    # then only one place is left
    assert [r.counted_amount for r in results] == [Decimal("50000.00"), Decimal("0.00")]
    assert results[1].reason_code == "yearly_cap_reached"


def test_caps_are_counted_per_tier_group() -> None:
    # given P9-2 with 3 national matters already counted and one more national and one municipal
    units = [
        UnitInput("JJF 1001-2024", Decimal("300000"), tier_group="national"),
        UnitInput("SZJL-2024-01", Decimal("30000"), tier_group="municipal"),
    ]

    # when
    results = compute_units(units, P9_2, units_already_counted={"national": 3, "municipal": 2})

    # then the national group is full, the municipal group still has a place
    assert [r.counted_amount for r in results] == [Decimal("0.00"), Decimal("30000.00")]
    assert results[0].reason_code == "yearly_cap_reached"
    assert results[0].reason == "超过该类别每年最多3项的上限"


@pytest.mark.parametrize("claim", [None, "0"])
def test_missing_claim_counts_zero_and_keeps_the_place_free(claim: str | None) -> None:
    # given a certificate without a claim among three others
    units = [
        certificate("CGP-001", claim),
        certificate("CGP-002", "50000"),
        certificate("CGP-003", "50000"),
        certificate("CGP-004", "50000"),
    ]

    # when
    results = compute_units(units, P8_3)

    # then
    assert [r.reason_code for r in results] == ["claim_missing", "", "", ""]
    assert standard_amount(results) == Decimal("150000.00")


def test_fixed_program_pays_the_program_amount_and_ignores_a_claim() -> None:
    results = compute_units([UnitInput("", Decimal("3000000"), Decimal("100"))], P8_1)

    assert results == [UnitResult("", Decimal("3000000.00"))]


def test_fixed_program_already_counted_this_year_counts_zero() -> None:
    results = compute_units([UnitInput("", Decimal("3000000"))], P8_1, units_already_counted={"": 1})

    assert results[0].counted_amount == Decimal("0.00")
    assert results[0].reason == "超过每年最多1项的上限"


def test_without_a_count_cap_or_once_rule_every_unit_counts() -> None:
    policy = CapPolicy(claim_required=False, max_units_per_year=None, funded_once=False)
    units = [UnitInput("same", Decimal("200000"))] * 5

    results = compute_units(units, policy, units_already_counted={"": 99}, funded_keys={"SAME"})

    assert standard_amount(results) == Decimal("1000000.00")


def test_claim_finer_than_a_fen_is_rounded_down() -> None:
    results = compute_units([certificate("CGP-001", "12345.679")], P8_3)

    assert results[0].counted_amount == Decimal("12345.67")


def test_standard_amount_of_no_units_is_zero() -> None:
    assert standard_amount([]) == Decimal("0.00")


def test_negative_unit_amount_is_refused() -> None:
    with pytest.raises(ValueError):
        UnitInput("X", Decimal("-1"))


unit_inputs = st.builds(
    UnitInput,
    key=st.sampled_from(["", "A", "B", "C", "D", "E"]),
    unit_amount=st.integers(0, 10**8).map(lambda cents: Decimal(cents).scaleb(-2)),
    claim_amount=st.none() | st.integers(0, 10**8).map(lambda cents: Decimal(cents).scaleb(-2)),
    tier_group=st.sampled_from(["", "g1", "g2"]),
)
policies = st.builds(
    CapPolicy, claim_required=st.booleans(), max_units_per_year=st.none() | st.integers(0, 4), funded_once=st.booleans()
)


@given(units=st.lists(unit_inputs, max_size=10), policy=policies, already=st.integers(0, 3))
def test_counted_units_never_exceed_the_cap_or_the_unit_amount(
    units: list[UnitInput], policy: CapPolicy, already: int
) -> None:
    # given any units, policy and earlier units in group "g1"
    results = compute_units(units, policy, units_already_counted={"g1": already})

    # then
    for group in ("", "g1", "g2"):
        counted = sum(1 for unit, r in zip(units, results, strict=True) if r.is_counted and unit.tier_group == group)
        if policy.max_units_per_year is not None:
            assert counted + (already if group == "g1" else 0) <= max(policy.max_units_per_year, already)
    for unit, result in zip(units, results, strict=True):
        assert Decimal("0") <= result.counted_amount <= unit.unit_amount
        assert (result.reason_code == "") == (result.reason == "")
        if result.reason_code:
            assert result.counted_amount == 0


# --- apply_organisation_cap --------------------------------------------------------------------------------------


def test_application_passing_the_organisation_cap_is_cut_to_the_headroom() -> None:
    # given a 120万 organisation cap and four approved applications in approval order
    standards = [Decimal("500000"), Decimal("500000"), Decimal("500000"), Decimal("100000")]

    # when
    results = apply_organisation_cap(standards, cap=Decimal("1200000"))

    # then the third is cut to the 20万 left, the fourth gets nothing
    assert [r.amount for r in results] == [
        Decimal("500000.00"),
        Decimal("500000.00"),
        Decimal("200000.00"),
        Decimal("0.00"),
    ]
    assert [r.reason_code for r in results] == ["", "", "organisation_cap_reached", "organisation_cap_reached"]
    assert results[2].reason == "超过单位年度资助总额上限120万元"


def test_amounts_awarded_earlier_in_the_year_reduce_the_headroom() -> None:
    results = apply_organisation_cap(
        [Decimal("300000"), Decimal("50000")], cap=Decimal("1200000"), already_awarded=Decimal("1000000")
    )

    assert results == [
        CappedAmount(Decimal("200000.00"), "organisation_cap_reached", "超过单位年度资助总额上限120万元"),
        CappedAmount(Decimal("0.00"), "organisation_cap_reached", "超过单位年度资助总额上限120万元"),
    ]


def test_application_exactly_reaching_the_cap_is_not_cut() -> None:
    results = apply_organisation_cap([Decimal("1200000"), Decimal("0")], cap=Decimal("1200000"))

    assert results == [CappedAmount(Decimal("1200000.00")), CappedAmount(Decimal("0.00"))]


def test_awards_above_the_cap_already_leave_no_headroom() -> None:
    results = apply_organisation_cap([Decimal("1")], cap=Decimal("1000000"), already_awarded=Decimal("1500000"))

    assert results[0].amount == Decimal("0.00")
    assert results[0].reason_code == "organisation_cap_reached"


def test_without_an_organisation_cap_amounts_are_unchanged() -> None:
    results = apply_organisation_cap([Decimal("3000000"), Decimal("500000")], cap=None, already_awarded=Decimal("9"))

    assert results == [CappedAmount(Decimal("3000000.00")), CappedAmount(Decimal("500000.00"))]


def test_cap_not_a_multiple_of_a_hundred_is_shown_in_yuan() -> None:
    results = apply_organisation_cap([Decimal("2000")], cap=Decimal("1234.50"))

    assert results[0].reason == "超过单位年度资助总额上限1,234.50元"


# --- allocate -----------------------------------------------------------------------------------------------------


def test_budget_below_the_total_scales_every_amount_by_the_factor() -> None:
    # given a 600万 budget and 750万 of standard amounts (SPEC §3 example)
    standards = {"A": Decimal("3000000"), "B": Decimal("3000000"), "C": Decimal("1000000"), "D": Decimal("500000")}

    # when
    allocation = allocate(standards, Decimal("6000000"))

    # then f = 0.8
    assert allocation.fully_funded is False
    assert allocation.factor == Decimal("0.800000")
    assert allocation.total_standard == Decimal("7500000.00")
    assert allocation.amounts == {
        "A": Decimal("2400000.00"),
        "B": Decimal("2400000.00"),
        "C": Decimal("800000.00"),
        "D": Decimal("400000.00"),
    }
    assert allocation.total_allocated == Decimal("6000000.00")


def test_cut_amounts_are_floored_to_the_whole_yuan() -> None:
    # given standards with fen and a budget giving a repeating factor
    standards = {1: Decimal("132000.00"), 2: Decimal("50000.50"), 3: Decimal("300000.00")}

    # when
    allocation = allocate(standards, Decimal("400000"))

    # then 132000 × 400000 / 482000.50 = 109543.87…, 41494.29…, 248962.38…: each floored
    assert allocation.amounts == {1: Decimal("109543.00"), 2: Decimal("41494.00"), 3: Decimal("248962.00")}
    assert allocation.total_allocated == Decimal("399999.00")
    assert allocation.factor == Decimal("0.829874")


def test_exact_integer_arithmetic_is_used_not_the_rounded_factor() -> None:
    # given f = 2/3, whose 6-place display value 0.666666 would give 999999
    allocation = allocate({"A": Decimal("1500000"), "B": Decimal("1500000")}, Decimal("2000000"))

    # then
    assert allocation.amounts == {"A": Decimal("1000000.00"), "B": Decimal("1000000.00")}
    assert allocation.factor == Decimal("0.666666")


def test_total_within_the_budget_is_fully_funded_to_the_fen() -> None:
    allocation = allocate({"A": Decimal("32000.50"), "B": Decimal("50000")}, Decimal("82000.50"))

    assert allocation.fully_funded is True
    assert allocation.factor is None
    assert allocation.amounts == {"A": Decimal("32000.50"), "B": Decimal("50000.00")}
    assert allocation.total_allocated == Decimal("82000.50")


def test_no_applications_is_fully_funded_with_nothing_allocated() -> None:
    allocation = allocate({}, Decimal("6000000"))

    assert allocation.fully_funded is True
    assert allocation.total_standard == allocation.total_allocated == Decimal("0.00")
    assert allocation.amounts == {}


def test_zero_budget_allocates_nothing() -> None:
    allocation = allocate({"A": Decimal("50000")}, Decimal("0"))

    assert allocation.amounts == {"A": Decimal("0.00")}
    assert allocation.factor == Decimal("0.000000")


@pytest.mark.parametrize(
    ("standards", "budget"),
    [({"A": Decimal("-1")}, Decimal("10")), ({"A": Decimal("1")}, Decimal("-10")), ({"A": Decimal("1.001")}, 10)],
)
def test_negative_or_sub_fen_amounts_are_refused(standards: dict[str, Decimal], budget: Decimal) -> None:
    with pytest.raises(ValueError):
        allocate(standards, budget)


money = st.integers(0, 10**12).map(lambda cents: Decimal(cents).scaleb(-2))
standards_maps = st.dictionaries(st.integers(0, 50), money, max_size=20)


@given(standards=standards_maps, budget=money)
def test_allocation_never_exceeds_the_budget_nor_any_standard(standards: dict[int, Decimal], budget: Decimal) -> None:
    allocation = allocate(standards, budget)

    assert allocation.total_allocated <= budget or allocation.fully_funded
    assert allocation.total_allocated <= allocation.total_standard
    assert allocation.total_allocated == sum(allocation.amounts.values())
    assert allocation.amounts.keys() == standards.keys()
    for key, standard in standards.items():
        assert Decimal(0) <= allocation.amounts[key] <= standard


@given(standards=standards_maps, budget=money)
def test_cut_amounts_are_whole_yuan_equal_to_the_exact_floor(standards: dict[int, Decimal], budget: Decimal) -> None:
    allocation = allocate(standards, budget)

    if allocation.fully_funded:
        return
    total = Fraction(sum(standards.values()))
    assert allocation.total_allocated <= budget
    # less than 1 yuan per application is left unallocated
    assert budget - allocation.total_allocated < len(standards)
    for key, standard in standards.items():
        amount = allocation.amounts[key]
        assert amount == amount.to_integral_value()
        assert Fraction(amount) == (Fraction(standard) * Fraction(budget) / total).__floor__()


@given(standards=standards_maps, budget=money)
def test_a_larger_standard_never_gets_less(standards: dict[int, Decimal], budget: Decimal) -> None:
    allocation = allocate(standards, budget)

    by_standard = sorted(standards, key=standards.__getitem__)
    amounts = [allocation.amounts[key] for key in by_standard]
    assert amounts == sorted(amounts)


@given(standards=standards_maps, extra=money)
def test_total_within_the_budget_gets_every_standard_amount(standards: dict[int, Decimal], extra: Decimal) -> None:
    # given a budget at least the total of the standard amounts
    budget = sum(standards.values(), Decimal("0.00")) + extra

    # when
    allocation = allocate(standards, budget)

    # then
    assert allocation.fully_funded is True
    assert allocation.factor is None
    assert allocation.amounts == standards


def _normalise_in_full(key: str) -> str:
    """The full normalisation (NFKC, format characters dropped), without the shortcut for ASCII keys."""
    import unicodedata

    folded = unicodedata.normalize("NFKC", key)
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split()).upper()


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_an_ascii_key_normalises_as_in_full(key):
    from programs.rules import normalise_unit_key

    assert normalise_unit_key(key) == _normalise_in_full(key)


@pytest.mark.parametrize("key", ["cnca-123 ", "ＣＮＣＡ－１２３", "CNCA\u200b-123", " cnca\t-123", "ｃｎｃａ　-123"])
def test_typed_keys_normalise_as_in_full(key):
    from programs.rules import normalise_unit_key

    assert normalise_unit_key(key) == _normalise_in_full(key)
