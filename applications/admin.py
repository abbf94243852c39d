"""Applications in the admin: a scoped, read-only view for staff (the review workspace comes with the review issue)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from applications.models import Application, ApplicationEvent, ApplicationUnit, Attachment, PerformanceTarget
from applications.selectors import visible_applications


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class UnitInline(ReadOnlyInline):
    model = ApplicationUnit
    fields = ("position", "key", "tier", "claim_amount", "issued_on", "description", "counted_amount", "reason")
    readonly_fields = fields


class TargetInline(ReadOnlyInline):
    model = PerformanceTarget
    fields = ("indicator", "target", "unit")
    readonly_fields = fields


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ("kind", "original_name", "content_type", "size", "sha256", "uploaded_at")
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = ApplicationEvent
    fields = ("at", "name", "from_state", "to_state", "actor", "comment")
    readonly_fields = fields
    ordering = ("at", "pk")


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "organisation",
        "program",
        "state",
        "claimed_amount",
        "standard_amount",
        "allocated_amount",
        "submitted_at",
    )
    list_filter = ("state", "call", "program", "program__review_track", "organisation__district")
    search_fields = ("reference", "organisation__name", "organisation__uscc")
    list_select_related = ("organisation", "program", "call")
    readonly_fields = [f.name for f in Application._meta.fields]
    inlines = (UnitInline, TargetInline, AttachmentInline, EventInline)
    date_hierarchy = "submitted_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        return visible_applications(request.user).select_related("organisation", "program", "call")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


admin.site.empty_value_display = _("—")
