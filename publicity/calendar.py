"""The working-day calendar with the overrides staff keep in the admin (``HolidayOverride``).

``core.calendar`` knows the holiday data and the counting; this module hands it the override rows. Publicity
periods and every other deadline in working days are computed through these two functions.
"""

from collections.abc import Mapping
from datetime import date

from core import calendar
from publicity.models import HolidayOverride

is_provisional = calendar.is_provisional


def holiday_overrides(first: date, last: date) -> Mapping[date, bool]:
    """The override rows between ``first`` and ``last``, inclusive: {day: is a working day}."""
    rows = HolidayOverride.objects.filter(date__gte=first, date__lte=last)
    return dict(rows.values_list("date", "is_working_day"))


def is_working_day(day: date) -> bool:
    return calendar.is_working_day(day, overrides=holiday_overrides)


def add_working_days(start: date, n: int) -> tuple[date, bool]:
    """The last day of ``n`` working days from ``start`` and whether it is provisional (``core.calendar``)."""
    return calendar.add_working_days(start, n, overrides=holiday_overrides)
