"""The nine funding items of the draft 操作规程 (第八条—第十条), as plain data for `manage.py seed_programs`.

Sources: SPEC §2 and `sources/operating-rules-draft-explanation.txt` (起草说明). Every value here is only a starting
point: administrators edit programs in the admin, and `seed_programs` leaves an edited program alone unless it is run
with `--reset`. Numbers marked "(default)" were not found in a public source (SPEC §2 marks them the same way).

Directions follow the SPEC table, not the 起草说明, which prints the 第八条 and 第十条 headings the other way round.
"""

from dataclasses import dataclass
from decimal import Decimal

from accounts.models import OrganisationType
from programs.models import AmountRule, Direction, EvidenceWindow, FieldType, MaterialTemplate, ReviewTrack

ENTERPRISES_ONLY = (OrganisationType.ENTERPRISE.value,)
# 组织 / 单位 in the source: any kind of organisation registered in Shenzhen.
ALL_ORGANISATIONS = tuple(OrganisationType.values)

# Every program, whatever its track (default): experts score 评审制 items out of 100 and pass at 60, at least three
# experts per application.
PASS_MARK = Decimal("60.00")
MIN_EXPERTS = 3
# 第六章 绩效评价 applies to every funded item, so every program asks for a report 12 months after payout.
REPORT_DUE_MONTHS = 12

CONTACT = "深圳市市场监督管理局质量发展处，电话 0755-83070000（示例）"
CONTACT_METROLOGY = "深圳市市场监督管理局计量处，电话 0755-83070000（示例）"


@dataclass(frozen=True)
class TierSeed:
    code: str
    name: str
    amount: Decimal
    tier_group: str = ""
    is_default_amount: bool = False


@dataclass(frozen=True)
class AttachmentSeed:
    kind: str
    name: str
    help_text: str = ""
    is_required: bool = True
    template: str = MaterialTemplate.NONE


@dataclass(frozen=True)
class FormFieldSeed:
    name: str
    label: str
    field_type: str = FieldType.TEXT
    is_required: bool = True
    help_text: str = ""
    choices: str = ""


@dataclass(frozen=True)
class CriterionSeed:
    name: str
    weight: Decimal
    description: str = ""
    max_score: int = 100


@dataclass(frozen=True)
class VerificationItemSeed:
    """An item of a 核准制 program's verification checklist (核实), checked by the intake officer."""

    text: str
    help_text: str = ""


@dataclass(frozen=True)
class ProgramSeed:
    """One funding item; every field but the child tuples is a field of `programs.models.Program`."""

    code: str
    name: str
    clause: str
    direction: str
    review_track: str
    applicant_types: tuple[str, ...]  # stored as a list in Program.applicant_types
    applicant_label: str
    amount_rule: str
    unit_label: str
    unit_key_label: str
    unit_amount: Decimal | None
    claim_required: bool
    max_units_per_year: int | None
    cap_per_tier_group: bool
    funded_once: bool
    one_tier_per_year: bool
    evidence_window: str
    evidence_years: int
    min_years_established: int
    pass_mark: Decimal | None
    min_experts: int
    report_required: bool
    report_due_months: int
    description: str
    conditions: str
    materials: str
    contact: str
    is_active: bool
    sort_order: int
    default_annual_budget: Decimal | None = None
    amounts_are_defaults: bool = False
    # Codes of programs in other rule sets that name this one as their counterpart (e.g. P8-3 for the 2023 rules'
    # 大湾区碳足迹标识认证); not a Program field: `seed_programs` sets the link on those programs.
    counterpart_of: tuple[str, ...] = ()
    tiers: tuple[TierSeed, ...] = ()
    attachments: tuple[AttachmentSeed, ...] = ()
    form_fields: tuple[FormFieldSeed, ...] = ()
    criteria: tuple[CriterionSeed, ...] = ()
    verification_items: tuple[VerificationItemSeed, ...] = ()


CHILD_FIELDS = ("tiers", "attachments", "form_fields", "criteria", "verification_items")
# Seed attributes that are not fields of Program.
SEED_ONLY_FIELDS = ("counterpart_of",)


@dataclass(frozen=True)
class RuleSetSeed:
    """A rule set (a named, dated version of the catalogue) and its programs."""

    code: str
    name: str
    document: str
    description: str
    programs: tuple[ProgramSeed, ...]
    effective_on: str | None = None


def _numbered(*items: str) -> str:
    return "\n".join(f"{number}. {item}" for number, item in enumerate(items, start=1))


def _conditions(*specific: str, applicant: str = "组织") -> str:
    """Number the program's own conditions followed by those every item of the 操作规程 shares (SPEC §5)."""
    return _numbered(
        f"申报{applicant}在深圳市依法注册登记，财务管理制度健全；",
        *specific,
        "申报单位未被列入严重失信主体名单，且不在专项资金申报限制期内；",
        "同一事项未获得市级其他财政专项资金资助，不得多头申报；",
        "申报材料真实、准确、完整，同意按年度资助总额足额或折算分配资助金额。",
    )


def _materials(*specific: str) -> str:
    return _numbered(
        "在线填写的申报书（含绩效目标）；",
        "营业执照或法人登记证书；",
        *specific,
        "加盖公章的申报承诺书。",
    )


BUSINESS_LICENCE = AttachmentSeed(
    kind="business-licence",
    name="营业执照或法人登记证书",
    help_text="上传加盖公章的营业执照、事业单位法人证书或社会组织登记证书扫描件。",
)
COMMITMENT = AttachmentSeed(
    kind="commitment",
    name="申报承诺书",
    help_text="下载模板（已填好单位名称和统一社会信用代码）核对填写，法定代表人签字并加盖公章后上传扫描件。",
    template=MaterialTemplate.COMMITMENT,
)
# 评审制 items (larger amounts, read by experts): the bureau wants the whole 申报书 back with the legal
# representative's signature and the seal, so that what the experts score is what the organisation answers for.
SIGNED_APPLICATION_FORM = AttachmentSeed(
    kind="signed-application-form",
    name="申报书（签字盖章）",
    help_text=(
        "各步骤填写完成后，在申报页面下载申报书，打印后由法定代表人签字并加盖公章，上传扫描件；"
        "打印后又修改了内容的，请重新打印。"
    ),
    template=MaterialTemplate.APPLICATION_FORM,
)
PROJECT_PLAN = AttachmentSeed(
    kind="project-plan",
    name="项目实施方案",
    help_text="写明项目目标、实施内容、进度安排、经费预算和可量化的绩效指标。",
)
SUPPORTING_EVIDENCE = AttachmentSeed(
    kind="supporting-evidence",
    name="其他证明材料",
    help_text="合作协议、已取得的成果、获奖或资质证明等，可选。",
    is_required=False,
)

PROGRAMS: tuple[ProgramSeed, ...] = (
    ProgramSeed(
        code="P8-1",
        name="行业质量提升项目",
        clause="第八条第一款",
        direction=Direction.SUPPLY_QUALITY,
        review_track=ReviewTrack.EXPERT_REVIEW,
        applicant_types=ALL_ORGANISATIONS,
        applicant_label="组织",
        amount_rule=AmountRule.FIXED,
        unit_label="项目",
        unit_key_label="",
        unit_amount=Decimal("3000000.00"),
        claim_required=False,
        max_units_per_year=1,
        cap_per_tier_group=False,
        funded_once=False,
        one_tier_per_year=False,
        evidence_window=EvidenceWindow.NONE,
        evidence_years=3,
        min_years_established=0,
        pass_mark=PASS_MARK,
        min_experts=MIN_EXPERTS,
        report_required=True,
        report_due_months=REPORT_DUE_MONTHS,
        description=(
            "促进产业链基础再造和质量效益提升，对整合国家质量基础设施（NQI）要素资源为产业提供优质公共技术服务，"
            "有效增强产业竞争力的组织，予以300万元资助。"
        ),
        conditions=_conditions(
            "整合计量、标准、认证认可、检验检测等国家质量基础设施（NQI）要素资源，为产业提供优质公共技术服务；",
            "项目聚焦本市重点产业链，有明确的质量提升目标和可量化的绩效指标；",
            "每家组织每年资助不超过1项。",
        ),
        materials=_materials("项目实施方案（含经费预算和绩效指标）；", "其他证明材料（可选）；"),
        contact=CONTACT,
        is_active=True,
        sort_order=1,
        attachments=(BUSINESS_LICENCE, PROJECT_PLAN, SUPPORTING_EVIDENCE, COMMITMENT, SIGNED_APPLICATION_FORM),
        form_fields=(
            FormFieldSeed(
                name="industry",
                label="所属产业领域",
                field_type=FieldType.CHOICE,
                choices="\n".join(
                    (
                        "新一代电子信息",
                        "高端装备制造",
                        "绿色低碳",
                        "生物医药与健康",
                        "新材料",
                        "数字与时尚",
                        "现代服务业",
                        "其他",
                    )
                ),
            ),
            FormFieldSeed(
                name="enterprises_served",
                label="拟服务企业数量（家）",
                field_type=FieldType.INTEGER,
                help_text="项目实施期内预计提供公共技术服务的企业数量。",
            ),
        ),
        criteria=(
            CriterionSeed("产业带动作用", Decimal("30.00"), "对本市重点产业链质量提升和竞争力增强的带动作用。"),
            CriterionSeed(
                "NQI要素整合与服务能力",
                Decimal("25.00"),
                "整合计量、标准、认证认可、检验检测等要素资源的程度和服务能力。",
            ),
            CriterionSeed("实施方案可行性", Decimal("20.00"), "目标、内容、进度和保障措施是否明确可行。"),
            CriterionSeed("预期成效与绩效目标", Decimal("15.00"), "绩效指标是否具体、可量化、可考核。"),
            CriterionSeed("经费预算合理性", Decimal("10.00"), "经费预算是否真实、合理，与实施内容相匹配。"),
        ),
    ),
    ProgramSeed(
        code="P8-2",
        name="质量技术攻关与质量创新项目",
        clause="第八条第二款",
        direction=Direction.SUPPLY_QUALITY,
        review_track=ReviewTrack.EXPERT_REVIEW,
        applicant_types=ALL_ORGANISATIONS,
        applicant_label="组织",
        amount_rule=AmountRule.FIXED,
        unit_label="项目",
        unit_key_label="",
        unit_amount=Decimal("300000.00"),
        claim_required=False,
        max_units_per_year=1,  # (default) 1 per organisation per year
        cap_per_tier_group=False,
        funded_once=False,
        one_tier_per_year=False,
        evidence_window=EvidenceWindow.NONE,
        evidence_years=3,
        min_years_established=0,
        pass_mark=PASS_MARK,
        min_experts=MIN_EXPERTS,
        report_required=True,
        report_due_months=REPORT_DUE_MONTHS,
        description=(
            "鼓励破解关键产品、关键系统质量难题，加速创新成果规模化商用，对开展关键共性质量技术攻关和质量管理理论与"
            "方法创新的组织，予以30万元资助。"
        ),
        conditions=_conditions(
            "开展关键产品、关键系统的关键共性质量技术攻关，或开展质量管理理论与方法创新；",
            "项目有明确的攻关目标、技术路线和成果转化安排；",
            "每家组织每年资助不超过1项。",
        ),
        materials=_materials("项目实施方案（含技术路线、经费预算和绩效指标）；", "其他证明材料（可选）；"),
        contact=CONTACT,
        is_active=True,
        sort_order=2,
        attachments=(BUSINESS_LICENCE, PROJECT_PLAN, SUPPORTING_EVIDENCE, COMMITMENT, SIGNED_APPLICATION_FORM),
        form_fields=(
            FormFieldSeed(name="project_name", label="项目名称", help_text="例如 新能源汽车动力电池一致性质量攻关。"),
            FormFieldSeed(
                name="innovation_type",
                label="项目类别",
                field_type=FieldType.CHOICE,
                choices="关键共性质量技术攻关\n质量管理理论与方法创新",
            ),
        ),
        criteria=(
            CriterionSeed("技术难度与创新性", Decimal("30.00"), "攻关内容的技术难度、创新程度和先进性。"),
            CriterionSeed("问题导向与针对性", Decimal("25.00"), "针对关键产品、关键系统质量难题的程度。"),
            CriterionSeed("成果转化与推广前景", Decimal("20.00"), "创新成果规模化商用和推广应用的前景。"),
            CriterionSeed("实施基础与团队能力", Decimal("15.00"), "已有研究基础、团队和条件保障。"),
            CriterionSeed("经费预算合理性", Decimal("10.00"), "经费预算是否真实、合理，与实施内容相匹配。"),
        ),
    ),
    ProgramSeed(
        code="P8-3",
        name="绿色认证等高端认证发展项目",
        clause="第八条第三款",
        direction=Direction.SUPPLY_QUALITY,
        review_track=ReviewTrack.VERIFICATION,
        applicant_types=ENTERPRISES_ONLY,
        applicant_label="企业",
        amount_rule=AmountRule.PER_UNIT,
        unit_label="证书",
        unit_key_label="证书编号",
        unit_amount=Decimal("50000.00"),
        claim_required=True,
        max_units_per_year=3,
        cap_per_tier_group=False,
        funded_once=True,
        one_tier_per_year=False,
        # (default) The source sets no window. The item funds certificates newly obtained, so a certificate counts
        # when issued within the last year; funded_once stops the same certificate being claimed again later.
        evidence_window=EvidenceWindow.LAST_YEARS,
        evidence_years=1,
        min_years_established=0,
        pass_mark=None,
        min_experts=MIN_EXPERTS,
        report_required=True,
        report_due_months=REPORT_DUE_MONTHS,
        description=(
            "促进产业绿色转型升级，对取得绿色产品等高端认证的企业，每获一张认证证书，予以不超过5万元资助，"
            "每家企业每年资助不超过3项。"
        ),
        conditions=_conditions(
            "取得绿色产品认证等高端认证，证书在近1年内取得且在有效期内；",
            "按每张证书实际发生的认证费用申报，每张证书资助不超过5万元；",
            "每家企业每年资助不超过3张证书，同一证书编号只资助一次。",
            applicant="企业",
        ),
        materials=_materials("认证证书扫描件（每张证书一份）；", "认证费用发票及支付凭证；"),
        contact=CONTACT,
        is_active=True,
        sort_order=3,
        attachments=(
            BUSINESS_LICENCE,
            AttachmentSeed(
                kind="certificate",
                name="认证证书",
                help_text="每张申报证书上传一份扫描件，证书编号须与申报单元一致。",
            ),
            AttachmentSeed(
                kind="invoice",
                name="认证费用凭证",
                help_text="认证机构开具的发票及银行支付凭证，金额应与申报的实际费用一致。",
            ),
            COMMITMENT,
        ),
        verification_items=(
            VerificationItemSeed(
                "认证证书真实有效", "在发证认证机构官网或全国认证认可信息公共服务平台查询证书，状态为有效。"
            ),
            VerificationItemSeed("证书持有人与申报单位一致", "证书上的单位名称、统一社会信用代码与申报单位一致。"),
            VerificationItemSeed("证书在规定期限内取得", "发证日期在近1年内，证书编号与申报单元一致。"),
            VerificationItemSeed(
                "认证费用凭证与申报金额相符", "发票及银行支付凭证的收款方为认证机构，金额不低于申报的实际费用。"
            ),
        ),
    ),
    ProgramSeed(
        code="P9-1",
        name="国际认可发展项目",
        clause="第九条第一款",
        direction=Direction.INFRASTRUCTURE,
        review_track=ReviewTrack.VERIFICATION,
        applicant_types=ENTERPRISES_ONLY,
        applicant_label="企业",
        amount_rule=AmountRule.PER_UNIT,
        unit_label="认可",
        unit_key_label="认可证书编号",
        unit_amount=Decimal("300000.00"),
        claim_required=True,
        max_units_per_year=2,
        cap_per_tier_group=False,
        funded_once=True,
        one_tier_per_year=False,
        # (default) As for P8-3: no window in the source; an accreditation counts when obtained within the last year.
        evidence_window=EvidenceWindow.LAST_YEARS,
        evidence_years=1,
        min_years_established=0,
        pass_mark=None,
        min_experts=MIN_EXPERTS,
        report_required=True,
        report_due_months=REPORT_DUE_MONTHS,
        description=(
            "促进企业国际化发展，对取得国际知名认可机构认可的企业，每获得一个国家或国际机构认可资质，"
            "予以不超过30万元资助，每家企业每年资助不超过2项。"
        ),
        conditions=_conditions(
            "取得国际知名认可机构或国家认可机构的认可资质，认可证书在近1年内取得且在有效期内；",
            "按每项认可实际发生的费用申报，每项资助不超过30万元；",
            "每家企业每年资助不超过2项，同一认可证书编号只资助一次。",
            applicant="企业",
        ),
        materials=_materials("认可证书及认可范围扫描件（每项认可一份）；", "认可费用发票及支付凭证；"),
        contact=CONTACT,
        is_active=True,
        sort_order=4,
        attachments=(
            BUSINESS_LICENCE,
            AttachmentSeed(
                kind="accreditation",
                name="认可证书",
                help_text="认可证书及认可范围（附件）扫描件，证书编号须与申报单元一致；外文证书附中文译本。",
            ),
            AttachmentSeed(
                kind="invoice",
                name="认可费用凭证",
                help_text="认可机构开具的发票及银行支付凭证，金额应与申报的实际费用一致。",
            ),
            COMMITMENT,
        ),
        verification_items=(
            VerificationItemSeed("认可证书真实有效", "在认可机构官网查询认可证书及认可范围，状态为有效。"),
            VerificationItemSeed(
                "认可证书持有人与申报单位一致", "认可证书上的单位名称与申报单位一致，外文证书附中文译本。"
            ),
            VerificationItemSeed("认可在规定期限内取得", "认可证书颁发日期在近1年内，证书编号与申报单元一致。"),
            VerificationItemSeed(
                "认可费用凭证与申报金额相符", "发票及银行支付凭证的收款方为认可机构，金额不低于申报的实际费用。"
            ),
        ),
    ),
    ProgramSeed(
        code="P9-2",
        name="先进计量支撑体系扶持项目",
        clause="第九条第二款",
        direction=Direction.INFRASTRUCTURE,
        review_track=ReviewTrack.VERIFICATION,
        applicant_types=ALL_ORGANISATIONS,
        applicant_label="组织",
        amount_rule=AmountRule.PER_TIER,
        unit_label="事项",
        unit_key_label="文件或证书编号",
        unit_amount=None,
        claim_required=False,
        # (default, from the final rules) at most 3 matters per tier group per organisation and year.
        max_units_per_year=3,
        cap_per_tier_group=True,
        funded_once=False,
        one_tier_per_year=False,
        # SPEC §2: documents must be formally published within the last 3 years.
        evidence_window=EvidenceWindow.LAST_YEARS,
        evidence_years=3,
        min_years_established=0,
        pass_mark=None,
        min_experts=MIN_EXPERTS,
        report_required=True,
        report_due_months=REPORT_DUE_MONTHS,
        description=(
            "推动高新技术、食品安全、节能减排等重点领域先进计量测试体系建设，对主导或参加国际、国家、省计量检定规程和"
            "技术规范制定；承担国际国内计量技术专业机构（TC、SC）工作；获全国能源资源、工业计量等示范和标杆；"
            "市级社会公用计量标准证书的组织，分别予以3万元至80万元资助。"
        ),
        conditions=_conditions(
            "主导或参加国际计量技术文件、国家计量检定规程或计量技术规范（JJG/JJF）、广东省地方计量技术规范的制定，"
            "且文件已正式发布；",
            "或承担国际计量技术组织、全国专业计量技术委员会或分技术委员会（TC、SC）秘书处工作；",
            "或获得全国能源资源计量示范、工业计量标杆；或新取得市级社会公用计量标准证书；",
            "相关文件、批复或证书须为近3年内发布或取得；每类事项每年资助不超过3项。",
        ),
        materials=_materials(
            "计量技术文件的正式发布文件及文本（主导或参加单位名单页）；",
            "秘书处承担单位批复文件、示范或标杆命名文件、社会公用计量标准证书（按申报事项提供）；",
        ),
        contact=CONTACT_METROLOGY,
        is_active=True,
        sort_order=5,
        # (default) every tier amount except the 80万 ceiling and the 3万 floor (SPEC §2).
        # Tier groups: the cap of 3 counts per group. The draft lists four kinds of matter (drafting documents, TC/SC
        # work, demonstrations and benchmarks, public measurement standards); drafting is split by level
        # (international / national / provincial) so that many provincial documents do not use up the cap for an
        # international one, and the three secretariat tiers share one "committee" group.
        tiers=(
            TierSeed("intl-doc-lead", "主导制定国际计量技术文件", Decimal("800000.00"), "international"),
            TierSeed("intl-doc-join", "参加制定国际计量技术文件", Decimal("200000.00"), "international"),
            TierSeed(
                "national-doc-lead",
                "主导制定国家计量检定规程或计量技术规范（JJG/JJF）",
                Decimal("300000.00"),
                "national",
            ),
            TierSeed(
                "national-doc-join",
                "参加制定国家计量检定规程或计量技术规范（JJG/JJF）",
                Decimal("100000.00"),
                "national",
            ),
            TierSeed("provincial-doc-lead", "主导制定广东省地方计量技术规范", Decimal("100000.00"), "provincial"),
            TierSeed("provincial-doc-join", "参加制定广东省地方计量技术规范", Decimal("30000.00"), "provincial"),
            TierSeed(
                "intl-tc-secretariat",
                "承担国际计量技术组织技术委员会（TC/SC）秘书处",
                Decimal("800000.00"),
                "committee",
            ),
            TierSeed("national-tc-secretariat", "承担全国专业计量技术委员会秘书处", Decimal("300000.00"), "committee"),
            TierSeed(
                "national-sc-secretariat",
                "承担全国专业计量技术委员会分技术委员会秘书处",
                Decimal("200000.00"),
                "committee",
            ),
            TierSeed(
                "national-demonstration", "获全国能源资源计量示范或工业计量标杆", Decimal("300000.00"), "demonstration"
            ),
            TierSeed("municipal-standard-cert", "新取得市级社会公用计量标准证书", Decimal("30000.00"), "standard-cert"),
        ),
        attachments=(
            BUSINESS_LICENCE,
            AttachmentSeed(
                kind="publication",
                name="发布文件",
                help_text="计量技术文件的发布公告及文本（含起草单位页），或秘书处批复、示范标杆命名文件。",
            ),
            AttachmentSeed(
                kind="certificate",
                name="计量标准证书",
                help_text="申报“新取得市级社会公用计量标准证书”时上传证书扫描件。",
                is_required=False,
            ),
            COMMITMENT,
        ),
        verification_items=(
            VerificationItemSeed(
                "计量技术文件或证书已正式发布或取得", "核对发布公告、文件文本或证书，发布或取得日期在近3年内。"
            ),
            VerificationItemSeed(
                "申报单位的主导或参加身份属实", "起草单位名单或任命文件中列明申报单位及其角色（主导/参加）。"
            ),
            VerificationItemSeed("申报档次与事项相符", "事项类别与所选档次一致，同一事项未重复申报。"),
        ),
    ),
    ProgramSeed(
        code="P9-3",
        name="质量基础设施协同服务项目",
        clause="第九条第三款",
        direction=Direction.INFRASTRUCTURE,
        review_track=ReviewTrack.EXPERT_REVIEW,
        applicant_types=ALL_ORGANISATIONS,
        applicant_label="单位",
        amount_rule=AmountRule.PER_UNIT,
        unit_label="项目",
        unit_key_label="项目名称",
        unit_amount=Decimal("200000.00"),
        claim_required=False,
        max_units_per_year=2,
        cap_per_tier_group=False,
        funded_once=False,
        one_tier_per_year=False,
        evidence_window=EvidenceWindow.NONE,
        evidence_years=3,
        min_years_established=0,
        pass_mark=PASS_MARK,
        min_experts=MIN_EXPERTS,
        report_required=True,
        report_due_months=REPORT_DUE_MONTHS,
        description=(
            "对推进大湾区QI互联互通和为中小企业稳增长拓市场提供精准服务的单位，每个项目资助20万元，"
            "每年每家单位资助不超过2项。"
        ),
        conditions=_conditions(
            "推进粤港澳大湾区质量基础设施（QI）互联互通，或为中小企业稳增长、拓市场提供计量、标准、认证认可、"
            "检验检测等精准服务；",
            "项目有明确的服务对象、服务内容和可量化的绩效目标；",
            "每个项目资助20万元，每年每家单位资助不超过2项。",
            applicant="单位",
        ),
        materials=_materials("每个项目的实施方案（含服务对象、经费预算和绩效指标）；", "其他证明材料（可选）；"),
        contact=CONTACT,
        is_active=True,
        sort_order=6,
        attachments=(BUSINESS_LICENCE, PROJECT_PLAN, SUPPORTING_EVIDENCE, COMMITMENT, SIGNED_APPLICATION_FORM),
        form_fields=(
            FormFieldSeed(
                name="service_focus",
                label="服务方向",
                field_type=FieldType.CHOICE,
                choices="大湾区QI互联互通\n中小企业稳增长拓市场精准服务",
            ),
            FormFieldSeed(
                name="smes_served",
                label="预计服务中小企业数量（家）",
                field_type=FieldType.INTEGER,
            ),
        ),
        criteria=(
            CriterionSeed(
                "服务内容契合度", Decimal("30.00"), "与大湾区QI互联互通、中小企业稳增长拓市场需求的契合程度。"
            ),
            CriterionSeed("服务精准性与预期成效", Decimal("30.00"), "服务对象是否明确，绩效目标是否具体可考核。"),
            CriterionSeed("实施方案可行性", Decimal("20.00"), "内容、进度、经费和保障措施是否明确可行。"),
            CriterionSeed("服务基础与能力", Decimal("20.00"), "已有的技术能力、服务平台和服务业绩。"),
        ),
    ),
    ProgramSeed(
        code="P10-1",
        name="国家、省、市质量品牌标杆项目",
        clause="第十条第一款",
        direction=Direction.BENCHMARK,
        review_track=ReviewTrack.VERIFICATION,
        applicant_types=ALL_ORGANISATIONS,
        applicant_label="单位",
        amount_rule=AmountRule.PER_TIER,
        unit_label="荣誉",
        unit_key_label="荣誉名称及年度",
        unit_amount=None,
        claim_required=False,
        # No count cap: one_tier_per_year already pays one honour a year, and it must be the highest one, which a
        # count cap (first come, first counted) would not guarantee.
        max_units_per_year=None,
        cap_per_tier_group=False,
        funded_once=True,
        one_tier_per_year=True,
        evidence_window=EvidenceWindow.PREVIOUS_YEAR,
        evidence_years=3,
        min_years_established=0,
        pass_mark=None,
        min_experts=MIN_EXPERTS,
        report_required=True,
        report_due_months=REPORT_DUE_MONTHS,
        description="对获得国家、省、市政府质量品牌荣誉的单位，分别予以10万元至300万元质量工作资助。",
        conditions=_conditions(
            "上一年度获得中国质量奖（含提名奖）、广东省政府质量奖或深圳市市长质量奖（含提名奖、项目奖）；",
            "同一荣誉只资助一次；同一年度获得多个荣誉的，按最高档次资助。",
            applicant="单位",
        ),
        materials=_materials("获奖证书或表彰文件；"),
        contact=CONTACT,
        is_active=True,
        sort_order=7,
        tiers=(
            TierSeed("china-quality-award", "中国质量奖", Decimal("3000000.00")),
            # (default) every tier below: only the 300万 of 中国质量奖 is sourced; the province pays its own
            # 中国质量奖提名奖 winners 50万元.
            TierSeed("china-quality-award-nominee", "中国质量奖提名奖", Decimal("1000000.00")),
            TierSeed("guangdong-government-quality-award", "广东省政府质量奖", Decimal("1000000.00")),
            TierSeed("shenzhen-mayor-quality-award", "深圳市市长质量奖", Decimal("500000.00")),
            TierSeed("shenzhen-mayor-quality-award-nominee", "深圳市市长质量奖提名奖", Decimal("300000.00")),
            TierSeed("shenzhen-mayor-quality-project-award", "深圳市市长质量奖项目奖", Decimal("100000.00")),
        ),
        attachments=(
            BUSINESS_LICENCE,
            AttachmentSeed(
                kind="honour",
                name="获奖证明",
                help_text="获奖证书或政府表彰文件扫描件，须为上一年度获得。",
            ),
            COMMITMENT,
        ),
        verification_items=(
            VerificationItemSeed("荣誉真实有效", "在授奖机关的公告或文件中查到申报单位的获奖信息。"),
            VerificationItemSeed("荣誉为上一年度取得", "授奖文件的日期在上一自然年度内。"),
            VerificationItemSeed("获奖主体与申报单位一致", "获奖单位名称与申报单位名称、统一社会信用代码一致。"),
            VerificationItemSeed("申报档次与荣誉相符", "所选档次与荣誉名称一致；同一年度多项荣誉按最高档次资助。"),
        ),
    ),
    ProgramSeed(
        code="P10-2",
        name="高质量发展示范单位项目",
        clause="第十条第二款",
        direction=Direction.BENCHMARK,
        review_track=ReviewTrack.EXPERT_REVIEW,
        applicant_types=ALL_ORGANISATIONS,
        applicant_label="组织",
        amount_rule=AmountRule.FIXED,
        unit_label="项目",
        unit_key_label="",
        unit_amount=Decimal("300000.00"),
        claim_required=False,
        max_units_per_year=1,
        cap_per_tier_group=False,
        funded_once=False,
        one_tier_per_year=False,
        evidence_window=EvidenceWindow.NONE,
        evidence_years=3,
        min_years_established=0,
        pass_mark=PASS_MARK,
        min_experts=MIN_EXPERTS,
        report_required=True,
        report_due_months=REPORT_DUE_MONTHS,
        description=(
            "支持企业和组织建立先进的质量经营管理模式，以满足需求为导向持续创新产品、业务、模式和业态，"
            "对按照卓越绩效管理国家标准评价达到较高成熟度的组织，予以30万元资助。"
        ),
        conditions=_conditions(
            "建立先进的质量经营管理模式，以满足需求为导向持续创新产品、业务、模式和业态；",
            "按照卓越绩效评价准则国家标准（GB/T 19580）评价达到较高成熟度；",
            "每家组织每年资助不超过1项。",
        ),
        materials=_materials("卓越绩效自评报告或第三方成熟度评价报告；", "其他证明材料（可选）；"),
        contact=CONTACT,
        is_active=True,
        sort_order=8,
        attachments=(
            BUSINESS_LICENCE,
            AttachmentSeed(
                kind="evaluation-report",
                name="卓越绩效评价报告",
                help_text="按 GB/T 19580 编写的自评报告，或第三方机构出具的成熟度评价报告。",
            ),
            SUPPORTING_EVIDENCE,
            COMMITMENT,
            SIGNED_APPLICATION_FORM,
        ),
        form_fields=(
            FormFieldSeed(
                name="self_assessment_score",
                label="卓越绩效自评得分",
                field_type=FieldType.DECIMAL,
                help_text="按 GB/T 19580 评分，满分1000分。",
            ),
        ),
        criteria=(
            CriterionSeed("质量经营管理模式先进性", Decimal("30.00"), "质量经营管理模式的系统性、先进性和特色。"),
            CriterionSeed("卓越绩效成熟度", Decimal("30.00"), "按卓越绩效评价准则评价的成熟度水平。"),
            CriterionSeed("创新与经营结果", Decimal("25.00"), "产品、业务、模式和业态创新及质量效益结果。"),
            CriterionSeed("示范引领作用", Decimal("15.00"), "对行业和本市企业的示范带动作用。"),
        ),
    ),
    ProgramSeed(
        code="P10-3",
        name="高价值品牌示范单位项目",
        clause="第十条第三款",
        direction=Direction.BENCHMARK,
        review_track=ReviewTrack.EXPERT_REVIEW,
        applicant_types=ALL_ORGANISATIONS,
        applicant_label="组织",
        amount_rule=AmountRule.FIXED,
        unit_label="项目",
        unit_key_label="",
        unit_amount=Decimal("500000.00"),
        claim_required=False,
        max_units_per_year=1,
        cap_per_tier_group=False,
        funded_once=False,
        one_tier_per_year=False,
        evidence_window=EvidenceWindow.NONE,
        evidence_years=3,
        min_years_established=0,
        pass_mark=PASS_MARK,
        min_experts=MIN_EXPERTS,
        report_required=True,
        report_due_months=REPORT_DUE_MONTHS,
        description=(
            "推动“深圳品牌”集聚化、现代化、国际化发展，对于按照国际、国家品牌标准衡量为品牌要素高端、"
            "品牌价值领先的组织，予以50万元支持。"
        ),
        conditions=_conditions(
            "拥有自主品牌，按照国际、国家品牌评价标准衡量品牌要素高端、品牌价值领先；",
            "品牌建设管理体系健全，品牌在国内外市场具有较高知名度和美誉度；",
            "每家组织每年资助不超过1项。",
        ),
        materials=_materials("品牌评价报告（按国际或国家品牌评价标准出具）；", "其他证明材料（可选）；"),
        contact=CONTACT,
        is_active=True,
        sort_order=9,
        attachments=(
            BUSINESS_LICENCE,
            AttachmentSeed(
                kind="brand-evaluation",
                name="品牌评价报告",
                help_text="按国际或国家品牌评价标准出具的品牌价值评价报告。",
            ),
            SUPPORTING_EVIDENCE,
            COMMITMENT,
            SIGNED_APPLICATION_FORM,
        ),
        form_fields=(
            FormFieldSeed(name="brand_name", label="品牌名称"),
            FormFieldSeed(
                name="brand_value",
                label="品牌价值（万元）",
                field_type=FieldType.DECIMAL,
                is_required=False,
                help_text="以品牌评价报告中的评价结果为准。",
            ),
        ),
        criteria=(
            CriterionSeed("品牌要素与品牌价值", Decimal("35.00"), "品牌要素的高端程度和品牌价值的领先程度。"),
            CriterionSeed("品牌市场影响力", Decimal("25.00"), "国内外市场的知名度、美誉度和占有率。"),
            CriterionSeed("品牌建设管理体系", Decimal("20.00"), "品牌战略、管理制度和保护措施。"),
            CriterionSeed("国际化与示范带动", Decimal("20.00"), "品牌国际化程度及对“深圳品牌”的示范带动作用。"),
        ),
    ),
)


DRAFT_RULE_SET = RuleSetSeed(
    code="draft-2021",
    name="操作规程（征求意见稿）九个资助项目",
    document="深圳市市场监督管理局质量品牌领域专项资金操作规程（征求意见稿）",
    description="起草说明所列第八条至第十条的九个资助项目。",
    programs=PROGRAMS,
)
