"""Pure eligibility checks of SPEC §5 (no database)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from applications.rules import (
    EligibilityFacts,
    UnitFacts,
    check_eligibility,
    evidence_in_window,
    failed_checks,
    full_years_between,
)
from programs.rules import UnitResult

TODAY = date(2026, 11, 21)


def facts(**overrides) -> EligibilityFacts:
    base = EligibilityFacts(
        org_type="enterprise",
        org_type_label="企业",
        allowed_types=["enterprise"],
        allowed_types_label="企业",
        in_shenzhen=True,
        founded_on=date(2015, 1, 1),
        min_years_established=0,
        today=TODAY,
        sanction_until=None,
        call_year=2026,
        evidence_window="none",
        evidence_years=3,
        call_open=True,
        program_in_call=True,
        declarations=(True, True, True),
        uscc_valid=True,
        units=[UnitFacts(label="CQC-001", issued_on=date(2026, 3, 1), has_key=True, has_tier=False)],
        unit_results=[UnitResult("CQC-001", Decimal("50000.00"))],
        key_required=True,
        tier_required=False,
    )
    return replace(base, **overrides)


def by_number(checks):
    return {c.number: c for c in checks}


def test_a_complete_eligible_application_passes_every_check():
    checks = check_eligibility(facts())

    assert [c.number for c in checks] == ["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9", "M1", "U1"]
    assert failed_checks(checks) == []


@pytest.mark.parametrize(
    ("overrides", "number", "code"),
    [
        ({"org_type": "social_organisation", "org_type_label": "社会团体"}, "E1", "applicant_type_not_allowed"),
        ({"in_shenzhen": False}, "E2", "not_registered_in_shenzhen"),
        ({"min_years_established": 2, "founded_on": date(2025, 6, 1)}, "E3", "too_recently_established"),
        ({"sanction_until": date(2028, 1, 1)}, "E4", "sanctioned"),
        ({"evidence_window": "previous_year"}, "E5", "evidence_out_of_window"),
        (
            {"unit_results": [UnitResult("CQC-001", Decimal("0"), "yearly_cap_reached", "超过上限")]},
            "E6",
            "yearly_cap_reached",
        ),
        (
            {"unit_results": [UnitResult("CQC-001", Decimal("0"), "already_funded", "已资助")]},
            "E6",
            "already_funded",
        ),
        ({"call_open": False}, "E7", "call_closed"),
        ({"program_in_call": False}, "E7", "call_closed"),
        ({"declarations": (True, False, True)}, "E8", "declarations_missing"),
        ({"uscc_valid": False}, "E9", "uscc_invalid"),
        ({"missing_attachments": ["认证证书"]}, "M1", "attachment_missing"),
        ({"units": []}, "U1", "incomplete"),
    ],
)
def test_each_check_fails_alone_with_its_code_and_a_reason(overrides, number, code):
    checks = check_eligibility(facts(**overrides))

    failed = failed_checks(checks)
    assert [c.number for c in failed] == [number]
    assert failed[0].code == code
    assert failed[0].message


def test_the_sanction_message_names_the_date_until_which_applying_is_barred():
    check = by_number(check_eligibility(facts(sanction_until=date(2029, 5, 1))))["E4"]

    assert "2029-05-01" in check.message


def test_the_cap_message_names_the_units_past_the_cap():
    results = [
        UnitResult("A-1", Decimal("50000")),
        UnitResult("A-4", Decimal("0"), "yearly_cap_reached", "超过上限"),
    ]

    check = by_number(check_eligibility(facts(unit_results=results)))["E6"]

    assert not check.passed
    assert "A-4" in check.message
    assert "A-1" not in check.message


def test_operating_years_count_whole_years_only():
    assert full_years_between(date(2024, 11, 22), TODAY) == 1
    assert full_years_between(date(2024, 11, 21), TODAY) == 2
    assert check_eligibility(facts(min_years_established=2, founded_on=date(2024, 11, 21)))[2].passed
    assert not check_eligibility(facts(min_years_established=2, founded_on=date(2024, 11, 22)))[2].passed


@pytest.mark.parametrize(
    ("issued_on", "window", "expected"),
    [
        (date(2025, 12, 31), "previous_year", True),
        (date(2026, 1, 1), "previous_year", False),
        (date(2024, 12, 31), "previous_year", False),
        (date(2023, 1, 1), "last_years", True),
        (date(2022, 12, 31), "last_years", False),
        (date(2026, 12, 1), "none", False),  # evidence from the future is never valid
        (date(1990, 1, 1), "none", True),
    ],
)
def test_evidence_windows(issued_on, window, expected):
    assert evidence_in_window(issued_on, window=window, years=3, call_year=2026, today=TODAY) is expected


def test_undated_evidence_fails_only_where_a_window_applies():
    undated = [UnitFacts(label="荣誉", issued_on=None, has_key=True, has_tier=True)]

    assert by_number(check_eligibility(facts(units=undated)))["E5"].passed
    assert not by_number(check_eligibility(facts(units=undated, evidence_window="previous_year")))["E5"].passed


def test_missing_keys_tiers_claims_and_fields_are_all_named_in_u1():
    units = [UnitFacts(label="第1项", issued_on=None, has_key=False, has_tier=False)]
    results = [UnitResult("", Decimal("0"), "claim_missing", "未填写")]

    check = by_number(
        check_eligibility(
            facts(units=units, unit_results=results, tier_required=True, missing_form_fields=["所属行业"])
        )
    )["U1"]

    assert not check.passed
    for fragment in ("编号", "档次", "实际发生费用", "所属行业"):
        assert fragment in check.message
