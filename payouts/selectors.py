"""Permission-aware reads of payout batches: finance pays and sees full accounts; other staff roles read masked."""

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
