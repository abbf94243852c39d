"""Allocation runs in the admin: start a run for a call, watch its progress, read the totals per program."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from allocations.models import AllocationLine, AllocationProgramResult, AllocationRun, CapSweep, CapSweepChange
from allocations.services import compare_with_previous, current_progress, may_allocate, start_allocation
from core.admin import ReadOnlyAdminMixin
from core.exceptions import Conflict
from programs.models import Call


class StartAllocationForm(forms.Form):
    call = forms.ModelChoiceField(
        label=_("申报批次"),
        queryset=Call.objects.order_by("-year", "-opens_at"),
        help_text=_("对该批次所有“拟资助”的申报先复核上限，再按各项目年度资助总额足额或折算分配。公示开始后金额锁定。"),
    )


class ProgramResultInline(admin.TabularInline):
    model = AllocationProgramResult
    extra = 0
    can_delete = False
    fields = (
        "program",
        "application_count",
        "budget",
        "frozen_elsewhere",
        "requested_total",
        "standard_total",
        "allocated_total",
        "factor",
        "fully_funded",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AllocationRun)
class AllocationRunAdmin(admin.ModelAdmin):
    list_display = ("number", "call", "status", "total", "started_by", "started_at", "finished_at")
    list_filter = ("status", "call")
    list_select_related = ("call", "started_by")

    @admin.display(description=_("编号"), ordering="pk")
    def number(self, obj) -> str:
        # The call has its own column: the first column stays short enough not to wrap at 1366 px.
        return f"#{obj.pk}"

    inlines = (ProgramResultInline,)
    readonly_fields = (
        "call",
        "status",
        "progress",
        "total",
        "started_by",
        "started_at",
        "finished_at",
        "error",
        "cap_sweep",
    )
    change_form_template = "admin/allocations/allocationrun/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_allocate(request.user)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        """Start a run for a call (a form with the call only), then show its page."""
        if not may_allocate(request.user):
            raise PermissionDenied
        form = StartAllocationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                run = start_allocation(call=form.cleaned_data["call"], actor=request.user)
            except Conflict as error:
                form.add_error("call", error.message)
            else:
                self.message_user(request, _("已开始资金分配。"), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:allocations_allocationrun_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("运行资金分配"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/allocations/allocationrun/start.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        run = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if run is not None:
            extra.update(
                run=run,
                progress=current_progress(run),
                results=run.programs.select_related("program"),
                comparison=compare_with_previous(run) if run.status == "done" else None,
                # The decision pack (dashboard:decision_pack) is for the approver and the administrator.
                may_download_pack=may_allocate(request.user),
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)


@admin.register(AllocationLine)
class AllocationLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("application", "program", "claimed_amount", "standard_amount", "allocated_amount", "reason")
    list_filter = ("run", "program")
    search_fields = ("application__reference", "application__organisation__name")
    list_select_related = ("application", "program")


class SweepChangeInline(admin.TabularInline):
    model = CapSweepChange
    extra = 0
    can_delete = False
    fields = ("application", "standard_before", "standard_after", "reason")
    readonly_fields = fields


@admin.register(CapSweep)
class CapSweepAdmin(admin.ModelAdmin):
    list_display = ("__str__", "call", "checked", "changed", "run_by", "ran_at")
    list_filter = ("call",)
    inlines = (SweepChangeInline,)
    readonly_fields = ("call", "checked", "changed", "run_by", "ran_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
