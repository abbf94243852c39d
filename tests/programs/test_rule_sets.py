"""Rule sets: the draft's nine items and the final 2023 rules' twelve projects, as data, copied and edited."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from programs.models import DRAFT_RULE_SET_CODE, Call, Program, ProgramBudget, RuleSet
from programs.rules import CapPolicy, UnitInput, compute_units, standard_amount
from programs.services import copy_rule_set
from tests.factories import CallFactory, ProgramFactory, StaffFactory

pytestmark = pytest.mark.django_db

FINAL_2023_NAMES = [
    "行业质量提升扶持项目",
    "产业集群品牌化发展项目",
    "大湾区碳足迹标识认证项目",
    "质量攻关和技术创新项目",
    "质量数字化管理试点示范项目",
    "产业计量测试体系扶持项目",
    "质量基础设施应用推广项目",
    "质量标杆扶持项目",
    "高质量企业孵化项目",
    "卓著品牌扶持项目",
    "特色品牌培育项目",
    "深圳品牌传播推广项目",
]


@pytest.fixture
def both_rule_sets():
    call_command("seed_programs", verbosity=0)
    call_command("seed_programs", "--rules", "2023", verbosity=0)
    call_command("sync_roles", verbosity=0)


def staff_in(group_name: str):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group_name))
    return user


def policy(program: Program) -> CapPolicy:
    return CapPolicy(program.claim_required, program.max_units_per_year, program.funded_once)


def test_seed_programs_rules_2023_loads_the_twelve_projects_in_order_and_leaves_the_draft_alone():
    out = StringIO()
    call_command("seed_programs", stdout=out)
    assert out.getvalue().strip() == "seed_programs: 9 programs (9 created, 0 unchanged), 17 tiers"
    out = StringIO()
    call_command("seed_programs", "--rules", "2023", stdout=out)
    assert out.getvalue().startswith("seed_programs: final-2023: 12 programs (12 created, 0 unchanged)")
    final = RuleSet.objects.get(code="final-2023")
    assert final.document == "深市监规〔2023〕2号"
    assert list(final.programs.order_by("sort_order").values_list("name", flat=True)) == FINAL_2023_NAMES
    assert RuleSet.objects.get(code=DRAFT_RULE_SET_CODE).programs.count() == 9
    # Candidates until adopted: no applicant sees them in the public catalogue.
    assert not final.programs.filter(is_active=True).exists()
    response_codes = [p.code for p in Program.objects.active()]
    assert len(response_codes) == 9
    # Idempotent.
    out = StringIO()
    call_command("seed_programs", "--rules", "2023", stdout=out)
    assert "(0 created, 12 unchanged)" in out.getvalue()


def test_the_2023_public_figures(both_rule_sets):
    final = {p.name: p for p in RuleSet.objects.get(code="final-2023").programs.prefetch_related("tiers")}
    carbon = final["大湾区碳足迹标识认证项目"]
    assert carbon.unit_amount == Decimal("100000.00")
    assert carbon.claim_required and carbon.funded_once
    assert carbon.max_units_per_year == 3
    assert carbon.default_annual_budget == Decimal("6000000.00")
    assert carbon.min_years_established == 2
    assert carbon.amounts_are_defaults is False

    innovation = final["质量攻关和技术创新项目"]
    honour = innovation.tiers.get(code="top-contest-honour")
    assert honour.amount == Decimal("200000.00") and honour.is_default_amount is False
    assert innovation.funded_once
    assert innovation.tiers.get(code="quality-breakthrough").is_default_amount is True

    metrology = final["产业计量测试体系扶持项目"]
    assert metrology.default_annual_budget == Decimal("2000000.00")
    assert metrology.max_units_per_year == 3 and metrology.cap_per_tier_group
    assert len({t.tier_group for t in metrology.tiers.all()}) == 4
    assert all(t.is_default_amount for t in metrology.tiers.all())

    assert final["行业质量提升扶持项目"].unit_amount == Decimal("3000000.00")
    cluster = final["产业集群品牌化发展项目"]
    assert cluster.unit_amount == Decimal("1000000.00") and cluster.claim_required
    assert final["质量数字化管理试点示范项目"].tiers.get().amount == Decimal("500000.00")
    # Amounts the final rules do not publish carry the draft's figure, flagged.
    assert final["卓著品牌扶持项目"].amounts_are_defaults
    assert final["卓著品牌扶持项目"].unit_amount == Program.objects.get(code="P10-3").unit_amount


def test_the_2023_figures_give_the_right_amounts(both_rule_sets):
    carbon = Program.objects.get(name="大湾区碳足迹标识认证项目")
    # Four certificates claimed at 8万, 12万, 9.5万 and 6万: capped at 10万 each, the fourth past the cap of 3.
    units = [UnitInput(f"GBA-{i}", carbon.unit_amount, Decimal(c)) for i, c in enumerate([80000, 120000, 95000, 60000])]
    results = compute_units(units, policy(carbon))
    assert [r.counted_amount for r in results] == [Decimal("80000.00"), Decimal("100000.00"), Decimal("95000.00"), 0]
    assert results[3].reason_code == "yearly_cap_reached"
    assert standard_amount(results) == Decimal("275000.00")

    innovation = Program.objects.get(name="质量攻关和技术创新项目")
    honour = innovation.tiers.get(code="top-contest-honour")
    units = [UnitInput("ICQCC-2022-17", honour.amount), UnitInput("icqcc-2022-17 ", honour.amount)]
    results = compute_units(units, policy(innovation), funded_keys={"QIC-2021-3"})
    assert standard_amount(results) == Decimal("200000.00")  # each project once
    assert results[1].reason_code == "already_funded"

    metrology = Program.objects.get(name="产业计量测试体系扶持项目")
    tiers = {t.code: t for t in metrology.tiers.all()}
    # Three matters per sub-item: a fourth document is cut, a certificate in another sub-item still counts.
    docs = [UnitInput(f"JJF-{i}", tiers["national-doc-join"].amount, tier_group="documents") for i in range(4)]
    cert = UnitInput("SZ-STD-1", tiers["municipal-standard-cert"].amount, tier_group="standard-cert")
    results = compute_units([*docs, cert], policy(metrology))
    assert [r.reason_code for r in results] == ["", "", "", "yearly_cap_reached", ""]


def test_p8_3_names_its_2023_counterpart(both_rule_sets):
    assert Program.objects.get(code="P8-3").counterpart.name == "大湾区碳足迹标识认证项目"


def test_existing_and_new_programs_and_calls_belong_to_the_draft_rule_set():
    program = ProgramFactory()
    call = CallFactory(programs=[program])
    assert program.rule_set.code == DRAFT_RULE_SET_CODE
    assert call.rule_set == program.rule_set


def test_copying_a_rule_set_copies_programs_tiers_and_budgets_and_keeps_the_links(both_rule_sets):
    final = RuleSet.objects.get(code="final-2023")
    ProgramBudget.objects.create(program=Program.objects.get(code="F23-03"), year=2026, amount=Decimal("6000000"))
    administrator = staff_in("系统管理员")
    copy = copy_rule_set(rule_set=final, actor=administrator)
    assert copy.code == "final-2023-copy-1" and copy.copied_from == final
    assert copy.programs.count() == 12
    carbon = copy.programs.get(code="F23-03.1")
    assert carbon.copied_from.code == "F23-03" and not carbon.is_active
    assert carbon.unit_amount == Decimal("100000.00")
    assert carbon.budgets.get(year=2026).amount == Decimal("6000000.00")
    assert copy.programs.get(code="F23-06.1").tiers.count() == 11
    # The original is untouched; a second copy gets the next number.
    assert final.programs.count() == 12
    assert copy_rule_set(rule_set=final, actor=administrator).code == "final-2023-copy-2"
    with pytest.raises(PermissionDenied):
        copy_rule_set(rule_set=final, actor=staff_in("审定人"))


def test_the_administrator_copies_a_rule_set_in_the_admin_and_sees_the_default_flags(client, both_rule_sets):
    final = RuleSet.objects.get(code="final-2023")
    client.force_login(staff_in("系统管理员"))
    response = client.post(
        reverse("admin:programs_ruleset_changelist"), {"action": "copy_selected", "_selected_action": [final.pk]}
    )
    assert response.status_code == 302
    copy = RuleSet.objects.get(copied_from=final)
    page = client.get(reverse("admin:programs_ruleset_change", args=[copy.pk])).content.decode()
    assert "F23-03.1" in page and "金额为暂定默认值" in page
    listing = client.get(reverse("admin:programs_program_changelist"), {"rule_set__id__exact": final.pk})
    assert listing.status_code == 200
    assert "金额为暂定默认值" in listing.content.decode()
    assert len(listing.context["cl"].result_list) == 12


def test_a_call_may_not_cover_a_program_of_another_rule_set(client, both_rule_sets):
    client.force_login(staff_in("系统管理员"))
    draft = RuleSet.objects.get(code=DRAFT_RULE_SET_CODE)
    response = client.post(
        reverse("admin:programs_call_add"),
        {
            "year": 2026,
            "title": "混合批次",
            "opens_at_0": "2026-03-01",
            "opens_at_1": "09:00:00",
            "closes_at_0": "2026-03-31",
            "closes_at_1": "18:00:00",
            "rule_set": draft.pk,
            "programs": [Program.objects.get(code="P8-3").pk, Program.objects.get(code="F23-03").pk],
            "publicity_working_days": 5,
            "report_due_months": 12,
        },
    )
    assert response.status_code == 200
    assert "以下项目不属于本批次的规则集：F23-03" in response.content.decode()
    assert not Call.objects.filter(title="混合批次").exists()


def test_a_counterpart_must_be_in_another_rule_set(both_rule_sets):
    from django.core.exceptions import ValidationError

    p83, p91 = Program.objects.get(code="P8-3"), Program.objects.get(code="P9-1")
    p83.counterpart = p91
    with pytest.raises(ValidationError) as error:
        p83.full_clean()
    assert error.value.error_dict["counterpart"][0].code == "counterpart_same_rule_set"
    p83.counterpart = Program.objects.get(code="F23-03")
    p83.full_clean()


def test_the_approver_who_runs_the_simulator_sees_the_rule_sets_it_compares_but_may_not_edit_them(
    client, both_rule_sets
):
    client.force_login(staff_in("审定人"))
    final = RuleSet.objects.get(code="final-2023")

    listing = client.get(reverse("admin:programs_ruleset_changelist"))
    assert listing.status_code == 200 and "深市监规〔2023〕2号" in listing.content.decode()
    page = client.get(reverse("admin:programs_ruleset_change", args=[final.pk])).content.decode()
    assert 'name="_save"' not in page  # read-only for the approver; the administrator edits


def test_no_write_path_puts_a_program_of_another_rule_set_into_a_call(both_rule_sets):
    from django.core.exceptions import ValidationError
    from django.db import transaction

    call = CallFactory()  # the draft rule set's
    final = Program.objects.get(code="F23-03")

    with pytest.raises(ValidationError) as refused, transaction.atomic():
        call.programs.add(Program.objects.get(code="P8-3"), final)
    assert refused.value.error_list[0].code == "program_outside_rule_set"
    with pytest.raises(ValidationError), transaction.atomic():
        call.programs.set([final])
    with pytest.raises(ValidationError), transaction.atomic():
        final.calls.add(call)
    assert not call.programs.filter(code="F23-03").exists()
