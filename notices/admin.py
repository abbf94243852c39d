"""Award notices in the admin: read-only, scoped like applications, with a "regenerate" action for staff."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.roles import user_has_role
from applications.selectors import visible_applications
from core.admin import ReadOnlyAdminMixin
from core.exceptions import Conflict
from notices.models import AwardNotice
from notices.services import REGENERATE_ROLES, regenerate_award_notice


@admin.register(AwardNotice)
class AwardNoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "verification_code",
        "application",
        "organisation",
        "amount",
        "status",
        "generation",
        "rendered_at",
    )
    list_filter = ("status", "application__call", "application__program")
    search_fields = (
        "verification_code",
        "application__reference",
        "application__organisation__name",
        "application__organisation__uscc",
    )
    list_select_related = ("application__organisation", "application__program", "application__call")
    fields = (
        "application",
        "verification_code",
        "status",
        "error",
        "amount",
        "sha256",
        "size",
        "generation",
        "rendered_at",
        "requested_by",
        "links",
        "facts",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("regenerate_selected",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AwardNotice]:
        return (
            super()
            .get_queryset(request)
            .filter(application__in=visible_applications(request.user))
            .select_related(*self.list_select_related, "requested_by")
        )

    @admin.display(description=_("申报单位"), ordering="application__organisation__name")
    def organisation(self, obj: AwardNotice) -> str:
        return obj.application.organisation.name

    @admin.display(description=_("链接"))
    def links(self, obj: AwardNotice) -> str:
        verify = reverse("notices:verify", args=[obj.verification_code])
        if not obj.is_done:
            return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', verify, _("核验页面"))
        download = reverse("notices:download", args=[obj.application_id])
        return format_html(
            '<a href="{}">{}</a> · <a href="{}" target="_blank" rel="noopener">{}</a>',
            download,
            _("下载PDF"),
            verify,
            _("核验页面"),
        )

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_regenerate_permission(self, request: HttpRequest) -> bool:
        return any(user_has_role(request.user, role) for role in REGENERATE_ROLES)

    @admin.action(description=_("重新生成所选资助通知书"), permissions=["regenerate"])
    def regenerate_selected(self, request: HttpRequest, queryset: QuerySet[AwardNotice]) -> None:
        done, failed = 0, []
        for notice in queryset.select_related("application"):
            try:
                regenerate_award_notice(application=notice.application, actor=request.user)
            except (Conflict, PermissionDenied) as error:
                failed.append(f"{notice.application}：{getattr(error, 'message', '') or _('无权操作')}")
            except Exception as error:  # a render error is recorded on the notice; report it and go on
                failed.append(f"{notice.application}：{type(error).__name__}")
            else:
                done += 1
        if done:
            self.message_user(request, _("已重新生成 %(n)d 份资助通知书。") % {"n": done}, messages.SUCCESS)
        for line in failed:
            self.message_user(request, _("未能重新生成：%(line)s") % {"line": line}, messages.ERROR)
