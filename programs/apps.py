from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("资助项目与申报批次")

    def ready(self) -> None:
        from programs.selectors import connect_config_signals
        from programs.signals import connect_rule_set_signals

        connect_config_signals()
        connect_rule_set_signals()
