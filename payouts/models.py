"""Payout batches (拨付批次), their lines and their event log (SPEC §4 拨付).

Rows are written only by ``payouts/services.py``. A batch is built as a draft by one finance officer and approved
by another; an approved batch is immutable and carries its totals, line count and a checksum of its lines.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from payouts.error_codes import PayoutErrorCode
from programs.models import Call, Program


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("草稿（待复核）")
    APPROVED = "approved", _("已复核")


class LineStatus(models.TextChoices):
    PENDING = "pending", _("待拨付")
    PAID = "paid", _("已到账")
    FAILED = "failed", _("拨付失败")


class PayoutBatch(models.Model):
    """A list of awarded applications to pay through the bank in one go."""

    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, null=True, blank=True, related_name="payout_batches", verbose_name=_("申报批次")
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("资助项目")
    )
    title = models.CharField(_("批次名称"), max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("制单人")
    )
    created_at = models.DateTimeField(_("制单时间"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("复核人"),
    )
    approved_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    # Set from the lines when the batch is built and fixed again at approval (the lines of a draft only change then).
    total_amount = models.DecimalField(_("合计金额（元）"), max_digits=16, decimal_places=2, default=0)
    line_count = models.PositiveIntegerField(_("笔数"), default=0)
    checksum = models.CharField(_("明细校验值（SHA-256）"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("拨付批次")
        verbose_name_plural = _("拨付批次")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # 复核人不得为制单人; an approved batch carries who approved it and its checksum.
            models.CheckConstraint(
                condition=Q(status=BatchStatus.DRAFT)
                | (Q(approved_by__isnull=False) & Q(approved_at__isnull=False) & ~Q(checksum="")),
                name="payout_batch_approved_is_complete",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("created_by")),
                name="payout_batch_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("admin:payouts_payoutbatch_change", args=[self.pk])

    @property
    def is_approved(self) -> bool:
        return self.status == BatchStatus.APPROVED


class PayoutLine(models.Model):
    """One payment of a batch: the award amount and a snapshot of the payee's account when the batch was built."""

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="lines", verbose_name=_("拨付批次"))
    position = models.PositiveIntegerField(_("序号"))
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="payout_lines", verbose_name=_("申报")
    )
    reference = models.CharField(_("申报编号"), max_length=30)
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    payee_name = models.CharField(_("单位名称"), max_length=200)
    payee_uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    bank_name = models.CharField(_("开户银行"), max_length=100)
    bank_account_number = models.CharField(_("银行账号"), max_length=30)
    bank_account_name = models.CharField(_("账户名称"), max_length=200)
    bank_cnaps = models.CharField(_("开户行联行号"), max_length=12, blank=True)
    program_name = models.CharField(_("项目名称"), max_length=200)
    purpose = models.CharField(_("用途"), max_length=300)
    status = models.CharField(_("状态"), max_length=10, choices=LineStatus.choices, default=LineStatus.PENDING)
    voucher_no = models.CharField(_("银行凭证号"), max_length=60, blank=True)
    paid_on = models.DateField(_("到账日期"), null=True, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_at = models.DateTimeField(_("登记时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("拨付明细")
        verbose_name_plural = _("拨付明细")
        ordering = ["batch", "position"]
        constraints = [
            # SPEC §4: an application can be in at most one non-failed line (partial unique index).
            models.UniqueConstraint(
                fields=["application"],
                condition=~Q(status=LineStatus.FAILED),
                name="one_live_payout_line_per_application",
                violation_error_code=PayoutErrorCode.ALREADY_IN_BATCH,
            ),
            models.UniqueConstraint(fields=["batch", "position"], name="payout_line_position_unique"),
            models.UniqueConstraint(fields=["batch", "application"], name="payout_line_application_once_per_batch"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_line_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status=LineStatus.PAID) | (~Q(voucher_no="") & Q(paid_on__isnull=False)),
                name="payout_line_paid_has_voucher",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}-{self.position} {self.payee_name}"


EVENT_LABELS = {
    "create": _("制单"),
    "approve": _("复核通过"),
    "export": _("导出"),
    "line_paid": _("登记到账"),
    "line_failed": _("登记失败"),
    "import_results": _("导入银行结果"),
}


class PayoutEvent(models.Model):
    """One step of a batch or a line: who, when, what. Never edited or deleted."""

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="events", verbose_name=_("拨付批次"))
    line = models.ForeignKey(
        PayoutLine, on_delete=models.PROTECT, null=True, blank=True, related_name="events", verbose_name=_("拨付明细")
    )
    name = models.CharField(_("操作"), max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    data = models.JSONField(_("附加信息"), default=dict, blank=True)

    class Meta:
        verbose_name = _("拨付记录")
        verbose_name_plural = _("拨付记录")
        ordering = ["batch", "at", "pk"]

    def __str__(self) -> str:
        return f"#{self.batch_id} {self.label}"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.name, self.name))
