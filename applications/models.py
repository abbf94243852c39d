"""Applications (申报) and their workflow 申报 → 审核 → 公示 → 拨付 → 绩效评价 (SPEC §4).

The model owns the state machine (django-fsm-2); services in ``applications/services.py`` call the
transitions, save, and write one ``ApplicationEvent`` per transition in the same transaction.
A transition body only sets in-memory fields.
"""

import uuid
from datetime import date
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from accounts.models import Membership, Organisation
from applications.error_codes import ApplicationErrorCode
from applications.workflow import (
    APPLICANT_LABELS,
    APPROVED_STATES,
    BY_METHOD,
    COUNTED_STATES,
    EDITABLE_STATES,
    FINANCE_STATES,
    State,
    is_member,
)
from applications.workflow import applicant_label as step_applicant_label
from applications.workflow import label as step_label
from programs.models import Call, Program, Tier, validate_non_negative

# The workflow's facts live in applications.workflow; these names stay importable from here.
__all__ = [
    "APPLICANT_LABELS",
    "APPROVED_STATES",
    "COUNTED_STATES",
    "EDITABLE_STATES",
    "FINANCE_STATES",
    "State",
    "is_member",
]


class ApplicationQuerySet(models.QuerySet["Application"]):
    def for_call(self, call: Call) -> "ApplicationQuerySet":
        return self.filter(call=call)

    def for_organisation(self, organisation: Organisation) -> "ApplicationQuerySet":
        return self.filter(organisation=organisation)

    def counted(self) -> "ApplicationQuerySet":
        """Submitted and neither withdrawn nor rejected: these count against caps."""
        return self.filter(state__in=COUNTED_STATES)

    def in_year(self, year: int) -> "ApplicationQuerySet":
        return self.filter(call__year=year)

    def in_review(self) -> "ApplicationQuerySet":
        return self.filter(state__in=(State.SUBMITTED, State.ACCEPTED, State.APPROVED))

    def with_list_data(self) -> "ApplicationQuerySet":
        return self.select_related("organisation", "call", "program")


class Application(FSMModelMixin, models.Model):
    """An organisation's application for one program in one call."""

    reference = models.CharField(_("申报编号"), max_length=30, unique=True, null=True, blank=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="applications", verbose_name=_("申报单位")
    )
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications", verbose_name=_("申报批次"))
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="applications", verbose_name=_("资助项目")
    )
    state = FSMField(_("状态"), default=State.DRAFT, choices=State.choices, protected=True, db_index=True)
    form_data = models.JSONField(_("项目专项信息"), default=dict, blank=True)
    declaration_truthful = models.BooleanField(_("真实性承诺"), default=False)
    declaration_no_duplicate_funding = models.BooleanField(_("不得多头申报承诺"), default=False)
    declaration_accept_adjustment = models.BooleanField(_("接受折算调整"), default=False)
    claimed_amount = models.DecimalField(_("申报金额（元）"), max_digits=14, decimal_places=2, default=0)
    standard_amount = models.DecimalField(_("标准资助金额（元）"), max_digits=14, decimal_places=2, default=0)
    allocated_amount = models.DecimalField(
        _("核定资助金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    score = models.DecimalField(
        _("评审得分"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("评审制：已提交评分专家的加权平均分。"),
    )
    return_reason = models.TextField(_("退回原因"), blank=True)
    return_due_on = models.DateField(_("补正截止日期"), null=True, blank=True)
    decision_reason = models.TextField(_("不予资助原因"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("申报")
        verbose_name_plural = _("申报")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "program", "state"], name="app_org_program_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(allocated_amount__isnull=True) | Q(allocated_amount__gte=0),
                name="application_allocated_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"{self.organisation} · {self.program.code}（草稿）"

    def get_absolute_url(self) -> str:
        return reverse("applications:detail", kwargs={"pk": self.pk})

    # --- labels -------------------------------------------------------------------------------
    @property
    def applicant_state_label(self) -> str:
        return str(APPLICANT_LABELS[self.state])

    @property
    def staff_state_label(self) -> str:
        return str(State(self.state).label)

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def year(self) -> int:
        return self.call.year

    # --- the state machine --------------------------------------------------------------------
    # Sources, targets and who may take each transition come from applications.workflow.STEPS. Bodies set
    # in-memory fields only; services save and write the event.

    @transition(field=state, **BY_METHOD["submit"].fsm())
    def submit(self) -> None:
        self.submitted_at = timezone.now()
        self.return_reason = ""
        self.return_due_on = None

    @transition(field=state, **BY_METHOD["withdraw"].fsm())
    def withdraw(self) -> None:
        pass

    @transition(field=state, **BY_METHOD["accept"].fsm())
    def accept(self) -> None:
        pass

    @transition(field=state, **BY_METHOD["return_for_correction"].fsm())
    def return_for_correction(self, *, reason: str, due_on: date) -> None:
        self.return_reason = reason
        self.return_due_on = due_on

    @transition(field=state, **BY_METHOD["reject"].fsm())
    def reject(self, *, reason: str) -> None:
        self.decision_reason = reason

    @transition(field=state, **BY_METHOD["approve"].fsm())
    def approve(self) -> None:
        pass

    @transition(field=state, **BY_METHOD["send_back_to_intake"].fsm())
    def send_back_to_intake(self) -> None:
        pass

    @transition(field=state, **BY_METHOD["publish"].fsm())
    def publish(self) -> None:
        pass

    @transition(field=state, **BY_METHOD["confirm"].fsm())
    def confirm(self) -> None:
        pass

    @transition(field=state, **BY_METHOD["revoke"].fsm())
    def revoke(self, *, reason: str) -> None:
        self.decision_reason = reason

    @transition(field=state, **BY_METHOD["disburse"].fsm())
    def disburse(self) -> None:
        pass

    @transition(field=state, **BY_METHOD["evaluate"].fsm())
    def evaluate(self) -> None:
        pass

    @transition(field=state, **BY_METHOD["claw_back"].fsm())
    def claw_back(self, *, reason: str) -> None:
        self.decision_reason = reason

    @transition(field=state, **BY_METHOD["close"].fsm())
    def close(self) -> None:
        pass


class ApplicationUnit(models.Model):
    """One funded unit of an application: a certificate, accreditation, matter, honour or the project itself."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="units", verbose_name=_("申报"))
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    key = models.CharField(_("编号"), max_length=100, blank=True, help_text=_("证书、认可或荣誉的编号。"))
    key_normalised = models.CharField(max_length=100, blank=True, db_index=True, editable=False)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("档次"))
    claim_amount = models.DecimalField(
        _("申报金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[validate_non_negative]
    )
    issued_on = models.DateField(_("取得/发布日期"), null=True, blank=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    counted_amount = models.DecimalField(_("计入金额（元）"), max_digits=14, decimal_places=2, default=0)
    reason_code = models.CharField(_("不计入原因代码"), max_length=40, blank=True)
    reason = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("资助单元")
        verbose_name_plural = _("资助单元")
        ordering = ["application_id", "position", "pk"]

    def __str__(self) -> str:
        return self.key or self.description or f"#{self.position + 1}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    """Store under an unguessable name; the original name is kept on the row only."""
    suffix = PurePosixPath(filename).suffix.lower()
    return f"private/applications/{instance.application_id}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """An uploaded file, stored privately and served only through a permission check."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("申报")
    )
    kind = models.SlugField(_("材料类型"), max_length=40)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=50)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("申报材料")
        verbose_name_plural = _("申报材料")
        ordering = ["application_id", "kind", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("applications:attachment", kwargs={"pk": self.application_id, "attachment_pk": self.pk})


class PerformanceTarget(models.Model):
    """A performance target (绩效目标) the applicant commits to."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="targets", verbose_name=_("申报")
    )
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    indicator = models.CharField(_("指标"), max_length=200)
    target = models.CharField(_("目标值"), max_length=100)
    unit = models.CharField(_("单位"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("绩效目标")
        verbose_name_plural = _("绩效目标")
        ordering = ["application_id", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.indicator}：{self.target}{self.unit}"


class ApplicationEvent(models.Model):
    """One transition of one application: who, when, from, to, comment. Never edited or deleted.

    Each event is chained by hash to the application's previous one (``applications.audit``), so that an edit,
    deletion or insertion shows in ``manage.py verify_audit_chain``.
    """

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="events", verbose_name=_("申报")
    )
    name = models.CharField(_("操作"), max_length=30)
    from_state = models.CharField(_("原状态"), max_length=20, choices=State.choices)
    to_state = models.CharField(_("新状态"), max_length=20, choices=State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    comment = models.TextField(_("意见"), blank=True)
    data = models.JSONField(_("附加信息"), default=dict, blank=True)
    # The hash chain of this application's events (applications.audit), set once when the event is written.
    prev_hash = models.CharField(_("前一记录哈希"), max_length=64, editable=False)
    hash = models.CharField(_("记录哈希"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")
        ordering = ["application_id", "at", "pk"]
        constraints = [
            # A chain cannot fork: two events can never follow the same one.
            models.UniqueConstraint(
                fields=["application", "prev_hash"],
                name="one_event_per_chain_link",
                violation_error_code=ApplicationErrorCode.AUDIT_CHAIN_FORK,
            )
        ]

    def __str__(self) -> str:
        return f"{self.application}：{self.label}（{State(self.from_state).label} → {State(self.to_state).label}）"

    @property
    def label(self) -> str:
        return step_label(self.name)

    @property
    def applicant_label(self) -> str:
        return step_applicant_label(self.name)

    @property
    def applicant_to_label(self) -> str:
        return str(APPLICANT_LABELS.get(self.to_state, self.to_state))


class OrganisationYear(models.Model):
    """A row per (organisation, year) that caps checks lock, so concurrent submissions and approvals queue."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("单位年度锁")
        verbose_name_plural = _("单位年度锁")
        constraints = [models.UniqueConstraint(fields=["organisation", "year"], name="one_lock_row_per_org_year")]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.year}"


class Notification(models.Model):
    """An in-portal notice for one user (and an email is sent alongside)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("用户")
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("申报")
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    # Idempotency: one notice per (user, event), or per (user, key) for notices that follow no event (a report
    # reminder); a task run twice creates nothing new.
    event = models.ForeignKey(
        ApplicationEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    key = models.CharField(max_length=80, blank=True, editable=False)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="one_notification_per_user_and_event"),
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="one_notification_per_user_and_key"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AuditHeadSnapshot(models.Model):
    """The heads of every application's event chain at one moment, written nightly; append-only.

    ``digest`` is the HMAC (``AUDIT_CHAIN_KEY``) over the counts and the heads, so an edited head row shows. On
    PostgreSQL a trigger refuses UPDATE and DELETE on this table and on ``AuditHead`` (migration 0010). The first
    snapshot (the cut-over) records in ``legacy_until`` the last event sealed with plain SHA-256.
    """

    at = models.DateTimeField(_("时间"), default=timezone.now)
    application_count = models.PositiveIntegerField(_("申报数"))
    event_count = models.PositiveBigIntegerField(_("流转记录数"))
    digest = models.CharField(_("校验值（HMAC）"), max_length=64)
    legacy_until = models.PositiveBigIntegerField(_("旧式哈希截止记录"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("审计链头快照")
        verbose_name_plural = _("审计链头快照")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.at:%Y-%m-%d %H:%M}"


class AuditHead(models.Model):
    """One application's chain head in a snapshot: how many events and the last hash (no FK: outlives a delete)."""

    snapshot = models.ForeignKey(
        AuditHeadSnapshot, on_delete=models.PROTECT, related_name="heads", verbose_name=_("快照")
    )
    application_id = models.PositiveBigIntegerField(_("申报ID"))
    event_count = models.PositiveIntegerField(_("流转记录数"))
    head = models.CharField(_("链头哈希"), max_length=64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")
        ordering = ["snapshot", "application_id"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "application_id"], name="one_head_per_application_snapshot")
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.event_count} {self.head[:12]}"


def members_of(application: Application) -> models.QuerySet[Membership]:
    return Membership.objects.filter(organisation_id=application.organisation_id).select_related("user")
