"""Performance evaluation (绩效评价, SPEC §4): reports against declared targets, grades, clawbacks.

Sanctions (失信惩戒) live in ``accounts`` because eligibility check E4 reads them; this app creates them.
Every write goes through ``evaluations/services.py``.
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Sanction
from applications.models import Application, PerformanceTarget


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("待提交")
    SUBMITTED = "submitted", _("已提交（待评价）")
    GRADED = "graded", _("已评价")
    OVERDUE = "overdue", _("已逾期")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    QUALIFIED = "qualified", _("合格")
    FAILED = "failed", _("不合格")


PASSING_GRADES = (Grade.EXCELLENT, Grade.GOOD, Grade.QUALIFIED)
# The applicant may (re)submit until the report is graded; a late report is still taken.
EDITABLE_REPORT_STATUSES = (ReportStatus.PENDING, ReportStatus.SUBMITTED, ReportStatus.OVERDUE)


class PerformanceReportQuerySet(models.QuerySet["PerformanceReport"]):
    def with_list_data(self) -> "PerformanceReportQuerySet":
        return self.select_related("application__organisation", "application__program", "application__call")

    def awaiting_grade(self) -> "PerformanceReportQuerySet":
        return self.filter(status=ReportStatus.SUBMITTED)


class PerformanceReport(models.Model):
    """The applicant's performance report (绩效报告) after payout, one per application."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="performance_report", verbose_name=_("申报")
    )
    due_on = models.DateField(_("提交截止日期"), help_text=_("拨付之日起按批次（或项目）的绩效报告期限计算。"))
    status = models.CharField(
        _("状态"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.PENDING, db_index=True
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提交人"),
    )
    grade = models.CharField(_("评价等级"), max_length=20, choices=Grade.choices, blank=True)
    grade_comment = models.TextField(_("评价意见"), blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("评价人"),
    )
    graded_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("到期提醒时间"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("逾期标记时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PerformanceReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("绩效报告")
        verbose_name_plural = _("绩效报告")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(status="graded") | ~Q(grade=""), name="graded_report_has_grade"),
        ]

    def __str__(self) -> str:
        return f"{self.application} 绩效报告"

    def get_absolute_url(self) -> str:
        return reverse("evaluations:report", kwargs={"pk": self.application_id})

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_REPORT_STATUSES

    @property
    def is_passed(self) -> bool:
        return self.grade in PASSING_GRADES


class ReportTargetResult(models.Model):
    """What was achieved against one declared performance target, and why."""

    report = models.ForeignKey(
        PerformanceReport, on_delete=models.CASCADE, related_name="results", verbose_name=_("绩效报告")
    )
    target = models.ForeignKey(
        PerformanceTarget, on_delete=models.PROTECT, related_name="results", verbose_name=_("绩效目标")
    )
    achieved = models.CharField(_("实际完成值"), max_length=100)
    explanation = models.TextField(_("完成情况说明"))

    class Meta:
        verbose_name = _("绩效目标完成情况")
        verbose_name_plural = _("绩效目标完成情况")
        ordering = ["report", "target__position", "target__pk"]
        constraints = [models.UniqueConstraint(fields=["report", "target"], name="one_result_per_report_target")]

    def __str__(self) -> str:
        return f"{self.target.indicator}：{self.achieved}"


def report_attachment_path(instance: "ReportAttachment", filename: str) -> str:
    """Store under an unguessable private name; the original name is kept on the row only."""
    suffix = PurePosixPath(filename).suffix.lower()
    return f"private/evaluations/{instance.report_id}/{uuid.uuid4().hex}{suffix}"


class ReportAttachment(models.Model):
    """Supporting evidence for a performance report, stored privately and served only after a permission check."""

    report = models.ForeignKey(
        PerformanceReport, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("绩效报告")
    )
    file = models.FileField(_("文件"), upload_to=report_attachment_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=50)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("绩效报告附件")
        verbose_name_plural = _("绩效报告附件")
        ordering = ["report", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("evaluations:attachment", kwargs={"pk": self.report.application_id, "attachment_pk": self.pk})


class ClawbackQuerySet(models.QuerySet["Clawback"]):
    def open(self) -> "ClawbackQuerySet":
        return self.filter(repaid_at__isnull=True)


class Clawback(models.Model):
    """Funds to be returned after a failed evaluation or fraud (追回资金)."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="clawbacks", verbose_name=_("申报")
    )
    amount = models.DecimalField(_("追回金额（元）"), max_digits=14, decimal_places=2)
    due_on = models.DateField(_("退回截止日期"))
    reason = models.TextField(_("追回原因"))
    sanction = models.ForeignKey(
        Sanction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("失信惩戒")
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    opened_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    repaid_at = models.DateTimeField(_("退回登记时间"), null=True, blank=True)
    repaid_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("退回登记人"),
    )

    objects = ClawbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("资金追回")
        verbose_name_plural = _("资金追回")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="clawback_amount_positive"),
            models.UniqueConstraint(
                fields=["application"], condition=Q(repaid_at__isnull=True), name="one_open_clawback_per_application"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} 追回 {self.amount} 元"

    @property
    def is_repaid(self) -> bool:
        return self.repaid_at is not None
