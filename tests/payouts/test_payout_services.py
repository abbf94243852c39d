"""Payout batches through the services: build, approve, record results, re-batch after a failure."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from applications.models import State
from core.csv import neutralise
from core.exceptions import Conflict
from evaluations.models import PerformanceReport
from payouts import services
from payouts.models import BatchStatus, LineStatus, PayoutBatch, PayoutEvent, PayoutLine
from payouts.rules import batch_checksum, mask_account, payee_problem
from tests import stages

pytestmark = pytest.mark.django_db


def approved_batch(applications, roles, finance2):
    batch, skipped = services.create_batch(actor=roles["finance"], applications=applications)
    assert skipped == []
    return services.approve_batch(batch=batch, actor=finance2)


def test_create_batch_snapshots_payee_and_amount(make_awarded, roles):
    application = make_awarded("123456.78")
    organisation = application.organisation

    batch, skipped = services.create_batch(actor=roles["finance"], applications=[application])

    line = batch.lines.get()
    assert skipped == []
    assert batch.status == BatchStatus.DRAFT
    assert (line.position, line.amount, line.reference) == (1, Decimal("123456.78"), application.reference)
    assert (line.payee_name, line.payee_uscc, line.bank_account_number) == (
        organisation.name,
        organisation.uscc,
        organisation.bank_account_number,
    )
    assert list(PayoutEvent.objects.filter(batch=batch).values_list("name", flat=True)) == ["create"]


def test_create_batch_skips_applications_with_reasons(make_awarded, make_application, roles):
    good = make_awarded()
    busy = make_awarded()
    services.create_batch(actor=roles["finance"], applications=[busy])
    approved = make_application("approved")

    batch, skipped = services.create_batch(actor=roles["finance"], applications=[good, busy, approved])

    assert list(batch.lines.values_list("application_id", flat=True)) == [good.pk]
    assert {(s.application_id, s.code) for s in skipped} == {
        (busy.pk, "already_in_batch"),
        (approved.pk, "not_awarded"),
    }


def test_create_batch_by_call_takes_free_awarded_applications(make_application, roles, open_call):
    # Two awards of open_call, through one allocation run, one notice and the close job
    first, second = stages.walk_all([make_application("approved"), make_application("approved")], "awarded", roles)
    services.create_batch(actor=roles["finance"], applications=[first])

    batch, skipped = services.create_batch(actor=roles["finance"], call=open_call)

    assert list(batch.lines.values_list("application_id", flat=True)) == [second.pk]
    assert [(s.application_id, s.code) for s in skipped] == [(first.pk, "already_in_batch")]


def test_account_name_differing_from_organisation_name_is_skipped(make_awarded, roles):
    application = make_awarded()
    organisation = application.organisation
    organisation.bank_account_name = organisation.name + "（分公司）"
    organisation.save()

    with pytest.raises(ValidationError) as error:
        services.create_batch(actor=roles["finance"], applications=[application])

    assert error.value.code == "nothing_to_pay"
    assert [s.code for s in error.value.params["skipped"]] == ["bank_account_incomplete"]
    assert PayoutBatch.objects.count() == 0


def test_only_finance_builds_batches(make_awarded, roles):
    application = make_awarded()
    for role in ("intake", "approver", "owner"):
        with pytest.raises(PermissionDenied):
            services.create_batch(actor=roles[role], applications=[application])
    assert PayoutBatch.objects.count() == 0


def test_database_refuses_a_second_live_line_for_one_application(make_awarded, roles, finance2):
    application = make_awarded()
    batch, _ = services.create_batch(actor=roles["finance"], applications=[application])
    other = PayoutBatch.objects.create(title="x", created_by=finance2)
    line = batch.lines.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutLine.objects.create(
            batch=other,
            position=1,
            application=application,
            reference=line.reference,
            amount=line.amount,
            payee_name="a",
            payee_uscc="b",
            bank_name="c",
            bank_account_number="12345678",
            bank_account_name="a",
            program_name="p",
            purpose="u",
        )
    assert PayoutLine.objects.filter(application=application).count() == 1


def test_approving_ones_own_batch_is_refused(make_awarded, roles):
    batch, _ = services.create_batch(actor=roles["finance"], applications=[make_awarded()])

    with pytest.raises(ValidationError) as error:
        services.approve_batch(batch=batch, actor=roles["finance"])

    assert error.value.code == "same_officer"
    batch.refresh_from_db()
    assert (batch.status, batch.approved_by, batch.checksum) == (BatchStatus.DRAFT, None, "")
    assert PayoutEvent.objects.filter(name="approve").count() == 0


def test_approval_fixes_totals_and_checksum_and_is_final(make_awarded, roles, finance2):
    first, second = make_awarded("100.50"), make_awarded("200.25")

    batch = approved_batch([first, second], roles, finance2)

    lines = list(batch.lines.order_by("position"))
    assert batch.status == BatchStatus.APPROVED
    assert (batch.total_amount, batch.line_count, batch.approved_by) == (Decimal("300.75"), 2, finance2)
    assert batch.checksum == batch_checksum(
        (line.reference, line.payee_uscc, line.bank_account_number, line.amount) for line in lines
    )
    with pytest.raises(Conflict) as error:
        services.approve_batch(batch=batch, actor=roles["finance"])
    assert error.value.code == "batch_immutable"


def test_paid_line_disburses_and_recording_twice_changes_nothing(make_awarded, roles, finance2):
    application = make_awarded()
    batch = approved_batch([application], roles, finance2)
    line = batch.lines.get()

    line, changed = services.record_line_result(
        line=line, actor=roles["finance"], status="paid", voucher_no="V001", paid_on=date(2026, 5, 6)
    )
    events = PayoutEvent.objects.count()
    again, changed_again = services.record_line_result(
        line=line, actor=finance2, status="paid", voucher_no="V001", paid_on=date(2026, 5, 6)
    )

    application.refresh_from_db()
    assert (changed, changed_again) == (True, False)
    assert application.state == State.DISBURSED
    assert application.events.filter(name="disburse").count() == 1
    # SPEC §4: after payout the applicant is asked for its performance report, once (the paid line opens it)
    assert PerformanceReport.objects.filter(application=application).count() == 1
    assert PayoutEvent.objects.count() == events
    assert again.recorded_by == roles["finance"]
    with pytest.raises(Conflict) as error:
        services.record_line_result(line=line, actor=roles["finance"], status="failed", reason="户名不符")
    assert error.value.code == "line_already_paid"
    assert PayoutLine.objects.get(pk=line.pk).status == LineStatus.PAID


def test_results_are_refused_on_a_draft_batch(make_awarded, roles):
    batch, _ = services.create_batch(actor=roles["finance"], applications=[make_awarded()])
    with pytest.raises(Conflict) as error:
        services.record_line_result(
            line=batch.lines.get(), actor=roles["finance"], status="paid", voucher_no="V", paid_on=date(2026, 1, 1)
        )
    assert error.value.code == "batch_not_approved"


def test_paid_requires_voucher_and_date(make_awarded, roles, finance2):
    batch = approved_batch([make_awarded()], roles, finance2)
    with pytest.raises(ValidationError) as error:
        services.record_line_result(line=batch.lines.get(), actor=roles["finance"], status="paid")
    assert {e.code for errors in error.value.error_dict.values() for e in errors} == {
        "voucher_required",
        "paid_on_required",
    }


def test_failed_line_is_rebatched_and_paid(make_awarded, roles, finance2):
    application = make_awarded()
    first = approved_batch([application], roles, finance2)
    services.record_line_result(line=first.lines.get(), actor=roles["finance"], status="failed", reason="账户已销户")
    application.refresh_from_db()
    assert application.state == State.AWARDED

    second = approved_batch([application], roles, finance2)
    services.record_line_result(
        line=second.lines.get(), actor=finance2, status="paid", voucher_no="V2", paid_on=date(2026, 6, 1)
    )

    application.refresh_from_db()
    assert application.state == State.DISBURSED
    assert list(application.payout_lines.order_by("pk").values_list("status", flat=True)) == ["failed", "paid"]


def test_import_bank_results_csv_reports_each_row(make_awarded, roles, finance2):
    paid, failed = make_awarded(), make_awarded()
    batch = approved_batch([paid, failed], roles, finance2)
    content = (
        "\ufeffreference,status,voucher_no,date,reason\r\n"
        f"{paid.reference},paid,V9,2026-05-06,\r\n"
        f"{failed.reference},失败,,,户名不符\r\n"
        "NOPE-1,paid,V0,2026-05-06,\r\n"
    ).encode()

    from io import BytesIO

    outcomes = services.import_bank_results(batch=batch, actor=roles["finance"], file=BytesIO(content))
    again = services.import_bank_results(batch=batch, actor=roles["finance"], file=BytesIO(content))

    assert [(o.reference, o.outcome) for o in outcomes] == [
        (paid.reference, "paid"),
        (failed.reference, "failed"),
        ("NOPE-1", "unknown_reference"),
    ]
    assert [o.outcome for o in again] == ["unchanged", "unchanged", "unknown_reference"]
    paid.refresh_from_db()
    failed.refresh_from_db()
    assert (paid.state, failed.state) == (State.DISBURSED, State.AWARDED)
    assert PayoutEvent.objects.filter(name__startswith="line_").count() == 2


def test_rules():
    assert payee_problem(name="甲公司", bank_name="中国银行", account_number="12345678", account_name="甲公司") is None
    assert payee_problem(name="甲公司", bank_name="中国银行", account_number="1234-5678", account_name="甲公司") == (
        "bank_account_invalid"
    )
    assert payee_problem(name="甲公司", bank_name="", account_number="12345678", account_name="甲公司") == (
        "bank_account_incomplete"
    )
    assert mask_account("6222020200112233445") == "6222 **** **** 3445"
    assert [neutralise(v) for v in ("=1+1", "+1", "-1", "@A", "\tx", "\rx", "正常")] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@A",
        "'\tx",
        "'\rx",
        "正常",
    ]
