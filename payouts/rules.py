"""Pure payout policy: payee checks, account masking, cell neutralising and the batch checksum (SPEC §4 拨付)."""

import hashlib
import re
from collections.abc import Iterable
from decimal import Decimal

from core.csv import sql_text
from payouts.error_codes import PayoutErrorCode

ACCOUNT_NUMBER_RE = re.compile(r"^[0-9]{8,30}$")
# STACK.md: cells starting with these are formulas to Excel and WPS (CSV/formula injection).


def payee_problem(*, name: str, bank_name: str, account_number: str, account_name: str) -> PayoutErrorCode | None:
    """Return the error code that stops a payment to this payee, or None.

    SPEC §4：收款账户名称必须与单位名称一致. "bank_account_incomplete" when the bank, number or name is missing or
    the account name differs from the organisation name; "bank_account_invalid" when the number is not 8–30 digits.
    """
    if not (bank_name.strip() and account_number.strip() and account_name.strip()) or account_name != name:
        return PayoutErrorCode.BANK_ACCOUNT_INCOMPLETE
    if not ACCOUNT_NUMBER_RE.match(account_number):
        return PayoutErrorCode.BANK_ACCOUNT_INVALID
    return None


def mask_account(number: str) -> str:
    """Show the first and last four digits only, as ``Organisation.masked_bank_account`` does."""
    if len(number) <= 8:
        return number
    return f"{number[:4]} **** **** {number[-4:]}"


def batch_checksum(lines: Iterable[tuple[str, str, str, Decimal]]) -> str:
    """SHA-256 over the lines' (reference, USCC, account number, amount) in order, one ``|``-joined row per line."""
    digest = hashlib.sha256()
    for reference, uscc, account, amount in lines:
        digest.update(f"{reference}|{uscc}|{account}|{Decimal(amount):.2f}\n".encode())
    return digest.hexdigest()


def batch_tampered(
    lines: Iterable[tuple[str, str, str, Decimal]], *, checksum: str, line_count: int, total: Decimal
) -> bool:
    """Whether the lines no longer give the checksum, line count and total fixed when the batch was approved.

    Reads the lines once, keeping nothing but the running digest, count and sum (constant memory).
    """
    digest, count, amount = hashlib.sha256(), 0, Decimal("0.00")
    for reference, uscc, account, value in lines:
        digest.update(f"{reference}|{uscc}|{account}|{Decimal(value):.2f}\n".encode())
        count += 1
        amount += Decimal(value)
    return digest.hexdigest() != checksum or count != line_count or amount != total


def bank_purpose(purpose: str, limit: int) -> str:
    """The 用途 as the bank's 附言 field takes it: spaces squeezed, cut to ``limit`` characters (at least 1)."""
    text = " ".join((purpose or "").split())
    return text[: max(limit, 1)]


# What ``str.split()`` splits on: every character whose ``str.isspace()`` is true (a test recomputes the list).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)


def bank_purpose_sql(expression: str, limit: int) -> str:
    """``bank_purpose`` in SQL, for the bank file PostgreSQL writes: every run of ``WHITESPACE`` made one space,
    the spaces at both ends dropped, then cut to ``limit`` characters (at least 1). Both must agree byte for byte."""
    run = "[" + WHITESPACE + "]+"
    return (
        f"left(btrim(regexp_replace(coalesce({expression}, ''), {sql_text(run)}, ' ', 'g'), ' '), {max(int(limit), 1)})"
    )
