"""Policy simulations: a call's real applications computed under today's rules and a candidate rule set.

A simulation writes only its own rows (these tables): live applications, units, allocations and budgets are read,
never changed.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from applications.models import Application
from programs.models import Call, Program, RuleSet


class SimulationStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


def money(verbose_name: str, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=16, decimal_places=2, **kwargs)


class Simulation(models.Model):
    """One comparison: which applications, which candidate rule set, which budgets; and the per-program results."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="+", verbose_name=_("申报批次"))
    base_rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+", verbose_name=_("现行规则集"))
    candidate_rule_set = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, related_name="+", verbose_name=_("候选规则集")
    )
    states = models.JSONField(_("纳入的申报状态"), default=list)
    candidate_budgets = models.JSONField(_("候选年度资助总额"), default=dict, help_text=_("项目编号 → 金额（元）"))
    base_organisation_cap = money(_("现行单位年度上限（元）"), null=True, blank=True)
    candidate_organisation_cap = money(_("候选单位年度上限（元）"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=SimulationStatus.choices, default=SimulationStatus.PENDING
    )
    total = models.PositiveIntegerField(_("申报数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    summary = models.JSONField(_("分项目结果"), default=dict, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发起人")
    )
    started_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("政策模拟")
        verbose_name_plural = _("政策模拟")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.call} · {self.candidate_rule_set} · #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("admin:simulator_simulation_change", args=[self.pk])


class SimulationLine(models.Model):
    """One application under today's rules and under the candidate, side by side."""

    simulation = models.ForeignKey(
        Simulation, on_delete=models.CASCADE, related_name="lines", verbose_name=_("政策模拟")
    )
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+", verbose_name=_("申报"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("申报单位")
    )
    position = models.PositiveIntegerField(_("序号"))
    state = models.CharField(_("申报状态"), max_length=20)
    base_program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+", verbose_name=_("现行项目"))
    base_standard = money(_("现行标准金额"))
    base_count_cut = money(_("现行超数量上限"))
    base_key_cut = money(_("现行重复编号"))
    base_org_cut = money(_("现行单位上限核减"))
    base_factor = models.DecimalField(_("现行折算系数"), max_digits=9, decimal_places=6, null=True)
    base_allocated = money(_("现行核定金额"))
    candidate_program = models.ForeignKey(
        Program, on_delete=models.CASCADE, null=True, related_name="+", verbose_name=_("候选项目")
    )
    candidate_standard = money(_("候选标准金额"))
    candidate_count_cut = money(_("候选超数量上限"))
    candidate_key_cut = money(_("候选重复编号"))
    candidate_org_cut = money(_("候选单位上限核减"))
    candidate_factor = models.DecimalField(_("候选折算系数"), max_digits=9, decimal_places=6, null=True)
    candidate_allocated = money(_("候选核定金额"))
    delta = money(_("增减"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("模拟明细")
        verbose_name_plural = _("模拟明细")
        ordering = ["simulation", "position"]
        indexes = [models.Index(fields=["simulation", "delta"], name="simline_sim_delta")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.base_allocated} → {self.candidate_allocated}"
