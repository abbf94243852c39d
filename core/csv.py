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


# The same rules for exports PostgreSQL writes itself (``payouts.exports``): ``COPY … TO STDOUT WITH (FORMAT csv)``
# quotes a field exactly when Python's ``csv.writer`` (QUOTE_MINIMAL, doublequote) does, when it holds one of these
# characters, and doubles its quotes; it writes NULL as an empty field (but '' as ``""``) and ends a row with LF.
# Both must agree byte for byte; a PostgreSQL test compares the two files.
CSV_QUOTED_CHARACTERS = (",", '"', "\r", "\n")


def sql_text(value: str) -> str:
    """A PostgreSQL literal for constant text: every character as an ``E'\\uXXXX'`` escape (no quote, no ``%``)."""
    return "E'" + "".join(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}" for c in value) + "'"


def neutralise_sql(expression: str) -> str:
    """``neutralise`` in SQL, for ``COPY … WITH (FORMAT csv)``: an apostrophe before a formula prefix, and NULL for
    empty text (or NULL), which COPY writes as the empty field ``csv.writer`` writes for ''."""
    if any(len(prefix) != 1 for prefix in FORMULA_PREFIXES):
        raise ValueError("neutralise_sql compares the first character: every formula prefix must be one character")
    codes = ", ".join(str(ord(prefix)) for prefix in FORMULA_PREFIXES)  # ascii(): the first character's code
    return f"(CASE WHEN ascii({expression}) IN ({codes}) THEN '''' || {expression} ELSE nullif({expression}, '') END)"
