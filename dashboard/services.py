"""Writes of the dashboard: a call's forecast threshold, and the forecast check that tells the approvers once per
crossing when a program's projected pro-rata factor drops below it."""

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import ADMINISTRATOR, APPROVER, user_has_role
from allocations.models import AllocationRun, RunStatus
from applications.models import Notification
from dashboard.decision_pack import may_download_pack, pack_facts, render_pack_html
from dashboard.error_codes import DashboardErrorCode
from dashboard.forecast import ProgramForecast, call_forecast
from dashboard.models import DecisionPack, ForecastAlert, ForecastSetting, PackStatus
from notices.services import render_html_to_pdf, write_file_atomically
from programs.models import Call

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = Decimal("0.80")
MIN_THRESHOLD, MAX_THRESHOLD = Decimal("0.01"), Decimal("1.00")


def may_set_threshold(user: User | None) -> bool:
    return user_has_role(user, APPROVER) or user_has_role(user, ADMINISTRATOR)


def threshold_of(call: Call) -> Decimal:
    setting = ForecastSetting.objects.filter(call=call).first()
    return setting.threshold if setting is not None else DEFAULT_THRESHOLD


def parse_threshold(raw: object) -> Decimal:
    """Read a threshold typed as "0.8" (or "80%"); raise ValidationError "forecast_threshold_invalid" otherwise."""
    text = str(raw or "").strip().replace("％", "%")
    try:
        value = Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or not (MIN_THRESHOLD <= value <= MAX_THRESHOLD):
        raise ValidationError(_("请填写0.01至1.00之间的系数，例如 0.80"), code=DashboardErrorCode.THRESHOLD_INVALID)
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError(_("系数最多保留两位小数，例如 0.85"), code=DashboardErrorCode.THRESHOLD_INVALID)
    return value.quantize(Decimal("0.01"))


@transaction.atomic
def set_forecast_threshold(*, call: Call, threshold: object, actor: User) -> ForecastSetting:
    """Set the call's threshold (approver or administrator); raise PermissionDenied or ValidationError."""
    if not may_set_threshold(actor):
        raise PermissionDenied
    value = parse_threshold(threshold)
    setting, _created = ForecastSetting.objects.update_or_create(call=call, defaults={"threshold": value})
    return setting


@dataclass(frozen=True)
class CheckResult:
    checked: int  # programs looked at
    crossed: int  # programs that went below their threshold in this run
    notified: int  # notifications created


def _approvers() -> list[User]:
    return list(
        User.objects.filter(is_active=True, is_staff=True, groups__name=APPROVER.group_name).distinct().order_by("pk")
    )


def _notify(call: Call, row: ProgramForecast, threshold: Decimal, crossing: int, approvers: list[User]) -> int:
    title = _("%(program)s 预计折算系数低于预警值") % {"program": f"{row.program.code} {row.program.name}"}
    body = _(
        "%(call)s：%(program)s 的草稿与已提交申报标准金额合计 %(asked)s 元，可用年度资助总额 %(budget)s 元，"
        "预计折算系数 %(factor)s，已低于本批次预警值 %(threshold)s。请在统计看板查看走势。"
    ) % {
        "call": call.title,
        "program": f"{row.program.code} {row.program.name}",
        "asked": f"{row.projected:,.2f}",
        "budget": f"{row.budget:,.2f}",
        "factor": f"{row.factor_projected:.6f}",
        "threshold": f"{threshold:.2f}",
    }
    key = f"forecast:{call.pk}:{row.program.pk}:{crossing}"
    created = 0
    for user in approvers:
        try:
            with transaction.atomic():
                Notification.objects.create(user=user, title=title, body=body, key=key)
        except IntegrityError:
            continue  # this crossing was already told to this approver
        created += 1
        if user.email:
            send_mail(
                subject=_("【质量品牌专项资金】%(title)s") % {"title": title},
                message=body,
                from_email=None,
                recipient_list=[user.email],
                fail_silently=True,
            )
    return created


def check_call_forecast(call: Call) -> CheckResult:
    """Compare each program's projected factor with the call's threshold and tell the approvers of a new crossing.

    A program that goes below the threshold is announced once (in-portal notification and e-mail to every approver);
    it is announced again only after it has come back to or above the threshold and dropped again. Idempotent: a
    second run with the same figures creates nothing.
    """
    threshold = threshold_of(call)
    forecast = call_forecast(call)
    approvers: list[User] | None = None
    crossed = notified = 0
    for row in forecast.programs:
        factor = row.factor_projected
        with transaction.atomic():
            alert, _created = ForecastAlert.objects.select_for_update().get_or_create(call=call, program=row.program)
            below = factor < threshold
            crossing = 0
            if below and not alert.is_below:
                alert.crossings += 1
                crossing = alert.crossings
            alert.is_below, alert.last_factor = below, factor
            alert.save(update_fields=["is_below", "crossings", "last_factor", "changed_at"])
            if crossing:
                crossed += 1
                if approvers is None:
                    approvers = _approvers()
                notified += _notify(call, row, threshold, crossing, approvers)
    return CheckResult(checked=len(forecast.programs), crossed=crossed, notified=notified)


def check_open_forecasts(*, now: datetime | None = None) -> CheckResult:
    """Check every call open at ``now`` (the beat job and ``manage.py check_forecasts``)."""
    checked = crossed = notified = 0
    for call in Call.objects.open_at(now or timezone.now()).order_by("pk"):
        result = check_call_forecast(call)
        checked, crossed, notified = checked + result.checked, crossed + result.crossed, notified + result.notified
    logger.info("forecast check: %s programs, %s crossed, %s notified", checked, crossed, notified)
    return CheckResult(checked=checked, crossed=crossed, notified=notified)


# --- 决策材料: the decision pack of an allocation run, stored once per set of facts -------------------------------

SECONDS_PER_PACK_PAGE = 0.4  # measured (benchmarks/decision_pack.py): ~0.37 s a page
ROWS_PER_PACK_PAGE = 26
STALE_RENDERING = timedelta(minutes=15)  # a job that died mid-render may be taken over after this


def facts_digest(facts: dict) -> str:
    canonical = json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def estimated_pack_seconds(pack: DecisionPack) -> int:
    """A rough duration for the progress bar: WeasyPrint lays out the list at about 26 rows and 0.4 s a page."""
    pages = 4 + pack.listed_count // ROWS_PER_PACK_PAGE
    return max(2, round(pages * SECONDS_PER_PACK_PAGE))


def pack_progress(pack: DecisionPack, now: datetime | None = None) -> int:
    """Percent for the progress bar, from the time spent against the estimate (99 at most until it is done)."""
    if pack.is_done:
        return 100
    if pack.status != PackStatus.RENDERING or pack.started_at is None:
        return 0
    spent = ((now or timezone.now()) - pack.started_at).total_seconds()
    return max(1, min(99, int(100 * spent / estimated_pack_seconds(pack))))


def request_decision_pack(*, run: AllocationRun, actor: User) -> DecisionPack:
    """The pack of the run's current facts: the stored one when these facts were rendered before, else a new or
    failed one queued for rendering (rendered here at once when it is small). 审定人 and 系统管理员 only."""
    if not may_download_pack(actor):
        raise PermissionDenied
    if run.status != RunStatus.DONE:
        raise ValidationError(_("资金分配尚未完成，暂不能生成决策材料"), code=DashboardErrorCode.RUN_NOT_DONE)
    facts = pack_facts(run)
    digest = facts_digest(facts)
    with transaction.atomic():
        pack, created = DecisionPack.objects.get_or_create(
            run=run,
            facts_sha256=digest,
            defaults={"facts": facts, "listed_count": len(facts["listed"]), "requested_by": actor},
        )
        # A failed pack is asked for again; so is one queued so long ago that its job must have been lost.
        lost = pack.status == PackStatus.PENDING and timezone.now() - pack.requested_at > STALE_RENDERING
        if not created and (pack.status == PackStatus.FAILED or lost):
            DecisionPack.objects.filter(pk=pack.pk).update(status=PackStatus.PENDING, error="")
            pack.status, pack.error = PackStatus.PENDING, ""
            created = True
    if pack.is_done or not created:
        return pack
    if pack.listed_count <= settings.DECISION_PACK_INLINE_MAX:
        return render_stored_decision_pack(pack_id=pack.pk)
    from dashboard.tasks import render_decision_pack_task

    render_decision_pack_task.delay_on_commit(pack_id=pack.pk)
    return pack


def _claim_pack(pack_id: int) -> DecisionPack | None:
    with transaction.atomic():
        pack = DecisionPack.objects.select_for_update().get(pk=pack_id)
        now = timezone.now()
        busy = pack.status == PackStatus.RENDERING and pack.started_at and now - pack.started_at < STALE_RENDERING
        if pack.is_done or busy:
            return None
        pack.status, pack.started_at, pack.error = PackStatus.RENDERING, now, ""
        pack.save(update_fields=["status", "started_at", "error"])
        return pack


def render_stored_decision_pack(*, pack_id: int) -> DecisionPack:
    """Render a pack's PDF from the facts it was asked for and store it (idempotent: a done or busy pack is left)."""
    pack = _claim_pack(pack_id)
    if pack is None:
        return DecisionPack.objects.get(pk=pack_id)
    try:
        pdf = render_html_to_pdf(render_pack_html(pack.facts))
        name = f"decision-packs/run-{pack.run_id}/{pack.facts_sha256[:16]}-{uuid.uuid4().hex[:8]}.pdf"
        name = write_file_atomically(default_storage, name, pdf)
    except Exception as error:  # recorded on the row and shown to the approver, then re-raised
        logger.exception("decision pack %s failed", pack_id)
        DecisionPack.objects.filter(pk=pack_id).update(
            status=PackStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    DecisionPack.objects.filter(pk=pack_id).update(
        status=PackStatus.DONE,
        file=name,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        finished_at=timezone.now(),
    )
    return DecisionPack.objects.get(pk=pack_id)
