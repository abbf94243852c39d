from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
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
    fields = ("code", "name", "amount", "tier_group", "sort_order")


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
        "clause",
        "review_track",
        "amount_rule",
        "unit_amount",
        "max_units_per_year",
        "is_active",
    )
    list_display_links = ("code", "name")
    list_filter = ("direction", "review_track", "amount_rule", "is_active")
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


@admin.register(Call)
class CallAdmin(SimpleHistoryAdmin):
    form = CallAdminForm
    list_display = ("title", "year", "opens_at", "closes_at", "status_label", "is_published")
    list_filter = ("year", "is_published")
    search_fields = ("title",)
    actions = ("clone_selected_for_next_year",)
    fieldsets = (
        (None, {"fields": ("year", "title", "description", "is_published")}),
        (_("申报时间"), {"fields": ("opens_at", "closes_at")}),
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
