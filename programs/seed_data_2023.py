"""The final rules 深市监规〔2023〕2号: twelve projects, as plain data for `manage.py seed_programs --rules 2023`.

Public figures (SPEC §2, Rule sets; the 2023 annual guide, 核准类, 事后资助, 足额或折算分配):

* 行业质量提升扶持: 300万元 (若干措施);
* 产业集群品牌化发展: ≤100万元 to the 承办单位 of a 全国质量品牌提升示范区;
* 大湾区碳足迹标识认证: ≤10万元 per certificate, ≤3 per company per year, annual total ≤600万元, company operating
  ≥2 years;
* 质量攻关和技术创新, sub-item 国内外顶级质量赛事荣誉 (ICQCC, 国际质量创新大赛 优胜, 全国质量创新与技术成果交流 top
  grade, previous year): 20万元 per project, each project once;
* 质量数字化管理试点示范, sub-item 检验检测机构数字化改造升级 (评审制): 50万元 per project;
* 产业计量测试体系扶持: four sub-items, annual total ≤200万元, ≤3 matters per unit per sub-item per year.

Every other amount of the final rules is not public: the draft's figure is carried and the program (or tier) is
marked ``amounts_are_defaults`` / ``is_default_amount``, which the admin shows. The programs are seeded inactive: the
rule set is a candidate, compared in the policy simulator, until the bureau adopts it for a call.

``counterpart_of`` names the draft items whose applications the simulator computes under each project. Only
P8-3 → 大湾区碳足迹标识认证 is stated in the SPEC; the other links (default) pair items by subject.
"""

from dataclasses import replace
from decimal import Decimal

from programs.models import AmountRule, Direction, EvidenceWindow, ReviewTrack
from programs.seed_data import (
    ALL_ORGANISATIONS,
    BUSINESS_LICENCE,
    COMMITMENT,
    CONTACT,
    ENTERPRISES_ONLY,
    MIN_EXPERTS,
    PASS_MARK,
    PROGRAMS,
    PROJECT_PLAN,
    REPORT_DUE_MONTHS,
    SUPPORTING_EVIDENCE,
    AttachmentSeed,
    CriterionSeed,
    ProgramSeed,
    RuleSetSeed,
    TierSeed,
    VerificationItemSeed,
    _conditions,
    _materials,
)

DOCUMENT = "深市监规〔2023〕2号"
CLAUSE = "深市监规〔2023〕2号"

DRAFT = {seed.code: seed for seed in PROGRAMS}

# Shared by the projects with no item in the draft: expert review with the draft's usual criteria.
REVIEW_CRITERIA = (
    CriterionSeed("项目基础与实施能力", Decimal("30.00"), "申报单位的工作基础、团队和配套条件。"),
    CriterionSeed("目标与实施方案", Decimal("30.00"), "目标明确、措施可行、进度和经费安排合理。"),
    CriterionSeed("预期成效与示范带动", Decimal("40.00"), "可量化的绩效指标和对行业、产业的带动作用。"),
)


def _from_draft(draft_code: str, /, **changes: object) -> ProgramSeed:
    """A 2023 project modelled on a draft item: its children and texts kept, what changed replaced."""
    return replace(DRAFT[draft_code], clause=CLAUSE, is_active=False, counterpart_of=(draft_code,), **changes)


def _new(**values: object) -> ProgramSeed:
    """A 2023 project with no item in the draft (expert review, a project plan, the usual conditions)."""
    defaults: dict[str, object] = {
        "clause": CLAUSE,
        "review_track": ReviewTrack.EXPERT_REVIEW,
        "applicant_types": ALL_ORGANISATIONS,
        "applicant_label": "单位",
        "amount_rule": AmountRule.FIXED,
        "unit_label": "项目",
        "unit_key_label": "",
        "claim_required": False,
        "max_units_per_year": 1,
        "cap_per_tier_group": False,
        "funded_once": False,
        "one_tier_per_year": False,
        "evidence_window": EvidenceWindow.NONE,
        "evidence_years": 3,
        "min_years_established": 0,
        "pass_mark": PASS_MARK,
        "min_experts": MIN_EXPERTS,
        "report_required": True,
        "report_due_months": REPORT_DUE_MONTHS,
        "contact": CONTACT,
        "is_active": False,
        "attachments": (BUSINESS_LICENCE, PROJECT_PLAN, SUPPORTING_EVIDENCE, COMMITMENT),
        "criteria": REVIEW_CRITERIA,
    }
    return ProgramSeed(**{**defaults, **values})


METROLOGY_GROUPS = {
    "international": "documents",
    "national": "documents",
    "provincial": "documents",
    "committee": "committee",
    "demonstration": "demonstration",
    "standard-cert": "standard-cert",
}

PROGRAMS_2023: tuple[ProgramSeed, ...] = (
    _from_draft(
        "P8-1",
        code="F23-01",
        name="行业质量提升扶持项目",
        sort_order=1,
        description="对整合国家质量基础设施要素资源为产业提供优质公共技术服务、有效增强产业竞争力的组织，予以300万元资助。",
    ),
    _new(
        code="F23-02",
        name="产业集群品牌化发展项目",
        direction=Direction.BENCHMARK,
        amount_rule=AmountRule.PER_UNIT,
        claim_required=True,
        unit_amount=Decimal("1000000.00"),
        sort_order=2,
        description="对承办全国质量品牌提升示范区建设的承办单位，按实际投入予以不超过100万元资助。",
        conditions=_conditions(
            "为全国质量品牌提升示范区的承办单位；",
            "按示范区建设实际发生的费用申报，资助不超过100万元。",
            applicant="单位",
        ),
        materials=_materials("示范区批复或命名文件；", "建设费用明细及凭证；"),
    ),
    _from_draft(
        "P8-3",
        code="F23-03",
        name="大湾区碳足迹标识认证项目",
        unit_amount=Decimal("100000.00"),
        max_units_per_year=3,
        min_years_established=2,
        default_annual_budget=Decimal("6000000.00"),
        sort_order=3,
        description=(
            "对取得粤港澳大湾区碳足迹标识认证的企业，每张证书予以不超过10万元资助，每家企业每年资助不超过3张，"
            "年度资助总额不超过600万元。"
        ),
        conditions=_conditions(
            "取得粤港澳大湾区碳足迹标识认证，证书在有效期内；",
            "企业成立并正常经营满2年；",
            "按每张证书实际发生的认证费用申报，每张证书资助不超过10万元；",
            "每家企业每年资助不超过3张证书，同一证书编号只资助一次；年度资助总额不超过600万元，超出时折算分配。",
            applicant="企业",
        ),
    ),
    _from_draft(
        "P8-2",
        code="F23-04",
        name="质量攻关和技术创新项目",
        amount_rule=AmountRule.PER_TIER,
        unit_label="项目",
        unit_key_label="获奖项目编号",
        unit_amount=None,
        max_units_per_year=None,
        funded_once=True,
        amounts_are_defaults=True,
        sort_order=4,
        description=(
            "支持质量技术攻关；对上一年度在国内外顶级质量赛事中获得荣誉的项目，每个项目资助20万元，同一项目只资助一次。"
        ),
        tiers=(
            TierSeed("quality-breakthrough", "质量技术攻关", Decimal("300000.00"), is_default_amount=True),
            TierSeed(
                "top-contest-honour", "国内外顶级质量赛事荣誉（ICQCC、国际质量创新大赛优胜等）", Decimal("200000.00")
            ),
        ),
    ),
    _new(
        code="F23-05",
        name="质量数字化管理试点示范项目",
        direction=Direction.SUPPLY_QUALITY,
        amount_rule=AmountRule.PER_TIER,
        unit_amount=None,
        sort_order=5,
        description="子项目“检验检测机构数字化改造升级”（评审制）每个项目资助50万元。",
        conditions=_conditions("检验检测机构实施数字化改造升级，有明确的实施方案和绩效目标；", applicant="单位"),
        materials=_materials("项目实施方案（含经费预算和绩效指标）；"),
        tiers=(TierSeed("inspection-lab-digital", "检验检测机构数字化改造升级", Decimal("500000.00")),),
    ),
    _from_draft(
        "P9-2",
        code="F23-06",
        name="产业计量测试体系扶持项目",
        max_units_per_year=3,
        cap_per_tier_group=True,
        default_annual_budget=Decimal("2000000.00"),
        amounts_are_defaults=True,
        sort_order=6,
        description=(
            "分四个子项目（计量技术规范制定、计量技术机构工作、计量示范标杆、社会公用计量标准），年度资助总额不超过"
            "200万元，每个单位每个子项目每年资助不超过3个事项。"
        ),
        tiers=tuple(
            replace(tier, tier_group=METROLOGY_GROUPS[tier.tier_group], is_default_amount=True)
            for tier in DRAFT["P9-2"].tiers
        ),
    ),
    _from_draft(
        "P9-1",
        code="F23-07",
        name="质量基础设施应用推广项目",
        amounts_are_defaults=True,
        sort_order=7,
    ),
    _from_draft(
        "P10-1",
        code="F23-08",
        name="质量标杆扶持项目",
        amounts_are_defaults=True,
        sort_order=8,
        tiers=tuple(replace(tier, is_default_amount=True) for tier in DRAFT["P10-1"].tiers),
    ),
    _from_draft(
        "P10-2",
        code="F23-09",
        name="高质量企业孵化项目",
        amounts_are_defaults=True,
        sort_order=9,
    ),
    _from_draft(
        "P10-3",
        code="F23-10",
        name="卓著品牌扶持项目",
        amounts_are_defaults=True,
        sort_order=10,
    ),
    _new(
        code="F23-11",
        name="特色品牌培育项目",
        direction=Direction.BENCHMARK,
        applicant_types=ENTERPRISES_ONLY,
        applicant_label="企业",
        unit_amount=Decimal("300000.00"),
        amounts_are_defaults=True,
        sort_order=11,
        description="培育具有地方特色的品牌（资助金额暂按30万元设置，待公开后核定）。",
        conditions=_conditions("拥有具有深圳特色的自主品牌，品牌建设成效明显；", applicant="企业"),
        materials=_materials("品牌培育方案；", "品牌建设成效证明材料；"),
    ),
    _new(
        code="F23-12",
        name="深圳品牌传播推广项目",
        direction=Direction.BENCHMARK,
        unit_amount=Decimal("500000.00"),
        amounts_are_defaults=True,
        sort_order=12,
        description="支持“深圳品牌”传播推广活动（资助金额暂按50万元设置，待公开后核定）。",
        conditions=_conditions("组织开展“深圳品牌”传播推广活动，有明确的活动方案和传播成效指标；"),
        materials=_materials("传播推广活动方案；"),
        attachments=(
            BUSINESS_LICENCE,
            AttachmentSeed(kind="activity-plan", name="活动方案", help_text="写明活动内容、渠道、预算和传播成效指标。"),
            COMMITMENT,
        ),
        verification_items=(VerificationItemSeed("活动方案完整", "内容、渠道、预算和成效指标齐全。"),),
    ),
)

FINAL_2023_RULE_SET = RuleSetSeed(
    code="final-2023",
    name="深市监规〔2023〕2号 十二个资助项目",
    document=DOCUMENT,
    description=(
        "深圳市市场监督管理局质量品牌领域专项资金操作规程（深市监规〔2023〕2号）。未公开的金额沿用征求意见稿的数额，"
        "并标记为暂定默认值。"
    ),
    programs=PROGRAMS_2023,
    effective_on="2023-01-01",
)
