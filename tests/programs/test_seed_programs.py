"""`manage.py seed_programs`: the nine items of SPEC §2, idempotent, admin edits kept unless --reset."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from programs.models import (
    AmountRule,
    AttachmentRequirement,
    EvidenceWindow,
    FormField,
    Program,
    ReviewTrack,
    ScoringCriterion,
    Tier,
    VerificationItem,
)

CODES = ["P8-1", "P8-2", "P8-3", "P9-1", "P9-2", "P9-3", "P10-1", "P10-2", "P10-3"]
MODELS = (Program, Tier, AttachmentRequirement, FormField, ScoringCriterion, VerificationItem)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_programs", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot() -> dict[str, list[dict]]:
    """Every seeded row with all its values, to compare two runs."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


def without_ids(rows: list[dict]) -> dict[tuple, dict]:
    return {(row["program_id"], row["kind"]): {k: v for k, v in row.items() if k != "id"} for row in rows}


def test_seed_creates_the_nine_programs_in_spec_order(db):
    output = seed()

    assert list(Program.objects.values_list("code", flat=True)) == CODES
    assert list(Program.objects.values_list("sort_order", flat=True)) == list(range(1, 10))
    assert output.strip() == "seed_programs: 9 programs (9 created, 0 unchanged), 17 tiers"


@pytest.mark.parametrize(
    ("code", "amount_rule", "unit_amount", "max_units"),
    [
        ("P8-1", AmountRule.FIXED, Decimal("3000000"), 1),
        ("P8-2", AmountRule.FIXED, Decimal("300000"), 1),
        ("P8-3", AmountRule.PER_UNIT, Decimal("50000"), 3),
        ("P9-1", AmountRule.PER_UNIT, Decimal("300000"), 2),
        ("P9-2", AmountRule.PER_TIER, None, 3),
        ("P9-3", AmountRule.PER_UNIT, Decimal("200000"), 2),
        ("P10-1", AmountRule.PER_TIER, None, None),
        ("P10-2", AmountRule.FIXED, Decimal("300000"), 1),
        ("P10-3", AmountRule.FIXED, Decimal("500000"), 1),
    ],
)
def test_seeded_program_has_the_spec_amount_and_cap(db, code, amount_rule, unit_amount, max_units):
    seed()

    program = Program.objects.get(code=code)

    assert program.amount_rule == amount_rule
    assert program.unit_amount == unit_amount
    assert program.max_units_per_year == max_units


def test_p8_3_pays_claims_up_to_50000_per_certificate_three_a_year_each_certificate_once(db):
    seed()

    program = Program.objects.get(code="P8-3")

    assert program.unit_amount == Decimal("50000.00")
    assert program.claim_required is True
    assert program.max_units_per_year == 3
    assert program.funded_once is True
    assert program.unit_key_label == "证书编号"
    assert program.applicant_types == ["enterprise"]
    assert program.review_track == ReviewTrack.VERIFICATION


def test_p9_1_pays_claims_up_to_300000_per_accreditation_two_a_year(db):
    seed()

    program = Program.objects.get(code="P9-1")

    assert program.unit_amount == Decimal("300000.00")
    assert program.claim_required is True
    assert program.max_units_per_year == 2
    assert program.funded_once is True
    assert program.applicant_types == ["enterprise"]


def test_p9_2_has_eleven_tiers_from_30000_to_800000_capped_per_tier_group(db):
    seed()

    program = Program.objects.get(code="P9-2")
    amounts = [tier.amount for tier in program.tiers.all()]

    assert len(amounts) == 11
    assert max(amounts) == Decimal("800000.00")
    assert min(amounts) == Decimal("30000.00")
    assert program.tiers.get(code="intl-doc-lead").amount == Decimal("800000.00")
    assert program.tiers.get(code="municipal-standard-cert").amount == Decimal("30000.00")
    assert all(tier.tier_group for tier in program.tiers.all())
    assert program.cap_per_tier_group is True
    assert program.max_units_per_year == 3
    assert (program.evidence_window, program.evidence_years) == (EvidenceWindow.LAST_YEARS, 3)


def test_p10_1_has_six_honour_tiers_paid_once_one_tier_a_year_from_the_previous_year(db):
    seed()

    program = Program.objects.get(code="P10-1")

    assert dict(program.tiers.values_list("code", "amount")) == {
        "china-quality-award": Decimal("3000000.00"),
        "china-quality-award-nominee": Decimal("1000000.00"),
        "guangdong-government-quality-award": Decimal("1000000.00"),
        "shenzhen-mayor-quality-award": Decimal("500000.00"),
        "shenzhen-mayor-quality-award-nominee": Decimal("300000.00"),
        "shenzhen-mayor-quality-project-award": Decimal("100000.00"),
    }
    assert program.funded_once is True
    assert program.one_tier_per_year is True
    assert program.evidence_window == EvidenceWindow.PREVIOUS_YEAR


def test_expert_review_programs_have_a_pass_mark_and_criteria_weighing_100(db):
    seed()

    expert_review = Program.objects.filter(review_track=ReviewTrack.EXPERT_REVIEW)

    assert sorted(expert_review.values_list("code", flat=True)) == sorted(["P8-1", "P8-2", "P9-3", "P10-2", "P10-3"])
    for program in expert_review:
        weights = [criterion.weight for criterion in program.scoring_criteria.all()]
        assert 3 <= len(weights) <= 5, program.code
        assert sum(weights) == Decimal("100"), program.code
        assert program.pass_mark == Decimal("60.00")
        assert program.min_experts == 3


def test_verification_programs_have_no_criteria_and_no_pass_mark(db):
    seed()

    verification = Program.objects.filter(review_track=ReviewTrack.VERIFICATION)

    assert sorted(verification.values_list("code", flat=True)) == sorted(["P8-3", "P9-1", "P9-2", "P10-1"])
    assert not ScoringCriterion.objects.filter(program__in=verification).exists()
    assert all(program.pass_mark is None for program in verification)


def test_every_program_asks_for_a_business_licence_and_a_commitment(db):
    seed()

    for program in Program.objects.all():
        kinds = set(program.attachment_requirements.values_list("kind", flat=True))
        assert {"business-licence", "commitment"} <= kinds, program.code


def test_seeded_rows_pass_model_validation(db):
    seed()

    for model in MODELS:
        for obj in model.objects.all():
            obj.full_clean()


def test_running_twice_creates_nothing_and_changes_nothing(db):
    seed()
    before = snapshot()
    history_before = Program.history.count()

    output = seed()

    assert snapshot() == before
    assert Program.history.count() == history_before
    assert output.strip() == "seed_programs: 9 programs (0 created, 9 unchanged), 17 tiers"


def test_admin_edits_survive_a_second_run_without_reset(db):
    seed()
    program = Program.objects.get(code="P8-3")
    program.unit_amount = Decimal("80000.00")
    program.save()
    Tier.objects.filter(program__code="P10-1", code="china-quality-award").update(amount=Decimal("2000000.00"))
    AttachmentRequirement.objects.filter(program__code="P9-1", kind="invoice").delete()
    before = snapshot()

    output = seed()

    assert snapshot() == before
    assert Program.objects.get(code="P8-3").unit_amount == Decimal("80000.00")
    assert "3 edited and left alone: P8-3, P9-1, P10-1" in output
    assert "6 unchanged" in output


def test_reset_restores_edited_programs_and_their_children(db):
    seed()
    seeded = snapshot()
    program = Program.objects.get(code="P8-3")
    program.unit_amount = Decimal("80000.00")
    program.is_active = False
    program.save()
    Tier.objects.filter(program__code="P10-1", code="china-quality-award").update(amount=Decimal("2000000.00"))
    AttachmentRequirement.objects.filter(program__code="P9-1", kind="invoice").delete()
    ScoringCriterion.objects.create(program=Program.objects.get(code="P8-1"), name="额外评分项", weight=Decimal("5"))

    output = seed("--reset")

    assert "0 created" in output
    assert "4 reset: P8-1, P8-3, P9-1, P10-1" in output
    restored = snapshot()
    assert restored["Program"] == seeded["Program"]
    assert restored["Tier"] == seeded["Tier"]
    assert restored["ScoringCriterion"] == seeded["ScoringCriterion"]
    # The deleted requirement comes back as a new row (new id) with the seed values.
    assert without_ids(restored["AttachmentRequirement"]) == without_ids(seeded["AttachmentRequirement"])


def test_reset_on_an_untouched_catalogue_changes_nothing(db):
    seed()
    before = snapshot()
    history_before = Program.history.count()

    output = seed("--reset")

    assert snapshot() == before
    assert Program.history.count() == history_before
    assert output.strip() == "seed_programs: 9 programs (0 created, 9 unchanged), 17 tiers"


def test_a_deleted_program_is_created_again(db):
    seed()
    Program.objects.filter(code="P9-2").delete()

    output = seed()

    assert Program.objects.get(code="P9-2").tiers.count() == 11
    assert output.strip() == "seed_programs: 9 programs (1 created, 8 unchanged), 17 tiers"


def test_each_verification_program_has_a_checklist_of_three_to_five_items_and_the_others_none(db):
    seed()

    counts = {program.code: program.verification_items.count() for program in Program.objects.all()}

    assert counts == {
        "P8-1": 0,
        "P8-2": 0,
        "P8-3": 4,
        "P9-1": 4,
        "P9-2": 3,
        "P9-3": 0,
        "P10-1": 4,
        "P10-2": 0,
        "P10-3": 0,
    }
    assert list(Program.objects.get(code="P8-3").verification_items.values_list("sort_order", flat=True)) == [
        1,
        2,
        3,
        4,
    ]
    assert Program.objects.get(code="P8-3").verification_items.first().text == "认证证书真实有效"


def test_a_program_seeded_before_checklists_existed_gets_its_checklist_on_the_next_run(db):
    seed()
    VerificationItem.objects.filter(program__code="P9-1").delete()

    output = seed()

    assert Program.objects.get(code="P9-1").verification_items.count() == 4
    assert "1 given their verification checklist: P9-1" in output
    assert "9 unchanged" in output


def test_an_edited_checklist_survives_a_second_run_and_reset_restores_it(db):
    seed()
    seeded = snapshot()["VerificationItem"]
    VerificationItem.objects.filter(program__code="P10-1", sort_order=1).update(text="荣誉证书原件已核对")

    output = seed()

    assert "1 edited and left alone: P10-1" in output
    assert VerificationItem.objects.filter(text="荣誉证书原件已核对").count() == 1

    output = seed("--reset")

    assert "1 reset: P10-1" in output
    assert {(r["program_id"], r["text"], r["sort_order"]) for r in snapshot()["VerificationItem"]} == {
        (r["program_id"], r["text"], r["sort_order"]) for r in seeded
    }
