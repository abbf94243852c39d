"""Cells for spreadsheets (CSV and Excel exports): text a spreadsheet would run as a formula is neutralised.

STACK.md: cells starting with ``= + - @ TAB CR`` are formulas to Excel and WPS (CSV/formula injection), so such
text gets a leading apostrophe. Numbers are left alone (a negative amount is a number, not a formula).
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """Prefix a text cell that a spreadsheet would read as a formula with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def safe_cell(value: object) -> object:
    """Neutralise text (``neutralise``); pass numbers, dates and None through as they are."""
    if value is None or isinstance(value, (bool, int, float, Decimal, dt.date)):
        return value
    return neutralise(value)  # text, and lazy (translated) text


def safe_row(row: Iterable[object]) -> list[object]:
    return [safe_cell(value) for value in row]
