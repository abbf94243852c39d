from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("用户与申报单位")

    def ready(self) -> None:
        from django.contrib import admin

        from accounts import schema, signals  # noqa: F401 - connects the receivers, registers the schema extension
        from accounts.token_admin import register

        register(admin.site)
