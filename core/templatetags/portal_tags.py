from datetime import datetime, timedelta
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import format_yuan, to_chinese_capitals, to_wan

register = template.Library()


@register.filter
def yuan(value: Decimal | None) -> str:
    """1320000 → "1,320,000.00元"."""
    if value is None or value == "":
        return "—"
    return f"{format_yuan(Decimal(value))}元"


@register.filter
def wan(value: Decimal | None) -> str:
    """3000000 → "300万元"."""
    if value is None or value == "":
        return "—"
    return f"{to_wan(Decimal(value))}元"


@register.filter
def capitals(value: Decimal | None) -> str:
    return "" if value is None else to_chinese_capitals(Decimal(value))


@register.filter
def time_left(moment: datetime | None) -> str:
    """Say how long until a moment, in Chinese: "还剩 3 天 4 小时", "还剩 25 分钟", "已截止"."""
    if moment is None:
        return ""
    seconds = int((moment - timezone.now()).total_seconds())
    if seconds <= 0:
        return _("已截止")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("还剩 %(d)s 天 %(h)s 小时") % {"d": days, "h": hours}
    if hours:
        return _("还剩 %(h)s 小时 %(m)s 分钟") % {"h": hours, "m": minutes}
    return _("还剩 %(m)s 分钟") % {"m": max(minutes, 1)}


@register.filter
def is_urgent(moment: datetime | None) -> bool:
    """True in the last 24 hours before a deadline."""
    return moment is not None and timezone.now() < moment <= timezone.now() + timedelta(hours=24)


@register.filter
def tier_range(tiers: object) -> str:
    """The span of a program's tier amounts: "3万—80万元"."""
    amounts = sorted(t.amount for t in tiers)
    if not amounts:
        return ""
    if amounts[0] == amounts[-1]:
        return f"{to_wan(amounts[0])}元"
    return f"{to_wan(amounts[0])}—{to_wan(amounts[-1])}元"


@register.filter
def dict_get(mapping: dict | None, key: object) -> object:
    return (mapping or {}).get(key)
