"""The admin's page of API tokens: see who holds which, and revoke them; never create one here."""

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import ApiToken


class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "created", "expiry", "last_used_at", "mfa_verified_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "name")
    fields = ("user", "name", "created", "expiry", "last_used_at", "mfa_verified_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are issued by POST /api/v1/auth/token/, against the password (and a TOTP code)

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False


def register(site: admin.AdminSite) -> None:
    """Show ApiToken in the admin instead of knox's own AuthToken page (that model is swapped out)."""
    from knox.models import AuthToken

    if site.is_registered(AuthToken):
        site.unregister(AuthToken)
    if not site.is_registered(ApiToken):
        site.register(ApiToken, ApiTokenAdmin)
