from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicityConfig(AppConfig):
    name = "publicity"
    verbose_name = _("公示与异议")

    def ready(self) -> None:
        # Deadlines counted below publicity (a return's default due date) use the same override rows.
        from core.calendar import register_overrides
        from publicity.calendar import holiday_overrides

        register_overrides(holiday_overrides)
