"""Staff UI of performance evaluation: grade reports and record repayments, only through the services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from accounts.roles import APPROVER, FINANCE, user_has_role
from core.admin import ReadOnlyAdminMixin
from core.exceptions import Conflict
from evaluations import selectors, services
from evaluations.forms import GradeForm
from evaluations.models import Clawback, PerformanceReport, ReportAttachment, ReportStatus, ReportTargetResult

GRADEABLE = (ReportStatus.SUBMITTED, ReportStatus.OVERDUE)


def _apply_service_error(form: GradeForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for key, errors in error.error_dict.items():
            field = {"amount": "clawback_amount"}.get(key, key)
            for item in errors:
                form.add_error(field if field in form.fields else None, item)
    else:
        form.add_error(None, error)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ResultInline(ReadOnlyInline):
    model = ReportTargetResult
    fields = ("indicator", "target_value", "achieved", "explanation")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReportTargetResult]:
        return super().get_queryset(request).select_related("target")

    @admin.display(description=_("指标"))
    def indicator(self, obj: ReportTargetResult) -> str:
        return obj.target.indicator

    @admin.display(description=_("目标值"))
    def target_value(self, obj: ReportTargetResult) -> str:
        return f"{obj.target.target}{obj.target.unit}"


class AttachmentInline(ReadOnlyInline):
    model = ReportAttachment
    fields = ("download", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    @admin.display(description=_("文件"))
    def download(self, obj: ReportAttachment) -> str:
        url = reverse("admin:evaluations_performancereport_attachment", args=[obj.report_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


@admin.register(PerformanceReport)
class PerformanceReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("application", "organisation", "program", "due_on", "status", "grade", "submitted_at", "graded_at")
    list_filter = ("status", "grade", "application__program", "application__call")
    search_fields = ("application__reference", "application__organisation__name", "application__organisation__uscc")
    list_select_related = ("application__organisation", "application__program")
    date_hierarchy = "due_on"
    readonly_fields = (
        "application",
        "due_on",
        "status",
        "submitted_at",
        "submitted_by",
        "grade",
        "grade_comment",
        "graded_by",
        "graded_at",
        "reminded_at",
        "overdue_at",
    )
    fields = readonly_fields
    inlines = (ResultInline, AttachmentInline)
    change_form_template = "admin/evaluations/performancereport/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[PerformanceReport]:
        return selectors.reports_visible_to(request.user)

    @admin.display(description=_("申报单位"), ordering="application__organisation__name")
    def organisation(self, obj: PerformanceReport) -> str:
        return obj.application.organisation.name

    @admin.display(description=_("资助项目"))
    def program(self, obj: PerformanceReport) -> str:
        return obj.application.program.name

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:pk>/grade/",
                self.admin_site.admin_view(self.grade_view),
                name="evaluations_performancereport_grade",
            ),
            path(
                "<int:pk>/attachments/<int:attachment_pk>/",
                self.admin_site.admin_view(self.attachment_view),
                name="evaluations_performancereport_attachment",
            ),
        ]
        return custom + super().get_urls()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        extra["may_grade"] = obj is not None and obj.status in GRADEABLE and selectors.may_review(request.user)
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def grade_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Grade a report through ``grade_report`` (intake officers pass; approvers pass or fail)."""
        if not selectors.may_review(request.user):
            raise PermissionDenied
        report = get_object_or_404(self.get_queryset(request), pk=pk)
        back = HttpResponseRedirect(reverse("admin:evaluations_performancereport_change", args=[report.pk]))
        form = GradeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.grade_report(
                    report=report,
                    actor=request.user,
                    grade=data["grade"],
                    comment=data["comment"],
                    clawback_amount=data["clawback_amount"],
                    clawback_due_on=data["clawback_due_on"],
                    sanction_ends_on=data["sanction_ends_on"],
                )
            except ValidationError as error:
                _apply_service_error(form, error)
            except PermissionDenied:
                form.add_error("grade", _("评价为不合格将追回资金并限制申报，须由审定人作出。"))
            except Conflict as error:
                self.message_user(request, error.message, messages.ERROR)
                return back
            else:
                self.message_user(request, _("已保存绩效评价结果。"), messages.SUCCESS)
                return back
        context = {
            **self.admin_site.each_context(request),
            "title": _("绩效评价"),
            "form": form,
            "report": report,
            "results": report.results.select_related("target"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/evaluations/performancereport/grade.html", context)

    def attachment_view(self, request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
        """Serve a report attachment to staff who may see the report (never from a public URL)."""
        report = get_object_or_404(self.get_queryset(request), pk=pk)
        attachment = get_object_or_404(ReportAttachment, report=report, pk=attachment_pk)
        response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
        response["Content-Disposition"] = content_disposition_header(True, attachment.original_name)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


@admin.register(Clawback)
class ClawbackAdmin(admin.ModelAdmin):
    list_display = ("application", "organisation", "amount", "due_on", "opened_at", "repaid_at")
    list_filter = (("repaid_at", admin.EmptyFieldListFilter), "application__program")
    search_fields = ("application__reference", "application__organisation__name", "application__organisation__uscc")
    list_select_related = ("application__organisation",)
    readonly_fields = (
        "application",
        "amount",
        "due_on",
        "reason",
        "sanction",
        "opened_by",
        "opened_at",
        "repaid_at",
        "repaid_recorded_by",
    )
    fields = readonly_fields
    actions = ("mark_repaid_selected",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Clawback]:
        return selectors.clawbacks_visible_to(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # clawbacks are opened by grading a report 不合格 or by reporting fraud

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_repay_permission(self, request: HttpRequest) -> bool:
        return user_has_role(request.user, APPROVER) or user_has_role(request.user, FINANCE)

    @admin.display(description=_("申报单位"), ordering="application__organisation__name")
    def organisation(self, obj: Clawback) -> str:
        return obj.application.organisation.name

    @admin.action(description=_("登记所选追回款已退回（办结申报）"), permissions=["repay"])
    def mark_repaid_selected(self, request: HttpRequest, queryset: QuerySet[Clawback]) -> None:
        done = 0
        for clawback in queryset:
            try:
                services.record_repayment(clawback=clawback, actor=request.user)
            except Conflict as error:
                self.message_user(request, f"{clawback.application}：{error.message}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, _("已登记 %(n)d 笔追回款退回。") % {"n": done}, messages.SUCCESS)
