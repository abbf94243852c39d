"""Money formatting: yuan with thousands separators, the 万 short form and Chinese financial capitals.

Money is ``Decimal`` in yuan with 2 places everywhere in the portal; these helpers never accept ``float``.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
TEN_THOUSAND = Decimal(10000)

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_DIGIT_UNITS = ("仟", "佰", "拾", "")  # for the four digits of a group, most significant first
_GROUP_UNITS = ("", "万", "亿")  # for groups of four digits, least significant first
_MAX_YUAN = 10**12  # exclusive: up to 9999亿9999万9999元99分


def _to_fen(amount: Decimal) -> int:
    """Return the amount in fen; raise ValueError if it is negative, not finite or finer than a fen."""
    if isinstance(amount, float) or not isinstance(amount, Decimal | int):
        raise TypeError(f"money must be a Decimal or int, not {type(amount).__name__}")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"amount must be finite, got {amount}")
    if amount < 0:
        raise ValueError(f"amount must not be negative, got {amount}")
    try:
        cents = amount.quantize(CENT)
    except InvalidOperation as exc:
        raise ValueError(f"amount is too large: {amount}") from exc
    if cents != amount:
        raise ValueError(f"amount has more than 2 decimal places: {amount}")
    return int(cents * 100)


def _group_capitals(group: int, *, leading: bool) -> str:
    """Write a group of up to four digits (0–9999) in capitals.

    A group that is not the leading one and has no thousands digit starts with 零 (1,0005 → 壹万零伍).
    """
    digits = f"{group:04d}"
    parts: list[str] = []
    pending_zero = not leading
    started = False
    for digit_char, unit in zip(digits, _DIGIT_UNITS, strict=True):
        digit = int(digit_char)
        if digit == 0:
            pending_zero = pending_zero or started
            continue
        if pending_zero:
            parts.append("零")
        parts.append(_DIGITS[digit] + unit)
        pending_zero = False
        started = True
    return "".join(parts)


def _yuan_capitals(yuan: int) -> str:
    """Write a whole number of yuan (1 ≤ yuan < 10^12) in capitals without the 元 suffix."""
    groups: list[int] = []
    while yuan:
        yuan, group = divmod(yuan, 10000)
        groups.append(group)
    parts: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        # 零 is needed when a higher group was written and this one skips a position (壹亿零壹万, 壹佰万零伍).
        leading = not parts or (group >= 1000 and groups[index + 1] != 0)
        parts.append(_group_capitals(group, leading=leading) + _GROUP_UNITS[index])
    return "".join(parts)


def to_chinese_capitals(amount: Decimal) -> str:
    """Write an amount of yuan in Chinese financial capitals (金额大写), as on award notices and payout lists.

    132000 → "人民币壹拾叁万贰仟元整", 5.05 → "人民币伍元零伍分", 0.50 → "人民币伍角整", 0 → "人民币零元整".
    "整" ends the text unless there are 分. Raise ValueError for a negative amount, an amount with non-zero digits
    past the fen, or one of 1万亿 or more; TypeError for a float.
    """
    fen_total = _to_fen(amount)
    yuan, cents = divmod(fen_total, 100)
    if yuan >= _MAX_YUAN:
        raise ValueError(f"amount is too large for capitals: {amount}")
    jiao, fen = divmod(cents, 10)
    if fen_total == 0:
        return "人民币零元整"
    text = _yuan_capitals(yuan) + "元" if yuan else ""
    if jiao:
        text += _DIGITS[jiao] + "角"
    if fen:
        # 《支付结算办法》：元位后角位为零而分位不是零时，写“零”（伍元零伍分）。
        text += ("零" if yuan and not jiao else "") + _DIGITS[fen] + "分"
    else:
        text += "整"
    return "人民币" + text


def format_yuan(amount: Decimal) -> str:
    """Format yuan with thousands separators and 2 decimals: Decimal("1320000") → "1,320,000.00".

    Rounds half up to the fen if the value is finer; negative amounts keep their sign.
    """
    if isinstance(amount, float):
        raise TypeError("money must be a Decimal or int, not float")
    return f"{Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def to_wan(amount: Decimal) -> str:
    """Write yuan as 万 without trailing zeros, as on public pages: 3000000 → "300万", 32000 → "3.2万".

    Exact: 12345.67 → "1.234567万"; 5000 → "0.5万"; 0 → "0万".
    """
    if isinstance(amount, float):
        raise TypeError("money must be a Decimal or int, not float")
    wan = (Decimal(amount) / TEN_THOUSAND).normalize()
    if wan == 0:
        wan = Decimal(0)
    return f"{wan:f}万"
