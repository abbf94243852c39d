"""Review: the verification checklist (核实) and expert review (专家评审): assignments and scores."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class VerificationCheck(models.Model):
    """The intake officer's finding on one checklist item of one 核准制 application."""

    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.CASCADE,
        related_name="verification_checks",
        verbose_name=_("申报"),
    )
    item = models.ForeignKey(
        "programs.VerificationItem", on_delete=models.PROTECT, related_name="checks", verbose_name=_("核实事项")
    )
    passed = models.BooleanField(_("核实通过"), default=False)
    note = models.TextField(_("核实意见"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("核实人")
    )
    checked_at = models.DateTimeField(_("核实时间"))

    class Meta:
        verbose_name = _("核实记录")
        verbose_name_plural = _("核实记录")
        ordering = ["application", "item__sort_order", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "item"], name="one_check_per_application_and_item")
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.item}：{'通过' if self.passed else '未通过'}"


class ExpertAssignmentQuerySet(models.QuerySet["ExpertAssignment"]):
    def submitted(self) -> "ExpertAssignmentQuerySet":
        return self.filter(submitted_at__isnull=False)


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
    submitted_at = models.DateTimeField(_("提交评分时间"), null=True, blank=True)

    objects = ExpertAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("专家分配")
        verbose_name_plural = _("专家分配")
        ordering = ["-assigned_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "expert"], name="one_assignment_per_expert_and_application"),
            # Scores are given only after the expert has declared no conflict of interest.
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | Q(no_conflict_confirmed_at__isnull=False),
                name="assignment_submitted_after_confirmation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} → {self.expert}"

    @property
    def is_confirmed(self) -> bool:
        return self.no_conflict_confirmed_at is not None

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class ExpertScore(models.Model):
    """One expert's score and comment on one criterion; final once the assignment is submitted."""

    assignment = models.ForeignKey(
        ExpertAssignment, on_delete=models.CASCADE, related_name="scores", verbose_name=_("专家分配")
    )
    criterion = models.ForeignKey(
        "programs.ScoringCriterion", on_delete=models.PROTECT, related_name="expert_scores", verbose_name=_("评分项")
    )
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("评语"), blank=True)

    class Meta:
        verbose_name = _("专家评分")
        verbose_name_plural = _("专家评分")
        ordering = ["assignment", "criterion__sort_order", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "criterion"], name="one_score_per_assignment_and_criterion"),
            models.CheckConstraint(condition=Q(score__gte=0), name="expert_score_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.name}：{self.score}"


class ReturnReasonPreset(models.Model):
    """A ready-made reason for 退回补正 that intake officers pick and edit (kept in the admin)."""

    text = models.CharField(_("退回原因"), max_length=300, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("常用退回原因")
        verbose_name_plural = _("常用退回原因")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.text


class ScoreMean(models.TextChoices):
    """How the approval rule averages the experts' totals (review.rules.panel_mean)."""

    PLAIN = "plain", _("算术平均")
    NORMALISED = "normalised", _("按专家标准化后平均")


class ReviewPolicy(models.Model):
    """Per program: how the approval rule averages the experts' totals (default: the plain mean)."""

    program = models.OneToOneField(
        "programs.Program", on_delete=models.CASCADE, related_name="review_policy", verbose_name=_("资助项目")
    )
    score_mean = models.CharField(
        _("评审得分计算方式"),
        max_length=20,
        choices=ScoreMean.choices,
        default=ScoreMean.PLAIN,
        help_text=_(
            "按专家标准化：先按每位专家在本项目全部评分的均值和离散程度换算，再求平均，减少打分松紧不一的影响。"
        ),
    )

    class Meta:
        verbose_name = _("评审设置")
        verbose_name_plural = _("评审设置")

    def __str__(self) -> str:
        return str(self.program)
