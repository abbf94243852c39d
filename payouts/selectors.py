"""Permission-aware reads of payout batches: finance pays and sees full accounts; other staff roles read masked."""

from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from accounts.roles import ADMINISTRATOR, APPROVER, FINANCE, INTAKE, user_has_role
from payouts.models import PayoutBatch, PayoutLine
from payouts.rules import mask_account

READER_ROLES = (FINANCE, APPROVER, INTAKE, ADMINISTRATOR)


def may_pay(user: object) -> bool:
    """Finance builds, approves, exports batches and records results."""
    return user_has_role(user, FINANCE)


def may_view_payouts(user: object) -> bool:
    return any(user_has_role(user, role) for role in READER_ROLES)


def batches_visible_to(user: object) -> QuerySet[PayoutBatch]:
    if not may_view_payouts(user):
        return PayoutBatch.objects.none()
    return PayoutBatch.objects.select_related("call", "program", "created_by", "approved_by")


def get_batch(user: object, pk: int) -> PayoutBatch:
    """Return the batch or raise Http404, both for a missing batch and for a user who may not see batches."""
    try:
        return batches_visible_to(user).get(pk=pk)
    except PayoutBatch.DoesNotExist as exc:
        raise Http404 from exc


def account_shown_to(user: object, line: PayoutLine) -> str:
    """The full account number to finance, masked to every other role."""
    return line.bank_account_number if may_pay(user) else mask_account(line.bank_account_number)


# The approval's checksum (payouts.rules.batch_checksum) computed by PostgreSQL: the same bytes hashed (reference,
# USCC, account and the two-decimal amount, ``|``-joined, one ``\n``-ended row per line in position order), so an
# export checks it without reading every line into Python. ``amount::text`` of a numeric(·, 2) column always has
# two decimals, as ``f"{amount:.2f}"`` does.
CHECKSUM_SQL = """
SELECT encode(sha256(convert_to(coalesce(string_agg(
           reference || '|' || payee_uscc || '|' || bank_account_number || '|' || amount::text || E'\\n',
           '' ORDER BY position), ''), 'UTF8')), 'hex'),
       count(*), coalesce(sum(amount), 0)
FROM payouts_payoutline WHERE batch_id = %s
"""


def lines_fingerprint(batch: PayoutBatch) -> tuple[str, int, Decimal] | None:
    """(checksum, line count, total) of the batch's lines as they are now, computed in the database; None where the
    database has no SHA-256 (SQLite: the caller hashes the rows itself)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(CHECKSUM_SQL, [batch.pk])
        checksum, count, total = cursor.fetchone()
    return checksum, count, Decimal(total)
