"""Forecast settings and alert state of the live pro-rata forecast (one threshold per call)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from programs.models import Call, Program


class ForecastSetting(models.Model):
    """The threshold under which a program's projected pro-rata factor alerts the approvers, for one call."""

    call = models.OneToOneField(
        Call, on_delete=models.CASCADE, related_name="forecast_setting", verbose_name=_("申报批次")
    )
    threshold = models.DecimalField(
        _("折算系数预警阈值"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.80"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1.00"))],
        help_text=_("某项目的预计折算系数低于该值时通知审定人，例如 0.80。"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("折算预测设置")
        verbose_name_plural = _("折算预测设置")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__gt=0) & models.Q(threshold__lte=1), name="forecast_threshold_in_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.call} · {self.threshold}"


class ForecastAlert(models.Model):
    """Whether a program of a call is below its threshold now, and how often it has crossed it (one notice each)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="+", verbose_name=_("申报批次"))
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+", verbose_name=_("资助项目"))
    is_below = models.BooleanField(_("低于阈值"), default=False)
    crossings = models.PositiveIntegerField(_("跌破次数"), default=0)
    last_factor = models.DecimalField(_("最近预计系数"), max_digits=9, decimal_places=6, null=True, blank=True)
    changed_at = models.DateTimeField(_("变化时间"), auto_now=True)

    class Meta:
        verbose_name = _("折算预警")
        verbose_name_plural = _("折算预警")
        constraints = [models.UniqueConstraint(fields=["call", "program"], name="one_forecast_alert_per_program")]

    def __str__(self) -> str:
        return f"{self.call} · {self.program.code}"


class PackStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RENDERING = "rendering", _("生成中")
    DONE = "done", _("已生成")
    FAILED = "failed", _("生成失败")


class DecisionPack(models.Model):
    """One rendering of an allocation run's 决策材料: the facts it prints (as gathered when it was asked for), their
    SHA-256, and the stored PDF. The same run with the same records asks for the same pack; once publicity adds
    objections the facts change and a new pack is made, the old one kept."""

    run = models.ForeignKey(
        "allocations.AllocationRun", on_delete=models.PROTECT, related_name="decision_packs", verbose_name=_("资金分配")
    )
    facts_sha256 = models.CharField(_("内容摘要（SHA-256）"), max_length=64)
    facts = models.JSONField(_("材料内容"), default=dict, editable=False)
    listed_count = models.PositiveIntegerField(_("拟资助条数"), default=0)
    status = models.CharField(_("生成状态"), max_length=10, choices=PackStatus.choices, default=PackStatus.PENDING)
    file = models.FileField(_("文件"), max_length=300, blank=True, editable=False)
    sha256 = models.CharField(_("文件SHA-256"), max_length=64, blank=True)
    size = models.PositiveIntegerField(_("大小（字节）"), null=True, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始生成时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("决策材料")
        verbose_name_plural = _("决策材料")
        ordering = ["-requested_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["run", "facts_sha256"], name="decision_pack_once_per_facts")]

    def __str__(self) -> str:
        return f"{self.run} · {self.facts_sha256[:12]}"

    @property
    def is_done(self) -> bool:
        return self.status == PackStatus.DONE and bool(self.file)
