"""The working-day calendar (工作日): the one home for it in the portal.

Chinese public holidays and make-up working days (调休) come from the ``chinese_calendar`` package; overrides
take precedence over it. Core imports no app, so the overrides come in as a function of (first, last) day:
``publicity.calendar`` binds these functions to the ``publicity.HolidayOverride`` rows edited in the admin.
The package only has data for the years the State Council has announced (up to 2026 in version 1.11): for later
days the calendar falls back to Monday–Friday plus the overrides, and says the result is *provisional* so that
the page can show "（暂定）".

Deadlines computed here are stored on their rows (e.g. ``PublicityNotice.ends_on``): a later override or a library
upgrade never moves a published date.
"""

from collections.abc import Callable, Mapping
from datetime import date, timedelta

import chinese_calendar

# The days between first and last (inclusive) whose working status is set by hand: {day: is a working day}.
OverrideSource = Callable[[date, date], Mapping[date, bool]]

# Overrides are read once per computation, for a window this long past the start (extended when needed).
_WINDOW_DAYS = 62


def no_overrides(first: date, last: date) -> Mapping[date, bool]:
    return {}


# The override source of the running portal: ``publicity`` registers its admin-edited rows at start-up, so that the
# layers below it (a return's default due date in applications) count the same working days.
_registered: list[OverrideSource] = []


def register_overrides(source: OverrideSource) -> None:
    """Make ``source`` the overrides ``registered_overrides`` reads (the last registration wins)."""
    _registered[:] = [source]


def registered_overrides(first: date, last: date) -> Mapping[date, bool]:
    """The registered override source's answer, or none when nothing registered one."""
    return _registered[0](first, last) if _registered else {}


def _library_working_day(day: date) -> bool | None:
    """Return the library's answer, or None when the library has no data for the day's year."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def _is_working_day(day: date, overrides: Mapping[date, bool]) -> tuple[bool, bool]:
    """Return (is a working day, provisional) for one day given the overrides around it."""
    if day in overrides:
        return overrides[day], _library_working_day(day) is None
    answer = _library_working_day(day)
    if answer is None:
        return day.weekday() < 5, True
    return answer, False


def is_working_day(day: date, *, overrides: OverrideSource = no_overrides) -> bool:
    """Return whether ``day`` is a working day: override, else the holiday data, else Monday–Friday."""
    return _is_working_day(day, overrides(day, day))[0]


def is_provisional(day: date) -> bool:
    """Return whether the holiday data does not cover ``day`` (answers for it may change once published)."""
    return _library_working_day(day) is None


def add_working_days(start: date, n: int, *, overrides: OverrideSource = no_overrides) -> tuple[date, bool]:
    """Return the last day of a period of ``n`` working days starting on ``start``, and whether it is provisional.

    The start day counts as the first day when it is a working day ("公示时间为2023年11月8日至11月14日（5个工作日）":
    2023-11-08 + 5 → 2023-11-14). When ``start`` itself is not a working day (a weekend or public holiday), the
    first working day on or after it counts as day 1. The result is provisional when any day looked at lies in
    a year the holiday data does not cover (Monday–Friday plus overrides were assumed there).

    Raise ValueError when ``n`` is smaller than 1.
    """
    if n < 1:
        raise ValueError(f"a period needs at least one working day, got {n}")
    window_end = start + timedelta(days=_WINDOW_DAYS + 2 * n)
    known = overrides(start, window_end)
    day = start
    counted = 0
    provisional = False
    while True:
        if day > window_end:
            window_end = day + timedelta(days=_WINDOW_DAYS)
            known = overrides(day, window_end)
        working, unsure = _is_working_day(day, known)
        provisional = provisional or unsure
        if working:
            counted += 1
            if counted == n:
                return day, provisional
        day += timedelta(days=1)
