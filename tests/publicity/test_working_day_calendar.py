"""The working-day calendar (core.calendar with the admin overrides, through publicity.calendar): Chinese holidays
and make-up days, admin overrides, and the provisional fallback after the data."""

from datetime import date

import pytest

from publicity.calendar import add_working_days, is_provisional, is_working_day
from publicity.models import HolidayOverride

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # SPEC §4: "公示时间为2023年11月8日至11月14日（5个工作日）": the publication day counts as the first.
        (date(2023, 11, 8), 5, date(2023, 11, 14)),
        # 国庆中秋 2026: Oct 1–7 off, Saturday Oct 10 is a make-up working day.
        (date(2026, 9, 29), 5, date(2026, 10, 10)),
        (date(2023, 11, 8), 1, date(2023, 11, 8)),
        # Published on a holiday: the first working day after it (Oct 8) is day 1.
        (date(2026, 10, 1), 1, date(2026, 10, 8)),
        (date(2026, 10, 3), 3, date(2026, 10, 10)),
    ],
)
def test_add_working_days_counts_the_first_day_and_observes_holidays(start, n, expected):
    assert add_working_days(start, n) == (expected, False)


def test_holiday_data_decides_single_days():
    assert is_working_day(date(2026, 10, 10)) is True  # make-up Saturday
    assert is_working_day(date(2026, 10, 1)) is False  # National Day
    assert is_working_day(date(2023, 11, 11)) is False  # an ordinary Saturday


def test_a_holiday_override_moves_the_end_of_the_period():
    HolidayOverride.objects.create(date=date(2023, 11, 10), is_working_day=False, note="临时放假")

    assert is_working_day(date(2023, 11, 10)) is False
    # 8, 9, (10 off), 13, 14, 15.
    assert add_working_days(date(2023, 11, 8), 5) == (date(2023, 11, 15), False)


def test_a_working_day_override_counts_a_weekend_day():
    HolidayOverride.objects.create(date=date(2023, 11, 11), is_working_day=True, note="补班")

    assert is_working_day(date(2023, 11, 11)) is True
    # 8, 9, 10, 11 (worked), 13.
    assert add_working_days(date(2023, 11, 8), 5) == (date(2023, 11, 13), False)


def test_a_year_without_holiday_data_falls_back_to_weekdays_and_is_provisional():
    assert is_provisional(date(2027, 3, 1)) is True
    assert is_provisional(date(2026, 12, 31)) is False
    assert add_working_days(date(2027, 3, 1), 5) == (date(2027, 3, 5), True)
    assert is_working_day(date(2027, 3, 6)) is False


def test_overrides_apply_in_a_year_without_holiday_data():
    HolidayOverride.objects.create(date=date(2027, 3, 3), is_working_day=False)

    assert add_working_days(date(2027, 3, 1), 5) == (date(2027, 3, 8), True)


def test_a_period_crossing_into_an_uncovered_year_is_provisional():
    end, provisional = add_working_days(date(2026, 12, 30), 5)

    # Without 2027 data (and without an override) New Year's Day, a Friday, is assumed to be a working day.
    assert provisional is True
    assert end == date(2027, 1, 5)


def test_a_period_needs_at_least_one_day():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 5), 0)
