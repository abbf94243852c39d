"""Issue 13: an approved batch is exported only while its lines still give its checksum; finance is alerted."""

import logging
from datetime import date

import pytest
from django.core import mail
from django.db import DatabaseError, transaction

from core.exceptions import Conflict
from payouts import services
from payouts.error_codes import PayoutErrorCode
from payouts.models import PayoutEvent, PayoutLine
from tests.security.tamper import triggers_off

pytestmark = pytest.mark.django_db
LINES = "payouts_payoutline"


@pytest.fixture
def batch(make_awarded, roles, finance2):
    draft, _ = services.create_batch(actor=roles["finance"], applications=[make_awarded("100000.00"), make_awarded()])
    return services.approve_batch(batch=draft, actor=finance2)


@pytest.mark.parametrize(
    "change", [{"bank_account_number": "6222000000000000"}, {"amount": "999999.00"}, {"payee_uscc": "x"}]
)
def test_export_refuses_a_batch_changed_after_approval_and_alerts_finance(batch, roles, change, caplog):
    roles["finance"].email = roles["finance"].email or "finance@example.cn"
    roles["finance"].save(update_fields=["email"])
    line = batch.lines.order_by("position").first()
    with triggers_off(LINES):
        PayoutLine.objects.filter(pk=line.pk).update(**change)

    with caplog.at_level(logging.ERROR, logger="portal.audit"), pytest.raises(Conflict) as refused:
        services.export_batch(batch=batch, fmt="csv", actor=roles["finance"])

    assert refused.value.code == PayoutErrorCode.BATCH_CHECKSUM_MISMATCH
    assert f"PAYOUT BATCH TAMPERED batch={batch.pk}" in caplog.text
    assert len(mail.outbox) == 1 and roles["finance"].email in mail.outbox[0].to
    assert not PayoutEvent.objects.filter(batch=batch, name="export").exists()


def test_export_of_an_untouched_batch_still_works(batch):
    services.export_batch(batch=batch, fmt="csv")
    assert PayoutEvent.objects.filter(batch=batch, name="export").exists()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "change", [{"bank_account_number": "6222000000000000"}, {"amount": "1.00"}, {"payee_name": "别家"}]
)
def test_the_database_refuses_to_change_an_approved_line(batch, change):
    line = batch.lines.first()
    with pytest.raises(DatabaseError, match="approved batch"), transaction.atomic():
        PayoutLine.objects.filter(pk=line.pk).update(**change)


@pytest.mark.postgres
def test_the_database_refuses_to_delete_an_approved_line_or_change_the_batch(batch):
    with pytest.raises(DatabaseError, match="approved batch"), transaction.atomic():
        PayoutLine.objects.filter(pk=batch.lines.first().pk).delete()
    with pytest.raises(DatabaseError, match="approved payout batch"), transaction.atomic():
        type(batch).objects.filter(pk=batch.pk).update(checksum="0" * 64)


@pytest.mark.postgres
def test_recording_the_bank_result_is_still_allowed(batch, roles):
    line = batch.lines.first()
    services.record_line_result(
        line=line, actor=roles["finance"], status="paid", voucher_no="PZ-1", paid_on=date.today()
    )
    line.refresh_from_db()
    assert line.status == "paid"


@pytest.mark.postgres
def test_a_draft_batch_line_can_still_change(make_awarded, roles):
    draft, _ = services.create_batch(actor=roles["finance"], applications=[make_awarded()])
    PayoutLine.objects.filter(batch=draft).update(bank_account_number="6222000000000001")


@pytest.mark.postgres
def test_the_database_computes_the_approvals_checksum_from_the_same_bytes(batch):
    from payouts.rules import batch_checksum
    from payouts.selectors import lines_fingerprint

    rows = batch.lines.order_by("position").values_list("reference", "payee_uscc", "bank_account_number", "amount")

    assert lines_fingerprint(batch) == (batch_checksum(rows), 2, batch.total_amount)
    assert lines_fingerprint(batch)[0] == batch.checksum
