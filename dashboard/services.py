"""Writes of the dashboard: a call's forecast threshold, and the forecast check that tells the approvers once per
crossing when a program's projected pro-rata factor drops below it."""

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import ADMINISTRATOR, APPROVER, user_has_role
from applications.models import Notification
from dashboard.error_codes import DashboardErrorCode
from dashboard.forecast import ProgramForecast, call_forecast
from dashboard.models import ForecastAlert, ForecastSetting
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
