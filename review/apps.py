from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = _("审核与公示")

    def ready(self) -> None:
        # Approval is refused while the review is not done (the checklist, the expert scores). Review sits above
        # applications, so it hands its check to the approve transition rather than being imported by it.
        from applications.services import register_guard
        from applications.staff_views import register_reason_presets
        from review.services import approval_blockers, return_reason_presets

        register_guard("approve", approval_blockers)
        # The 退回补正 form offers the ready-made reasons staff keep in the admin (ReturnReasonPreset).
        register_reason_presets("return", return_reason_presets)
