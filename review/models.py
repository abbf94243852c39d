"""Review: expert assignments (scores, checks, publicity and objections come with the review issue)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExpertAssignment(models.Model):
    """An expert assigned to score one 评审制 application."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="expert_assignments", verbose_name=_("申报")
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="expert_assignments",
        verbose_name=_("评审专家"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, verbose_name=_("分配人")
    )
    assigned_at = models.DateTimeField(_("分配时间"), auto_now_add=True)
    no_conflict_confirmed_at = models.DateTimeField(_("确认无利益冲突时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("专家分配")
        verbose_name_plural = _("专家分配")
        constraints = [
            models.UniqueConstraint(fields=["application", "expert"], name="one_assignment_per_expert_and_application")
        ]

    def __str__(self) -> str:
        return f"{self.application} → {self.expert}"
