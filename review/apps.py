from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = _("审核与公示")

    def ready(self) -> None:
        # Approval is refused while the review is not done (the checklist, the expert scores). Review sits above
        # applications, so it hands its check to the approve transition rather than being imported by it.
        from applications.services import register_guard
        from review.services import approval_blockers

        register_guard("approve", approval_blockers)
