"""The funding catalogue: programs (the nine items and any later ones), tiers, calls, budgets and caps.

Programs are data, not code: every amount, cap, window and text here is edited in the admin.
"""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import OrganisationType
from core.money import to_wan
from programs.error_codes import ProgramErrorCode


def validate_non_negative(value: Decimal) -> None:
    """Refuse a negative amount of money."""
    if value is not None and value < 0:
        raise ValidationError(_("金额不能为负数"), code=ProgramErrorCode.NEGATIVE_AMOUNT)


def validate_applicant_types(value: list) -> None:
    """Require a non-empty list of known organisation types."""
    valid = set(OrganisationType.values)
    if not isinstance(value, list) or not value or not set(value) <= valid:
        raise ValidationError(_("请至少选择一种可申报的单位类型"), code=ProgramErrorCode.APPLICANT_TYPES_INVALID)


def money_field(verbose_name: str, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=14, decimal_places=2, validators=[validate_non_negative], **kwargs
    )


class Direction(models.TextChoices):
    SUPPLY_QUALITY = "supply_quality", _("提升供给质量和效率")
    INFRASTRUCTURE = "infrastructure", _("质量基础设施体系和能力建设")
    BENCHMARK = "benchmark", _("培育打造质量品牌标杆")
    OTHER = "other", _("其他")


class ReviewTrack(models.TextChoices):
    VERIFICATION = "verification", _("核准制")
    EXPERT_REVIEW = "expert_review", _("评审制")


class AmountRule(models.TextChoices):
    FIXED = "fixed", _("定额资助")
    PER_UNIT = "per_unit", _("按单元资助")
    PER_TIER = "per_tier", _("按档次资助")


class EvidenceWindow(models.TextChoices):
    NONE = "none", _("不限")
    PREVIOUS_YEAR = "previous_year", _("上一年度")
    LAST_YEARS = "last_years", _("近若干年内")


DRAFT_RULE_SET_CODE = "draft-2021"


class RuleSet(models.Model):
    """A named, dated version of the catalogue (e.g. the draft 操作规程's nine items, or the final 2023 rules' twelve
    projects): its programs with their tiers, caps, budget defaults, eligibility settings and materials.

    A call uses one rule set. Rule sets other than the one in force are compared on real applications in the policy
    simulator; an administrator copies a rule set and edits the copy to try out other figures.
    """

    code = models.SlugField(
        _("规则集代码"), max_length=40, unique=True, help_text=_("英文小写、数字与连字符，例如 final-2023。")
    )
    name = models.CharField(_("规则集名称"), max_length=100)
    document = models.CharField(_("政策文件"), max_length=100, blank=True, help_text=_("例如 深市监规〔2023〕2号。"))
    effective_on = models.DateField(_("施行日期"), null=True, blank=True)
    description = models.TextField(_("说明"), blank=True)
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name=_("复制自"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords(verbose_name=_("规则集变更记录"), verbose_name_plural=_("规则集变更记录"))

    class Meta:
        verbose_name = _("规则集")
        verbose_name_plural = _("规则集")
        ordering = ["effective_on", "pk"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def draft(cls) -> "RuleSet":
        """The draft 操作规程's rule set, which programs and calls belong to unless told otherwise."""
        rule_set, _created = cls.objects.get_or_create(
            code=DRAFT_RULE_SET_CODE,
            defaults={
                "name": "操作规程（征求意见稿）九个资助项目",
                "document": "深圳市市场监督管理局质量品牌领域专项资金操作规程（征求意见稿）",
            },
        )
        return rule_set


class ProgramQuerySet(models.QuerySet["Program"]):
    def active(self) -> "ProgramQuerySet":
        return self.filter(is_active=True)


class Program(models.Model):
    """A funding item of the operating rules (e.g. P8-3 绿色认证等高端认证发展项目), in one rule set."""

    rule_set = models.ForeignKey(
        RuleSet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="programs",
        verbose_name=_("规则集"),
        help_text=_("留空时归入操作规程（征求意见稿）规则集。"),
    )
    counterpart = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="counterparts_named",
        verbose_name=_("其他规则集中的对应项目"),
        help_text=_("政策模拟时，本项目的申报按对应项目的规则计算，例如 P8-3 → 大湾区碳足迹标识认证项目。"),
    )
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name=_("复制自"),
        editable=False,
    )
    code = models.CharField(
        _("项目编号"), max_length=20, unique=True, help_text=_("例如 P8-3；创建后请勿修改，申报与统计都按编号关联。")
    )
    name = models.CharField(_("项目名称"), max_length=100)
    clause = models.CharField(_("政策条款"), max_length=50, help_text=_("例如 第八条第三款。"))
    direction = models.CharField(_("资助方向"), max_length=30, choices=Direction.choices)
    review_track = models.CharField(
        _("审核方式"),
        max_length=20,
        choices=ReviewTrack.choices,
        default=ReviewTrack.VERIFICATION,
        help_text=_("核准制：核实客观事实；评审制：组织专家评审打分。"),
    )
    applicant_types = models.JSONField(
        _("可申报单位类型"), default=list, validators=[validate_applicant_types], help_text=_("可多选。")
    )
    applicant_label = models.CharField(
        _("申报主体（展示用）"), max_length=20, default="组织", help_text=_("政策原文中的称谓，如 组织、企业、单位。")
    )
    amount_rule = models.CharField(_("资助方式"), max_length=20, choices=AmountRule.choices, default=AmountRule.FIXED)
    unit_label = models.CharField(
        _("资助单元名称"), max_length=20, default="项目", help_text=_("例如 证书、认可、事项、荣誉。")
    )
    unit_key_label = models.CharField(
        _("单元编号名称"), max_length=30, blank=True, help_text=_("例如 证书编号；用于“同一编号只资助一次”。")
    )
    unit_amount = money_field(
        _("单元资助金额（元）"),
        null=True,
        blank=True,
        help_text=_("定额或按单元资助时必填；按档次资助时金额在档次中设置。申报实际费用时为“不超过”的上限。"),
    )
    claim_required = models.BooleanField(
        _("按实际费用申报"), default=False, help_text=_("勾选后每个单元按 min(申报金额, 单元资助金额) 计算。")
    )
    max_units_per_year = models.PositiveSmallIntegerField(
        _("每单位每年最多资助单元数"), null=True, blank=True, help_text=_("留空表示不限。")
    )
    cap_per_tier_group = models.BooleanField(
        _("按档次组分别计数"), default=False, help_text=_("勾选后上限按档次所属的档次组分别计算（如先进计量）。")
    )
    funded_once = models.BooleanField(
        _("同一编号只资助一次"), default=False, help_text=_("证书、认可或荣誉编号在历年申报中只资助一次。")
    )
    one_tier_per_year = models.BooleanField(
        _("每年只资助一个档次"), default=False, help_text=_("同一年度获得多个荣誉时，按最高档次资助。")
    )
    evidence_window = models.CharField(
        _("证明材料时间要求"), max_length=20, choices=EvidenceWindow.choices, default=EvidenceWindow.NONE
    )
    evidence_years = models.PositiveSmallIntegerField(
        _("年数"), default=3, help_text=_("“近若干年内”时的年数，例如 3。")
    )
    min_years_established = models.PositiveSmallIntegerField(
        _("最低成立年限"), default=0, help_text=_("申报单位成立满若干年，0 表示不限。")
    )
    pass_mark = models.DecimalField(
        _("评审通过分"), max_digits=5, decimal_places=2, null=True, blank=True, help_text=_("评审制项目必填。")
    )
    min_experts = models.PositiveSmallIntegerField(_("最少评审专家数"), default=3)
    report_required = models.BooleanField(_("需提交绩效报告"), default=True)
    report_due_months = models.PositiveSmallIntegerField(
        _("绩效报告期限（月）"), default=12, help_text=_("自拨付之日起计算。")
    )
    description = models.TextField(_("项目简介"), blank=True)
    conditions = models.TextField(_("申报条件"), blank=True)
    materials = models.TextField(_("申报材料"), blank=True)
    contact = models.TextField(_("咨询方式"), blank=True)
    default_annual_budget = money_field(
        _("年度资助总额默认值（元）"),
        null=True,
        blank=True,
        help_text=_("政策规定的年度总额，例如 大湾区碳足迹标识认证 600万元；未设置当年预算时作为参考。"),
    )
    amounts_are_defaults = models.BooleanField(
        _("金额为暂定默认值"),
        default=False,
        help_text=_("勾选表示本项目的资助金额或上限尚无公开依据，沿用操作规程（征求意见稿）的数额，请核对后修改。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = ProgramQuerySet.as_manager()
    history = HistoricalRecords(
        verbose_name=_("资助项目变更记录"), verbose_name_plural=_("资助项目变更记录"), excluded_fields=["sort_order"]
    )

    class Meta:
        verbose_name = _("资助项目")
        verbose_name_plural = _("资助项目")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_amount__isnull=True) | Q(unit_amount__gte=0),
                name="program_unit_amount_non_negative",
                violation_error_code=ProgramErrorCode.NEGATIVE_AMOUNT,
                violation_error_message=_("金额不能为负数"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.rule_set_id is None:
            self.rule_set = RuleSet.draft()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("programs:detail", kwargs={"code": self.code})

    def clean(self) -> None:
        errors: dict[str, ValidationError] = {}
        if self.amount_rule in (AmountRule.FIXED, AmountRule.PER_UNIT) and self.unit_amount is None:
            errors["unit_amount"] = ValidationError(
                _("定额或按单元资助的项目必须填写单元资助金额"), code=ProgramErrorCode.UNIT_AMOUNT_REQUIRED
            )
        if self.review_track == ReviewTrack.EXPERT_REVIEW and self.pass_mark is None:
            errors["pass_mark"] = ValidationError(
                _("评审制项目必须设置评审通过分"), code=ProgramErrorCode.PASS_MARK_REQUIRED
            )
        if self.claim_required and self.amount_rule == AmountRule.FIXED:
            errors["claim_required"] = ValidationError(
                _("定额资助的项目不按实际费用申报"), code=ProgramErrorCode.CLAIM_NOT_ALLOWED_FOR_FIXED
            )
        own_rule_set = (
            self.rule_set_id or RuleSet.objects.filter(code=DRAFT_RULE_SET_CODE).values_list("pk", flat=True).first()
        )
        if self.counterpart_id is not None and (
            self.counterpart_id == self.pk or self.counterpart.rule_set_id == own_rule_set
        ):
            errors["counterpart"] = ValidationError(
                _("对应项目须属于另一个规则集"), code=ProgramErrorCode.COUNTERPART_SAME_RULE_SET
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_tiered(self) -> bool:
        return self.amount_rule == AmountRule.PER_TIER

    def amount_rule_text(self) -> str:
        """Say how the award is computed, in words for applicants (e.g. 每张证书资助不超过5万元)."""
        if self.amount_rule == AmountRule.PER_TIER:
            return str(_("按档次资助，每%(unit)s资助金额见下表") % {"unit": self.unit_label})
        amount = f"{to_wan(self.unit_amount)}元" if self.unit_amount is not None else "—"
        if self.amount_rule == AmountRule.FIXED:
            return str(_("每个项目定额资助%(amount)s") % {"amount": amount})
        if self.claim_required:
            return str(
                _("每%(unit)s按实际发生费用资助，最高不超过%(amount)s") % {"unit": self.unit_label, "amount": amount}
            )
        return str(_("每%(unit)s资助%(amount)s") % {"unit": self.unit_label, "amount": amount})

    def caps_text(self) -> list[str]:
        """List the program's caps in words, for the program page and the application form."""
        lines = []
        if self.max_units_per_year:
            scope = _("每个档次组") if self.cap_per_tier_group else _("每家单位")
            lines.append(
                str(
                    _("%(scope)s每年资助%(unit)s不超过%(n)s个")
                    % {"scope": scope, "n": self.max_units_per_year, "unit": self.unit_label}
                )
            )
        if self.funded_once:
            key = self.unit_key_label or self.unit_label
            lines.append(str(_("同一%(key)s只资助一次") % {"key": key}))
        if self.one_tier_per_year:
            lines.append(str(_("同一年度获得多个荣誉的，按最高档次资助一次")))
        if self.min_years_established:
            lines.append(str(_("申报单位须成立满%(n)s年") % {"n": self.min_years_established}))
        if self.evidence_window == EvidenceWindow.PREVIOUS_YEAR:
            lines.append(str(_("须为上一年度取得")))
        elif self.evidence_window == EvidenceWindow.LAST_YEARS:
            lines.append(str(_("须为近%(n)s年内取得") % {"n": self.evidence_years}))
        return lines

    def get_applicant_types_display(self) -> str:
        labels = dict(OrganisationType.choices)
        return "、".join(str(labels.get(t, t)) for t in self.applicant_types)


class Tier(models.Model):
    """A tier of a tiered program (e.g. P10-1 中国质量奖 300万元), with the group its cap counts in."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("资助项目"))
    code = models.CharField(_("档次编号"), max_length=40)
    name = models.CharField(_("档次名称"), max_length=100)
    amount = models.DecimalField(
        _("资助金额（元）"),
        max_digits=14,
        decimal_places=2,
        validators=[validate_non_negative],
        error_messages={"null": _("请填写档次的资助金额"), "blank": _("请填写档次的资助金额")},
    )
    tier_group = models.CharField(
        _("档次组"), max_length=40, blank=True, help_text=_("按档次组计数上限时使用，例如 国际、国家、省级。")
    )
    is_default_amount = models.BooleanField(
        _("金额为暂定默认值"), default=False, help_text=_("勾选表示该档次金额尚无公开依据。")
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    history = HistoricalRecords(verbose_name=_("档次变更记录"), verbose_name_plural=_("档次变更记录"))

    class Meta:
        verbose_name = _("资助档次")
        verbose_name_plural = _("资助档次")
        ordering = ["program_id", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="tier_code_unique_per_program"),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="tier_amount_non_negative",
                violation_error_code=ProgramErrorCode.NEGATIVE_AMOUNT,
                violation_error_message=_("金额不能为负数"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.amount:,.0f}元）"


HISTORY_FIELD_LABELS = {
    "history_id": _("记录编号"),
    "history_date": _("变更时间"),
    "history_change_reason": _("变更原因"),
    "history_type": _("变更类型"),
    "history_user": _("操作人"),
}


def _label_history_fields(history_model: type[models.Model]) -> None:
    """Give the change-record columns simple-history adds (named only in English) their Chinese captions, and a
    Chinese title to each record (its own reads "<tier> as of <UTC time>")."""
    for name, label in HISTORY_FIELD_LABELS.items():
        history_model._meta.get_field(name).verbose_name = label

    def __str__(self) -> str:
        return f"{self.name}（{timezone.localtime(self.history_date):%Y-%m-%d %H:%M} 的版本）"

    history_model.__str__ = __str__


_label_history_fields(Tier.history.model)


class MaterialTemplate(models.TextChoices):
    """The document the portal provides for a material: a template to fill in, or the generated 申报书 to stamp."""

    NONE = "", _("无")
    COMMITMENT = "commitment", _("申报承诺书模板（按单位填好名称和信用代码）")
    APPLICATION_FORM = "application_form", _("系统生成的申报书（打印、签字盖章后上传）")


class AttachmentRequirement(models.Model):
    """A kind of attachment a program asks for (e.g. 认证证书扫描件).

    ``template`` names the document the portal offers for it: the 申报承诺书 template, or the application's own
    generated 申报书, which the program may require back signed by the legal representative and stamped.
    """

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="attachment_requirements", verbose_name=_("资助项目")
    )
    kind = models.SlugField(_("材料代码"), max_length=40, help_text=_("英文小写与连字符，例如 certificate。"))
    name = models.CharField(_("材料名称"), max_length=100)
    help_text = models.CharField(_("填写说明"), max_length=300, blank=True)
    is_required = models.BooleanField(_("必须提交"), default=True)
    template = models.CharField(
        _("配套模板"),
        max_length=30,
        choices=MaterialTemplate.choices,
        default=MaterialTemplate.NONE,
        blank=True,
        help_text=_("申报人在上传处可下载的模板；选“系统生成的申报书”即要求上传签字盖章的申报书。"),
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("申报材料要求")
        verbose_name_plural = _("申报材料要求")
        ordering = ["program_id", "sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["program", "kind"], name="attachment_kind_unique_per_program")]

    def __str__(self) -> str:
        return self.name


class FieldType(models.TextChoices):
    TEXT = "text", _("单行文本")
    TEXTAREA = "textarea", _("多行文本")
    INTEGER = "integer", _("整数")
    DECIMAL = "decimal", _("数字（可含小数）")
    DATE = "date", _("日期")
    CHOICE = "choice", _("单选")
    BOOLEAN = "boolean", _("是/否")


class FormField(models.Model):
    """An extra question a program asks on its application form."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="form_fields", verbose_name=_("资助项目")
    )
    name = models.SlugField(_("字段代码"), max_length=40, help_text=_("英文小写与下划线，例如 annual_revenue。"))
    label = models.CharField(_("字段名称"), max_length=100)
    field_type = models.CharField(_("类型"), max_length=20, choices=FieldType.choices, default=FieldType.TEXT)
    is_required = models.BooleanField(_("必填"), default=True)
    help_text = models.CharField(_("填写说明"), max_length=300, blank=True)
    choices = models.TextField(_("选项"), blank=True, help_text=_("单选时每行一个选项。"))
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("申报表字段")
        verbose_name_plural = _("申报表字段")
        ordering = ["program_id", "sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="form_field_name_unique_per_program")]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.field_type == FieldType.CHOICE and not self.choice_list:
            raise ValidationError(
                {"choices": ValidationError(_("单选字段至少需要一个选项"), code=ProgramErrorCode.CHOICES_REQUIRED)}
            )

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class ScoringCriterion(models.Model):
    """A weighted criterion experts score a 评审制 application against."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="scoring_criteria", verbose_name=_("资助项目")
    )
    name = models.CharField(_("评分项"), max_length=100)
    description = models.CharField(_("评分说明"), max_length=300, blank=True)
    weight = models.DecimalField(_("权重（%）"), max_digits=5, decimal_places=2, validators=[validate_non_negative])
    max_score = models.PositiveSmallIntegerField(_("满分"), default=100)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评分标准")
        verbose_name_plural = _("评分标准")
        ordering = ["program_id", "sort_order", "pk"]

    def __str__(self) -> str:
        return f"{self.name}（{self.weight}%）"


class VerificationItem(models.Model):
    """An item of a 核准制 program's verification checklist (核实), e.g. 证书真实有效.

    The intake officer records each item as passed or failed for each application; approval needs all passed.
    """

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="verification_items", verbose_name=_("资助项目")
    )
    text = models.CharField(_("核实事项"), max_length=200)
    help_text = models.CharField(_("核实说明"), max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("核实事项")
        verbose_name_plural = _("核实事项")
        ordering = ["program_id", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "text"],
                name="verification_item_text_unique_per_program",
                violation_error_code=ProgramErrorCode.VERIFICATION_ITEM_EXISTS,
                violation_error_message=_("该项目已有相同的核实事项"),
            )
        ]

    def __str__(self) -> str:
        return self.text


class CallQuerySet(models.QuerySet["Call"]):
    def open_at(self, moment: datetime) -> "CallQuerySet":
        return self.filter(opens_at__lte=moment, closes_at__gt=moment)

    def open_now(self) -> "CallQuerySet":
        return self.open_at(timezone.now())

    def visible(self) -> "CallQuerySet":
        """Calls the public may see: open, upcoming and recently closed ones."""
        return self.filter(is_published=True)


class Call(models.Model):
    """A call for applications (申报批次): a year, a window, the rule set it uses and the programs it covers."""

    rule_set = models.ForeignKey(
        RuleSet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("规则集"),
        help_text=_("本批次适用的规则集，申报项目须属于该规则集；留空时为操作规程（征求意见稿）规则集。"),
    )
    year = models.PositiveSmallIntegerField(_("资助年度"))
    title = models.CharField(_("批次名称"), max_length=200)
    programs = models.ManyToManyField(Program, related_name="calls", verbose_name=_("申报项目"))
    opens_at = models.DateTimeField(_("开始申报时间"), help_text=_("北京时间，例如 09:00。"))
    closes_at = models.DateTimeField(
        _("截止申报时间"), help_text=_("北京时间，精确到秒；截止后不能再提交，例如 18:00。")
    )
    publicity_working_days = models.PositiveSmallIntegerField(
        _("公示期（工作日）"), default=5, help_text=_("公示首日计入，法定节假日顺延、调休工作日计入。")
    )
    correction_working_days = models.PositiveSmallIntegerField(
        _("补正期限（工作日）"),
        default=10,
        help_text=_("退回补正时建议的截止日期：自退回次日起的工作日数，受理员可修改。"),
    )
    report_due_months = models.PositiveSmallIntegerField(
        _("绩效报告期限（月）"), default=12, help_text=_("自拨付之日起计算。")
    )
    description = models.TextField(_("批次说明"), blank=True)
    is_published = models.BooleanField(_("对外发布"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = CallQuerySet.as_manager()
    history = HistoricalRecords(verbose_name=_("申报批次变更记录"), verbose_name_plural=_("申报批次变更记录"))

    class Meta:
        verbose_name = _("申报批次")
        verbose_name_plural = _("申报批次")
        ordering = ["-year", "-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="call_closes_after_opens",
                violation_error_code=ProgramErrorCode.CALL_CLOSES_BEFORE_OPENS,
                violation_error_message=_("截止时间必须晚于开始时间"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        if self.rule_set_id is None:
            self.rule_set = RuleSet.draft()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("programs:call_detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError(
                {
                    "closes_at": ValidationError(
                        _("截止时间必须晚于开始时间"), code=ProgramErrorCode.CALL_CLOSES_BEFORE_OPENS
                    )
                }
            )

    def is_open_at(self, moment: datetime) -> bool:
        return self.opens_at <= moment < self.closes_at

    @property
    def is_open(self) -> bool:
        return self.is_open_at(timezone.now())

    @property
    def status_label(self) -> str:
        now = timezone.now()
        if now < self.opens_at:
            return str(_("未开始"))
        if now < self.closes_at:
            return str(_("申报中"))
        return str(_("已截止"))


class ProgramBudget(models.Model):
    """The annual budget (年度资助总额) of one program in one year."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="budgets", verbose_name=_("资助项目"))
    year = models.PositiveSmallIntegerField(_("年度"))
    amount = money_field(_("年度资助总额（元）"))

    history = HistoricalRecords(verbose_name=_("年度预算变更记录"), verbose_name_plural=_("年度预算变更记录"))

    class Meta:
        verbose_name = _("项目年度预算")
        verbose_name_plural = _("项目年度预算")
        ordering = ["-year", "program__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "year"],
                name="budget_unique_per_program_year",
                violation_error_code=ProgramErrorCode.BUDGET_EXISTS,
                violation_error_message=_("该项目该年度的预算已存在"),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="budget_amount_non_negative",
                violation_error_code=ProgramErrorCode.NEGATIVE_AMOUNT,
                violation_error_message=_("金额不能为负数"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.program.code}：{self.amount:,.2f}元"


class OrganisationAnnualCap(models.Model):
    """The optional monetary cap per organisation and year across the whole fund (off unless a row exists)."""

    year = models.PositiveSmallIntegerField(
        _("年度"), unique=True, error_messages={"unique": _("该年度的单位资助上限已设置")}
    )
    amount = models.DecimalField(
        _("每单位年度资助上限（元）"),
        max_digits=14,
        decimal_places=2,
        validators=[validate_non_negative],
        help_text=_("同一单位同一年度在本专项获得资助的总额上限，例如 1200000。"),
    )

    history = HistoricalRecords(verbose_name=_("单位年度上限变更记录"), verbose_name_plural=_("单位年度上限变更记录"))

    class Meta:
        verbose_name = _("单位年度资助上限")
        verbose_name_plural = _("单位年度资助上限")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="organisation_cap_non_negative",
                violation_error_code=ProgramErrorCode.NEGATIVE_AMOUNT,
                violation_error_message=_("金额不能为负数"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年：{self.amount:,.2f}元"
