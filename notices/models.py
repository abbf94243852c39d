"""Award notices (资助通知书, SPEC §6): one PDF per awarded application, verifiable by a public code.

The row holds the job's status (there is no Celery result backend), the facts printed on the current file and the
file's SHA-256, so that the public verify page shows exactly what the document says.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from applications.models import Application

# Printed on paper and typed in by hand: capitals and digits without the look-alikes 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 20  # 31^20 ≈ 2^99: unguessable, and too many to enumerate through a throttled endpoint
NOTICE_FOLDER = "private/notices"


def new_verification_code() -> str:
    """Return a fresh random verification code (20 characters, about 99 bits from ``secrets``)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """Accept a code as people type it: any case, with spaces or hyphens."""
    return "".join(ch for ch in code.upper() if ch not in " -")


def notice_folder(application_id: int) -> str:
    """The private folder of one application's notice files (never under a public URL)."""
    return f"{NOTICE_FOLDER}/{application_id}"


def notice_file_name(application_id: int) -> str:
    """A fresh, unguessable file name for one generation of a notice."""
    return f"{notice_folder(application_id)}/{uuid.uuid4().hex}.pdf"


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("待生成")
    RENDERING = "rendering", _("生成中")
    DONE = "done", _("已生成")
    FAILED = "failed", _("生成失败")


class AwardNotice(models.Model):
    """The award notice of one application: its verification code, current file, hash and job status."""

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="award_notice", verbose_name=_("申报")
    )
    verification_code = models.CharField(
        _("验证码"), max_length=32, unique=True, default=new_verification_code, editable=False
    )
    status = models.CharField(
        _("生成状态"), max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.PENDING, db_index=True
    )
    # Written only by the service, under a fresh name per generation; served only through a permission check.
    file = models.FileField(_("文件"), max_length=300, blank=True, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveIntegerField(_("大小（字节）"), null=True, blank=True)
    amount = models.DecimalField(_("资助金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    # The facts printed on the current file, as shown by the public verify page and API.
    facts = models.JSONField(_("通知书内容"), default=dict, blank=True, editable=False)
    generation = models.PositiveIntegerField(_("生成次数"), default=0)
    rendered_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("最近重新生成人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("资助通知书")
        verbose_name_plural = _("资助通知书")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.application} · {self.verification_code}"

    def get_absolute_url(self) -> str:
        return reverse("notices:verify", args=[self.verification_code])

    @property
    def is_done(self) -> bool:
        return self.status == NoticeStatus.DONE and bool(self.file) and bool(self.sha256)

    @property
    def is_issued(self) -> bool:
        """A complete file has been produced at least once (the verify page shows its facts)."""
        return bool(self.sha256) and bool(self.facts)
