"""Allocation runs (足额或折算分配) and cap sweeps, each recorded with its inputs and outputs (SPEC §3)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from core.money import format_yuan
from programs.models import Call, Program


class RunStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


def money(verbose_name: str, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=16, decimal_places=2, **kwargs)


class CapSweep(models.Model):
    """A re-check of a call's approved applications against the caps in force."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="cap_sweeps", verbose_name=_("申报批次"))
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("执行人"),
    )
    ran_at = models.DateTimeField(_("执行时间"), auto_now_add=True)
    checked = models.PositiveIntegerField(_("核查申报数"), default=0)
    changed = models.PositiveIntegerField(_("金额变化数"), default=0)

    class Meta:
        verbose_name = _("上限复核")
        verbose_name_plural = _("上限复核")
        ordering = ["-ran_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.call} · {timezone.localtime(self.ran_at):%Y-%m-%d %H:%M}"


class CapSweepChange(models.Model):
    """One application whose standard amount a cap sweep changed, with why."""

    sweep = models.ForeignKey(CapSweep, on_delete=models.CASCADE, related_name="changes", verbose_name=_("上限复核"))
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+", verbose_name=_("申报"))
    standard_before = money(_("复核前标准金额（元）"))
    standard_after = money(_("复核后标准金额（元）"))
    reason_code = models.CharField(_("原因代码"), max_length=40)
    reason = models.CharField(_("原因"), max_length=300)

    class Meta:
        verbose_name = _("上限复核变化")
        verbose_name_plural = _("上限复核变化")
        ordering = ["sweep", "application"]

    def __str__(self) -> str:
        return f"{self.application}：{format_yuan(self.standard_before)}元 → {format_yuan(self.standard_after)}元"


class AllocationRun(models.Model):
    """One allocation of a call's approved applications under each program's annual budget."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="allocation_runs", verbose_name=_("申报批次"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发起人"),
    )
    started_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    progress = models.PositiveIntegerField(_("已处理申报数"), default=0)
    total = models.PositiveIntegerField(_("申报总数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    cap_sweep = models.OneToOneField(
        CapSweep, on_delete=models.SET_NULL, null=True, blank=True, related_name="run", verbose_name=_("上限复核")
    )

    class Meta:
        verbose_name = _("资金分配")
        verbose_name_plural = _("资金分配")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.call} · #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("admin:allocations_allocationrun_change", args=[self.pk])

    @property
    def percent(self) -> int:
        return 100 if self.status == RunStatus.DONE else (self.progress * 100 // self.total if self.total else 0)


class AllocationProgramResult(models.Model):
    """Per program of a run: budget, requested, standard and allocated totals and the factor."""

    run = models.ForeignKey(
        AllocationRun, on_delete=models.CASCADE, related_name="programs", verbose_name=_("资金分配")
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+", verbose_name=_("资助项目"))
    application_count = models.PositiveIntegerField(_("申报数"))
    budget = money(_("年度资助总额（元）"))
    frozen_elsewhere = money(_("其他批次已锁定（元）"), default=0)
    requested_total = money(_("申报金额合计（元）"))
    standard_total = money(_("标准金额合计（元）"))
    allocated_total = money(_("核定金额合计（元）"))
    factor = models.DecimalField(_("折算系数"), max_digits=9, decimal_places=6, null=True, blank=True)
    fully_funded = models.BooleanField(_("足额分配"))

    class Meta:
        verbose_name = _("分项目分配结果")
        verbose_name_plural = _("分项目分配结果")
        ordering = ["run", "program__sort_order", "program__code"]
        constraints = [models.UniqueConstraint(fields=["run", "program"], name="one_result_per_program_and_run")]

    def __str__(self) -> str:
        return f"{self.program.code}：{format_yuan(self.allocated_total)}元"


class AllocationLine(models.Model):
    """Per application of a run: what went in, what came out and why."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="lines", verbose_name=_("资金分配"))
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+", verbose_name=_("申报"))
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+", verbose_name=_("资助项目"))
    claimed_amount = money(_("申报金额（元）"))
    standard_amount = money(_("标准金额（元）"))
    allocated_amount = money(_("核定金额（元）"))
    reason = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("分配明细")
        verbose_name_plural = _("分配明细")
        ordering = ["run", "program", "application"]
        constraints = [models.UniqueConstraint(fields=["run", "application"], name="one_line_per_application_and_run")]

    def __str__(self) -> str:
        return f"{self.application_id}：{format_yuan(self.allocated_amount)}元"
