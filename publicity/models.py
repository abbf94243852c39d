"""Publicity (公示) of a call's approved applications, objections (异议) to them, and the working-day overrides.

SPEC §4: a notice lists the approved applications of a call for N working days, the day of publication counting as
the first; objections are real-name and their objector's identity is visible to staff only.
"""

import uuid
from datetime import date
from pathlib import PurePosixPath

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from programs.models import Call
from publicity.error_codes import PublicityErrorCode

# Mainland mobile (11 digits starting 1[3-9]) or a landline with its area code, optionally with an extension.
PHONE_PATTERN = r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$"
phone_validator = RegexValidator(
    PHONE_PATTERN,
    message=_("请输入有效的联系电话，例如 13800138000 或 0755-88888888"),
    code=PublicityErrorCode.PHONE_INVALID,
)


class HolidayOverride(models.Model):
    """A day whose working status differs from the holiday data (or that the data does not cover yet)."""

    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(
        _("是工作日"), help_text=_("勾选：该日上班（如调休工作日）；不勾选：该日放假。优先于内置节假日数据。")
    )
    note = models.CharField(_("说明"), max_length=200, blank=True, help_text=_("例如：国务院办公厅2027年放假安排"))

    class Meta:
        verbose_name = _("工作日调整")
        verbose_name_plural = _("工作日调整")
        ordering = ["-date"]

    def __str__(self) -> str:
        label = _("工作日") if self.is_working_day else _("休息日")
        return f"{self.date:%Y-%m-%d} {label}"


class PublicityNoticeQuerySet(models.QuerySet["PublicityNotice"]):
    def open_on(self, day: date) -> "PublicityNoticeQuerySet":
        """Notices whose publicity period includes ``day`` (objections are accepted)."""
        return self.filter(starts_on__lte=day, ends_on__gte=day)

    def ended_before(self, day: date) -> "PublicityNoticeQuerySet":
        return self.filter(ends_on__lt=day)

    def unclosed(self) -> "PublicityNoticeQuerySet":
        return self.filter(closed_at__isnull=True)

    def with_entries(self) -> "PublicityNoticeQuerySet":
        return self.select_related("call").prefetch_related("entries")


class PublicityNotice(models.Model):
    """A public notice (公示) of a call's approved applications for a number of working days."""

    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, related_name="publicity_notices", verbose_name=_("申报批次")
    )
    title = models.CharField(_("公示标题"), max_length=200)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人")
    )
    opened_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    starts_on = models.DateField(_("公示开始日期"))
    ends_on = models.DateField(_("公示截止日期"), help_text=_("发布时按工作日历计算并保存，之后不随日历调整而变化。"))
    provisional = models.BooleanField(
        _("截止日期暂定"), default=False, help_text=_("公示期跨入节假日数据尚未覆盖的年份，按周一至周五及调整表计算。")
    )
    working_days = models.PositiveSmallIntegerField(_("公示期（工作日）"))
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    objects = PublicityNoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="notice_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("publicity:detail", kwargs={"pk": self.pk})

    def is_open_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    @property
    def is_open(self) -> bool:
        """Whether objections are accepted today (Beijing time)."""
        return self.is_open_on(timezone.localdate())


class PublicityEntry(models.Model):
    """One application on a notice, with the facts shown publicly copied at opening."""

    notice = models.ForeignKey(
        PublicityNotice, on_delete=models.CASCADE, related_name="entries", verbose_name=_("公示")
    )
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="publicity_entry", verbose_name=_("申报")
    )
    position = models.PositiveIntegerField(_("序号"), default=0)
    organisation_name = models.CharField(_("申报单位"), max_length=200)
    program_code = models.CharField(_("项目编号"), max_length=20)
    program_name = models.CharField(_("资助项目"), max_length=200)
    amount = models.DecimalField(_("拟资助金额（元）"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("公示名单")
        verbose_name_plural = _("公示名单")
        ordering = ["notice", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.organisation_name} · {self.program_code} {self.program_name}"


def objection_letter_path(instance: "Objection", filename: str) -> str:
    """Store under an unguessable private name; the original name is kept on the row only."""
    suffix = PurePosixPath(filename).suffix.lower()
    return f"private/objections/{instance.notice_id}/{uuid.uuid4().hex}{suffix}"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("异议成立")
    DISMISSED = "dismissed", _("异议不成立")


class Objection(models.Model):
    """A real-name objection (异议) to a notice or to one application on it; the identity is for staff only."""

    notice = models.ForeignKey(
        PublicityNotice, on_delete=models.PROTECT, related_name="objections", verbose_name=_("公示")
    )
    entry = models.ForeignKey(
        PublicityEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objections",
        verbose_name=_("异议对象"),
        help_text=_("被提出异议的申报；为空表示针对整个公示。"),
    )
    name = models.CharField(_("姓名"), max_length=50)
    organisation = models.CharField(_("工作单位"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, validators=[phone_validator])
    content = models.TextField(_("异议内容"))
    letter = models.FileField(_("加盖公章的异议书"), upload_to=objection_letter_path, max_length=300, blank=True)
    letter_name = models.CharField(_("文件名"), max_length=200, blank=True)
    letter_content_type = models.CharField(_("文件类型"), max_length=50, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    ip_hash = models.CharField(
        _("来源标识"), max_length=64, blank=True, help_text=_("提交者IP的加密摘要，不保存IP本身。")
    )
    status = models.CharField(
        _("处理状态"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_reason = models.TextField(_("处理意见"), blank=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["-submitted_at", "-pk"]

    def __str__(self) -> str:
        return _("异议 #%(pk)s") % {"pk": self.pk}

    @property
    def is_open(self) -> bool:
        return self.status == ObjectionStatus.OPEN
