"""The bank's result file as one bulk operation: Chinese results per row, the words banks use, the chain of events
verifies afterwards, one notification per organisation, and a number of statements that does not grow with N."""

from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import ApplicationEvent, Notification, State
from applications.services.bulk import notification_groups
from evaluations.models import PerformanceReport
from payouts import services
from payouts.models import LineStatus, PayoutEvent

pytestmark = pytest.mark.django_db


def approved_batch(applications, roles, finance2):
    batch, skipped = services.create_batch(actor=roles["finance"], applications=applications)
    assert skipped == []
    return services.approve_batch(batch=batch, actor=finance2)


def result_file(rows):
    lines = ["申报编号,处理结果,银行流水号,交易日期,备注", *(",".join(row) for row in rows)]
    return BytesIO("\r\n".join(lines).encode("utf-8-sig"))


def test_paid_failed_returned_and_unknown_rows_are_reported_in_chinese(make_awarded, roles, finance2):
    paid, to_account, failed, returned = (make_awarded() for _ in range(4))
    batch = approved_batch([paid, to_account, failed, returned], roles, finance2)
    file = [
        (paid.reference, "已支付", "V1", "2026/05/06", ""),
        (to_account.reference, "到账", "V2", "20260506", ""),
        (failed.reference, "失败", "", "", "户名不符"),
        (returned.reference, "退票", "", "", "账户已销户"),
        ("NOPE-1", "成功", "V3", "2026-05-06", ""),
        (paid.reference, "unknown word", "", "", ""),
    ]

    outcomes = services.import_bank_results(batch=batch, actor=roles["finance"], file=result_file(file))

    assert [(o.row, o.reference, o.label) for o in outcomes] == [
        (2, paid.reference, "已到账"),
        (3, to_account.reference, "已到账"),
        (4, failed.reference, "拨付失败"),
        (5, returned.reference, "拨付失败"),
        (6, "NOPE-1", "编号不在本批次"),
        (7, paid.reference, "有误，未登记"),
    ]
    assert [o.is_problem for o in outcomes] == [False, False, True, True, True, True]
    assert "账户已销户" in outcomes[3].detail
    assert "NOPE-1" in outcomes[4].detail
    assert "结果应为" in outcomes[5].detail and "paid" not in outcomes[5].detail
    states = {a.pk: a.state for a in (paid, to_account, failed, returned) if not a.refresh_from_db()}
    assert states == {
        paid.pk: State.DISBURSED,
        to_account.pk: State.DISBURSED,
        failed.pk: State.AWARDED,
        returned.pk: State.AWARDED,
    }
    line = batch.lines.get(application=to_account)
    assert (line.status, line.voucher_no, str(line.paid_on)) == (LineStatus.PAID, "V2", "2026-05-06")
    assert batch.lines.get(application=returned).failure_reason == "账户已销户"


def test_bulk_import_keeps_events_reports_and_notifications_and_its_chain_verifies(
    make_awarded, roles, finance2, django_capture_on_commit_callbacks
):
    applications = [make_awarded() for _ in range(3)]
    batch = approved_batch(applications, roles, finance2)
    file = [(a.reference, "成功", f"V{i}", "2026-05-06", "") for i, a in enumerate(applications)]
    notified = Notification.objects.count()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.import_bank_results(batch=batch, actor=roles["finance"], file=result_file(file))

    for application in applications:
        events = list(application.events.order_by("pk"))
        assert events[-1].name == "disburse" and events[-1].to_state == State.DISBURSED
        assert events[-1].comment.startswith(f"拨付批次{batch.pk}第")
        assert events[-1].prev_hash == events[-2].hash
    assert PerformanceReport.objects.filter(application__in=applications).count() == 3
    assert PayoutEvent.objects.filter(batch=batch, name="line_paid").count() == 3
    # the three organisations' events in one task (a task per group of organisations), each organisation told
    assert len(callbacks) == 1
    assert Notification.objects.count() > notified
    told = set(Notification.objects.filter(event__name="disburse").values_list("application_id", flat=True))
    assert told == {a.pk for a in applications}
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)  # raises CommandError on any broken link
    # Importing the same file again changes nothing and writes no line event.
    again = services.import_bank_results(batch=batch, actor=roles["finance"], file=result_file(file))
    assert {o.outcome for o in again} == {"unchanged"}
    assert ApplicationEvent.objects.filter(name="disburse", application__in=applications).count() == 3
    assert PayoutEvent.objects.filter(batch=batch, name__startswith="line_").count() == 3


def test_a_paid_line_cannot_be_failed_by_a_later_row_of_the_same_file(make_awarded, roles, finance2):
    application = make_awarded()
    batch = approved_batch([application], roles, finance2)
    file = [(application.reference, "到账", "V1", "2026-05-06", ""), (application.reference, "退回", "", "", "退")]

    outcomes = services.import_bank_results(batch=batch, actor=roles["finance"], file=result_file(file))

    assert [(o.outcome, o.code) for o in outcomes] == [("paid", ""), ("error", "line_already_paid")]
    assert batch.lines.get().status == LineStatus.PAID


def test_an_unreadable_date_is_a_row_in_error_not_a_crash(make_awarded, roles, finance2):
    application = make_awarded()
    batch = approved_batch([application], roles, finance2)
    file = [(application.reference, "到账", "V1", "2026-13-45", "")]

    (outcome,) = services.import_bank_results(batch=batch, actor=roles["finance"], file=result_file(file))

    assert (outcome.outcome, outcome.code) == ("error", "paid_on_required")
    assert "无法识别" in outcome.detail


def test_statements_of_an_import_do_not_grow_with_its_lines(make_awarded, roles, finance2):
    counts = []
    for size in (2, 5):
        applications = [make_awarded() for _ in range(size)]
        batch = approved_batch(applications, roles, finance2)
        file = [
            (a.reference, "成功", f"V{i}", "2026-05-06", "") if i % 2 else (a.reference, "退票", "", "", "户名不符")
            for i, a in enumerate(applications)
        ]
        with CaptureQueriesContext(connection) as queries:
            services.import_bank_results(batch=batch, actor=roles["finance"], file=result_file(file))
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_notification_groups_keep_an_organisations_events_together_and_bound_each_task():
    pairs = [(1, 10), (2, 20), (1, 11), (3, 30), (3, 31), (3, 32), (4, 40)]

    groups = notification_groups(pairs, size=3)

    assert groups == [[10, 11, 20], [30, 31, 32], [40]]
    # an organisation with more events than a task holds still gets one task of its own
    assert notification_groups([(5, 1), (5, 2), (5, 3), (6, 4)], size=2) == [[1, 2, 3], [4]]
