"""What a clerk types, in the shape the rules read: full-width digits, grouped amounts, spaced account numbers.

Pure functions, no database. The forms call them before validating, so that 「３００００」, 「30,000」, 「3万」 and
「6222 0200 1234 5678」 are taken as meant instead of being refused.
"""

import re
from decimal import Decimal, InvalidOperation

# Full-width ASCII (U+FF01–U+FF5E) to ASCII, and the ideographic space to a space.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Separators a clerk puts between groups of digits: spaces (also no-break and thin), dashes, the Chinese comma.
_ACCOUNT_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−]+")
_AMOUNT_GROUPS = re.compile(r"(?<=\d)[,，、'’ ](?=\d{3}(?:\D|$))")
_AMOUNT = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>万|万元|元)?$")


def half_width(value: str) -> str:
    """Full-width letters, digits and punctuation as their ASCII forms (「０７５５－８８８８」 → 「0755-8888」)."""
    return value.translate(_FULL_WIDTH)


def digits_only(value: str) -> str:
    """An account number as digits: full-width digits made ASCII, spaces and dashes between groups dropped."""
    return _ACCOUNT_SEPARATORS.sub("", half_width(value).strip())


def amount_text(value: str) -> str:
    """An amount as the rules read it, or the text unchanged (after half-width) when it is not one.

    「30,000」「30 000」「３００００」 → 「30000」; 「3万」「3.5万元」 → 「30000」「35000」; 「32000元」 → 「32000」.
    """
    text = half_width(value).strip().replace("¥", "").replace("￥", "").strip()
    text = _AMOUNT_GROUPS.sub("", text)
    match = _AMOUNT.match(text)
    if not match:
        return text
    number, unit = match["number"], match["unit"] or ""
    if unit.startswith("万"):
        try:
            amount = Decimal(number) * 10000
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            return text
        return f"{amount.normalize():f}"
    return number
