from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from programs.models import Call, OrganisationAnnualCap, Program, ProgramBudget, Tier
from tests.factories import CallFactory, ProgramFactory, TierFactory

pytestmark = pytest.mark.django_db


def codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def test_a_call_that_closes_before_it_opens_is_refused_by_validation_and_by_the_database():
    now = timezone.now()
    call = Call(year=2026, title="错误批次", opens_at=now, closes_at=now - timedelta(hours=1))

    with pytest.raises(ValidationError) as excinfo:
        call.full_clean()
    assert "call_closes_before_opens" in codes(excinfo.value)

    with pytest.raises(IntegrityError), transaction.atomic():
        call.save()
    assert Call.objects.count() == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda: ProgramBudget(program=ProgramFactory(), year=2026, amount=Decimal("-1")),
        lambda: OrganisationAnnualCap(year=2026, amount=Decimal("-0.01")),
        lambda: Tier(program=ProgramFactory(), code="x", name="负数档次", amount=Decimal("-100")),
        lambda: ProgramFactory.build(unit_amount=Decimal("-50000")),
    ],
    ids=["budget", "organisation-cap", "tier", "program-unit-amount"],
)
def test_a_negative_amount_is_refused_with_negative_amount(make):
    obj = make()

    with pytest.raises(ValidationError) as excinfo:
        obj.full_clean()

    assert "negative_amount" in codes(excinfo.value)


def test_a_negative_budget_cannot_reach_the_database_either():
    program = ProgramFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ProgramBudget.objects.create(program=program, year=2026, amount=Decimal("-1"))

    assert ProgramBudget.objects.count() == 0


def test_a_tier_without_an_amount_is_refused():
    tier = Tier(program=ProgramFactory(), code="no-amount", name="无金额档次", amount=None)

    with pytest.raises(ValidationError) as excinfo:
        tier.full_clean()

    assert "amount" in excinfo.value.error_dict
    assert str(excinfo.value.error_dict["amount"][0].message) == "请填写档次的资助金额"


def test_a_fixed_program_needs_a_unit_amount_and_an_expert_program_a_pass_mark():
    program = ProgramFactory.build(
        amount_rule="fixed", unit_amount=None, claim_required=False, review_track="expert_review", pass_mark=None
    )

    with pytest.raises(ValidationError) as excinfo:
        program.full_clean()

    assert codes(excinfo.value) >= {"unit_amount_required", "pass_mark_required"}


def test_a_program_needs_at_least_one_known_applicant_type():
    program = ProgramFactory.build(applicant_types=["martian"])

    with pytest.raises(ValidationError) as excinfo:
        program.full_clean()

    assert "applicant_types_invalid" in codes(excinfo.value)


def test_the_carbon_footprint_item_of_the_2023_rules_is_configurable_without_code():
    """大湾区碳足迹标识认证项目: ≤10万元/证书, 每年≤3张, 年度总额≤600万元, 成立满2年."""
    program = Program(
        code="P2023-CF",
        name="大湾区碳足迹标识认证项目",
        clause="深市监规〔2023〕2号",
        direction="supply_quality",
        review_track="verification",
        applicant_types=["enterprise"],
        amount_rule="per_unit",
        unit_label="证书",
        unit_key_label="证书编号",
        unit_amount=Decimal("100000"),
        claim_required=True,
        max_units_per_year=3,
        funded_once=True,
        min_years_established=2,
    )
    program.full_clean()
    program.save()
    ProgramBudget.objects.create(program=program, year=2026, amount=Decimal("6000000"))

    assert program.amount_rule_text() == "每证书按实际发生费用资助，最高不超过10万元"
    assert program.caps_text() == ["每家单位每年资助证书不超过3个", "同一证书编号只资助一次", "申报单位须成立满2年"]


def test_tier_codes_are_unique_within_a_program():
    tier = TierFactory(code="gold")

    duplicate = Tier(program=tier.program, code="gold", name="重复", amount=Decimal("1"))
    with pytest.raises(ValidationError):
        duplicate.full_clean()


def test_a_call_is_open_from_its_opening_second_until_just_before_its_closing_second():
    call = CallFactory()

    assert call.is_open_at(call.opens_at)
    assert call.is_open_at(call.closes_at - timedelta(seconds=1))
    assert not call.is_open_at(call.closes_at)
    assert not call.is_open_at(call.opens_at - timedelta(seconds=1))
    assert list(Call.objects.open_at(call.closes_at)) == []
