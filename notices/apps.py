from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("资助通知书")

    def ready(self) -> None:
        # The application's API read body gives the notice's verify URL as the notice prints it.
        from applications.selectors import register_verify_url
        from notices.services import verify_url

        register_verify_url(verify_url)
