from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllocationsConfig(AppConfig):
    name = "allocations"
    verbose_name = _("资金分配")

    def ready(self) -> None:
        # The audit verifier (applications) checks the allocated amount through this check: applications may
        # not import allocations.
        from allocations.audit import check_allocated_amounts
        from applications.audit_heads import register_check

        register_check(check_allocated_amounts)
