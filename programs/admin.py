from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import OrganisationType
from core.admin import ReadOnlyAdminMixin
from programs import services
from programs.error_codes import ProgramErrorCode
from programs.models import (
    AmountRule,
    AttachmentRequirement,
    Call,
    FormField,
    OrganisationAnnualCap,
    Program,
    ProgramBudget,
    RuleSet,
    ScoringCriterion,
    Tier,
    VerificationItem,
)


class ProgramAdminForm(forms.ModelForm):
    applicant_types = forms.MultipleChoiceField(
        label=_("可申报单位类型"), choices=OrganisationType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Program
        fields = "__all__"


class TierInline(admin.TabularInline):
    model = Tier
    extra = 0
    fields = ("code", "name", "amount", "is_default_amount", "tier_group", "sort_order")


class TierFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if self.instance.amount_rule != AmountRule.PER_TIER:
            return
        live = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not live:
            raise ValidationError(_("按档次资助的项目至少需要一个档次"), code=ProgramErrorCode.TIERS_REQUIRED)


TierInline.formset = TierFormSet


class AttachmentRequirementInline(admin.TabularInline):
    model = AttachmentRequirement
    extra = 0
    fields = ("kind", "name", "help_text", "is_required", "template", "sort_order")


class FormFieldInline(admin.StackedInline):
    model = FormField
    extra = 0
    fields = (("name", "label", "field_type", "is_required"), "help_text", "choices", "sort_order")


class ScoringCriterionInline(admin.TabularInline):
    model = ScoringCriterion
    extra = 0
    fields = ("name", "description", "weight", "max_score", "sort_order")


class VerificationItemInline(admin.TabularInline):
    model = VerificationItem
    extra = 0
    fields = ("text", "help_text", "sort_order")
    verbose_name_plural = _("核实事项（核准制）")


class ProgramBudgetInline(admin.TabularInline):
    model = ProgramBudget
    extra = 0
    fields = ("year", "amount")


@admin.register(Program)
class ProgramAdmin(SimpleHistoryAdmin):
    form = ProgramAdminForm
    list_display = (
        "code",
        "name",
        "rule_set",
        "clause",
        "review_track",
        "amount_rule",
        "unit_amount",
        "max_units_per_year",
        "amounts_are_defaults",
        "counterpart",
        "is_active",
    )
    list_display_links = ("code", "name")
    list_filter = ("rule_set", "direction", "review_track", "amount_rule", "amounts_are_defaults", "is_active")
    list_select_related = ("rule_set", "counterpart")
    autocomplete_fields = ("counterpart",)

    def view_on_site(self, program: Program) -> str | None:
        """Only an active program has a public page."""
        return program.get_absolute_url() if program.is_active else None

    search_fields = ("code", "name", "clause")
    inlines = (
        TierInline,
        AttachmentRequirementInline,
        FormFieldInline,
        ScoringCriterionInline,
        VerificationItemInline,
        ProgramBudgetInline,
    )
    fieldsets = (
        (None, {"fields": ("code", "name", "clause", "direction", "review_track", "is_active", "sort_order")}),
        (_("规则集"), {"fields": ("rule_set", "counterpart", "amounts_are_defaults", "default_annual_budget")}),
        (_("申报主体"), {"fields": ("applicant_types", "applicant_label", "min_years_established")}),
        (
            _("资助金额与上限"),
            {
                "fields": (
                    "amount_rule",
                    "unit_label",
                    "unit_key_label",
                    "unit_amount",
                    "claim_required",
                    "max_units_per_year",
                    "cap_per_tier_group",
                    "funded_once",
                    "one_tier_per_year",
                )
            },
        ),
        (_("证明材料时间要求"), {"fields": ("evidence_window", "evidence_years")}),
        (_("评审"), {"fields": ("pass_mark", "min_experts")}),
        (_("绩效评价"), {"fields": ("report_required", "report_due_months")}),
        (_("说明文字"), {"fields": ("description", "conditions", "materials", "contact")}),
    )


class CallAdminForm(forms.ModelForm):
    class Meta:
        model = Call
        fields = "__all__"
        widgets = {"programs": forms.CheckboxSelectMultiple}

    def clean(self) -> dict:
        data = super().clean()
        rule_set = data.get("rule_set") or (RuleSet.objects.filter(code="draft-2021").first())
        outside = [p.code for p in data.get("programs") or () if rule_set and p.rule_set_id != rule_set.pk]
        if outside:
            self.add_error(
                "programs",
                ValidationError(
                    _("以下项目不属于本批次的规则集：%(codes)s") % {"codes": "、".join(outside)},
                    code=ProgramErrorCode.PROGRAM_OUTSIDE_RULE_SET,
                ),
            )
        return data


@admin.register(Call)
class CallAdmin(SimpleHistoryAdmin):
    form = CallAdminForm
    list_display = ("title", "year", "rule_set", "opens_at", "closes_at", "status_label", "is_published")
    list_filter = ("year", "rule_set", "is_published")
    search_fields = ("title",)
    actions = ("clone_selected_for_next_year",)
    fieldsets = (
        (None, {"fields": ("year", "title", "description", "is_published")}),
        (_("申报时间"), {"fields": ("opens_at", "closes_at")}),
        (_("规则集"), {"fields": ("rule_set",)}),
        (_("申报项目"), {"fields": ("programs",)}),
        (_("期限"), {"fields": ("publicity_working_days", "correction_working_days", "report_due_months")}),
    )

    @admin.display(description=_("状态"))
    def status_label(self, call: Call) -> str:
        return call.status_label

    @admin.action(description=_("复制到下一年度"), permissions=["add"])
    def clone_selected_for_next_year(self, request: HttpRequest, queryset: QuerySet[Call]) -> None:
        for call in queryset:
            try:
                clone = services.clone_call(call=call, actor=request.user)
            except ValidationError as error:
                self.message_user(request, f"{call}：{' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("已复制为 %(title)s（未发布，请核对时间后发布）") % {"title": clone.title},
                    messages.SUCCESS,
                )


class RuleSetProgramInline(admin.TabularInline):
    """The rule set's programs, each linked to its own page where it is edited."""

    model = Program
    fk_name = "rule_set"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = (
        "code",
        "name",
        "amount_rule",
        "unit_amount",
        "max_units_per_year",
        "default_annual_budget",
        "amounts_are_defaults",
        "counterpart",
        "named_by",
    )
    readonly_fields = fields
    view_on_site = False
    verbose_name_plural = _("规则集中的资助项目（点击进入编辑）")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Program]:
        return super().get_queryset(request).select_related("counterpart").prefetch_related("counterparts_named")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("以本项目为对应项目的"))
    def named_by(self, program: Program) -> str:
        return "、".join(p.code for p in program.counterparts_named.all()) or "—"


@admin.register(RuleSet)
class RuleSetAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "document", "effective_on", "program_count", "defaults_count", "copied_from")
    search_fields = ("name", "code", "document")
    list_select_related = ("copied_from",)
    readonly_fields = ("copied_from", "created_at")
    fields = ("code", "name", "document", "effective_on", "description", "copied_from", "created_at")
    inlines = (RuleSetProgramInline,)
    actions = ("copy_selected",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RuleSet]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_programs=Count("programs", distinct=True),
                n_defaults=Count("programs", filter=Q(programs__amounts_are_defaults=True), distinct=True),
            )
        )

    @admin.display(description=_("项目数"), ordering="n_programs")
    def program_count(self, rule_set: RuleSet) -> int:
        return rule_set.n_programs

    @admin.display(description=_("金额为默认值的项目数"), ordering="n_defaults")
    def defaults_count(self, rule_set: RuleSet) -> int:
        return rule_set.n_defaults

    @admin.action(description=_("复制所选规则集（副本可编辑后用于政策模拟）"), permissions=["add"])
    def copy_selected(self, request: HttpRequest, queryset: QuerySet[RuleSet]) -> None:
        for rule_set in queryset:
            try:
                copy = services.copy_rule_set(rule_set=rule_set, actor=request.user)
            except ValidationError as error:
                self.message_user(request, f"{rule_set}：{' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("已复制为 %(name)s（其中的项目未启用，可逐项修改金额与上限）") % {"name": copy.name},
                    messages.SUCCESS,
                )


@admin.register(ProgramBudget)
class ProgramBudgetAdmin(SimpleHistoryAdmin):
    list_display = ("year", "program", "amount")
    list_filter = ("year", "program")
    list_select_related = ("program",)
    autocomplete_fields = ("program",)


@admin.register(OrganisationAnnualCap)
class OrganisationAnnualCapAdmin(SimpleHistoryAdmin):
    list_display = ("year", "amount")


@admin.register(Tier.history.model)
class TierHistoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """档次变更记录: tiers are edited inside their program's page, so their history gets its own read-only list."""

    list_display = ("history_date", "history_user", "history_type", "program", "code", "name", "amount")
    list_filter = ("history_type", "program")
    search_fields = ("code", "name", "program__code")
    date_hierarchy = "history_date"
    list_select_related = ("history_user", "program")

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("programs.view_tier")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)
