"""Publicity in the admin: open a notice for a call, read notices and entries, decide objections, edit overrides.

State changes go through the services only: the notice and objection pages are read-only, with buttons that lead to
short forms calling ``open_publicity_notice`` and ``decide_objection``.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from core.exceptions import Conflict
from publicity.forms import DecisionForm, OpenNoticeForm
from publicity.models import HolidayOverride, Objection, PublicityEntry, PublicityNotice
from publicity.selectors import objections_visible_to
from publicity.services import decide_objection, may_manage_publicity, open_publicity_notice


def _apply_service_error(form: object, error: ValidationError, field: str) -> None:
    """Put a service's error on the form: its own fields where the form has them, else on ``field``."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else field, errors)
    else:
        form.add_error(field, error)


class EntryInline(admin.TabularInline):
    model = PublicityEntry
    extra = 0
    can_delete = False
    fields = ("row_number", "application", "organisation_name", "program_code", "program_name", "amount")
    readonly_fields = fields

    @admin.display(description=_("序号"))
    def row_number(self, entry: PublicityEntry) -> int:
        """The list's own numbering from 1 (``position`` is stored from 0)."""
        return entry.position + 1

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PublicityNotice)
class PublicityNoticeAdmin(admin.ModelAdmin):
    list_display = ("title", "call", "starts_on", "ends_on", "provisional", "working_days", "opened_by", "closed_at")
    list_filter = ("call", "provisional")
    search_fields = ("title", "entries__organisation_name")
    list_select_related = ("call", "opened_by")
    date_hierarchy = "starts_on"
    inlines = (EntryInline,)
    readonly_fields = (
        "call",
        "title",
        "opened_by",
        "opened_at",
        "starts_on",
        "ends_on",
        "provisional",
        "working_days",
        "closed_at",
    )
    change_list_template = "admin/publicity/publicitynotice/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # notices are opened through the "open a notice" view, which calls the service

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path("open/", self.admin_site.admin_view(self.open_view), name="publicity_publicitynotice_open"),
        ]
        return custom + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra = {**(extra_context or {}), "may_open_notice": may_manage_publicity(request.user)}
        return super().changelist_view(request, extra_context=extra)

    def open_view(self, request: HttpRequest) -> HttpResponse:
        """Open a notice for a call (approvers): a form with the call and an optional title."""
        if not may_manage_publicity(request.user):
            raise PermissionDenied
        form = OpenNoticeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                notice = open_publicity_notice(
                    call=form.cleaned_data["call"], actor=request.user, title=form.cleaned_data["title"]
                )
            except ValidationError as error:
                _apply_service_error(form, error, "call")
            except Conflict as error:
                form.add_error("call", error.message)
            else:
                self.message_user(
                    request,
                    _("公示已发布：%(n)d项申报列入公示，截止%(end)s。")
                    % {"n": notice.entries.count(), "end": f"{notice.ends_on:%Y-%m-%d}"},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:publicity_publicitynotice_change", args=[notice.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("发布公示"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/publicity/publicitynotice/open.html", context)


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "notice", "entry", "name", "organisation", "phone", "status", "submitted_at")
    list_filter = ("status", "notice")
    search_fields = ("name", "organisation", "phone", "entry__organisation_name")
    list_select_related = ("notice", "entry")
    readonly_fields = (
        "notice",
        "entry",
        "name",
        "organisation",
        "phone",
        "content",
        "letter_link",
        "submitted_at",
        "ip_hash",
        "status",
        "decided_by",
        "decided_at",
        "decision_reason",
    )
    fields = readonly_fields
    change_form_template = "admin/publicity/objection/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Objection]:
        return objections_visible_to(request.user)

    @admin.display(description=_("加盖公章的异议书"))
    def letter_link(self, obj: Objection) -> str:
        if not obj.letter:
            return "—"
        url = reverse("admin:publicity_objection_letter", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.letter_name or _("下载"))

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:pk>/decide/<str:outcome>/",
                self.admin_site.admin_view(self.decide_view),
                name="publicity_objection_decide",
            ),
            path("<int:pk>/letter/", self.admin_site.admin_view(self.letter_view), name="publicity_objection_letter"),
        ]
        return custom + super().get_urls()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        extra["may_decide"] = obj is not None and obj.is_open and may_manage_publicity(request.user)
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def decide_view(self, request: HttpRequest, pk: int, outcome: str) -> HttpResponse:
        """Uphold or dismiss an objection with a reason (approvers), through ``decide_objection``."""
        if outcome not in ("uphold", "dismiss"):
            raise Http404
        if not may_manage_publicity(request.user):
            raise PermissionDenied
        objection = get_object_or_404(self.get_queryset(request), pk=pk)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                decide_objection(
                    objection=objection,
                    actor=request.user,
                    uphold=outcome == "uphold",
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                _apply_service_error(form, error, "reason")
            except Conflict as error:
                self.message_user(request, error.message, messages.ERROR)
                return HttpResponseRedirect(reverse("admin:publicity_objection_change", args=[objection.pk]))
            else:
                done = _("已认定异议成立，相关申报已撤销。") if outcome == "uphold" else _("已认定异议不成立。")
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:publicity_objection_change", args=[objection.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("认定异议成立") if outcome == "uphold" else _("认定异议不成立"),
            "form": form,
            "objection": objection,
            "outcome": outcome,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/publicity/objection/decide.html", context)

    def letter_view(self, request: HttpRequest, pk: int) -> FileResponse:
        """Serve an objection's letter to staff who may see objections (never from a public URL)."""
        objection = get_object_or_404(self.get_queryset(request), pk=pk)
        if not objection.letter:
            raise Http404
        response = FileResponse(objection.letter.open("rb"), content_type=objection.letter_content_type)
        response["Content-Disposition"] = content_disposition_header(False, objection.letter_name or "letter")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "is_working_day", "note")
    list_filter = ("is_working_day",)
    search_fields = ("note",)
    date_hierarchy = "date"
