"""Benchmark: import the bank's result file of an approved payout batch of N lines, beside its floor.

Run: DATABASE_URL=postgres://… .venv/bin/python benchmarks/bank_import.py [N ...]      (default 2000 20000)
For each N, prints the project's time (``import_bank_results``: read the file, lock and check every line, write the
lines, disburse the paid applications with one chained event each, open their reports, log the payout events),
its statements and ms per line, the floor measured in the same run on the same data (the lines read, one UPDATE of
the lines, one UPDATE of the applications, the chain heads read, one COPY of the applications' chained events, one
COPY of the payout events) and the ratio; medians of three, project and floor interleaved, each run rolled back
(tables vacuumed before each). Then one import is committed, run again (a re-import changes nothing) and its
events are checked with ``verify_audit_chain``.
Goal: project ≤ 5× floor, ms per line flat from 2,000 to 20,000. PostgreSQL only (the floor uses COPY).
The notification tasks are queued, not run (as with workers on other machines).
"""

import io
import logging
import statistics
import sys
import time

from _setup import django_with_test_database
from payout_export import build


def with_history(batch: object) -> None:
    """Give each application of the batch the event that left it awarded (sealed at the genesis hash), so the chain
    the import extends is a real one and ``verify_audit_chain`` has a whole history to check; and the finished
    allocation run that allotted each amount (the check of allocated amounts)."""
    from django.utils import timezone

    from allocations.models import AllocationLine, AllocationRun, RunStatus
    from applications.audit import GENESIS_HASH, chain_key, seal
    from applications.models import Application, ApplicationEvent

    now, key = timezone.now(), chain_key()
    run = AllocationRun.objects.create(
        call=batch.call, started_by=batch.created_by, finished_at=now, status=RunStatus.DONE, total=batch.line_count
    )
    AllocationLine.objects.bulk_create(
        (
            AllocationLine(
                run=run,
                application_id=pk,
                program_id=program,
                claimed_amount=standard,
                standard_amount=standard,
                allocated_amount=allocated,
            )
            for pk, program, standard, allocated in Application.objects.filter(payout_lines__batch=batch).values_list(
                "pk", "program_id", "standard_amount", "allocated_amount"
            )
        ),
        batch_size=2000,
    )
    ApplicationEvent.objects.bulk_create(
        (
            seal(
                ApplicationEvent(
                    application_id=application, name="award", from_state="in_publicity", to_state="awarded", at=now
                ),
                GENESIS_HASH,
                key=key,
            )
            for application in batch.lines.values_list("application_id", flat=True)
        ),
        batch_size=2000,
    )


def result_file(batch: object) -> bytes:
    """The bank's answer: every line paid except every 50th, which failed (户名不符)."""
    rows = ["reference,status,voucher_no,date,reason"]
    references = batch.lines.order_by("position").values_list("reference", flat=True)
    for i, reference in enumerate(references):
        rows.append(f"{reference},paid,V{i:08d},2026-05-06," if i % 50 else f"{reference},failed,,,户名不符")
    return "\r\n".join(rows).encode("utf-8-sig")


def project(batch: object, officer: object, content: bytes) -> tuple[float, int, dict]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from payouts.services import import_bank_results

    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            outcomes = import_bank_results(batch=batch, actor=officer, file=io.BytesIO(content))
            elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[str(outcome.outcome.value)] = counts.get(str(outcome.outcome.value), 0) + 1
    return elapsed, len(queries), counts


def floor(batch: object, officer: object, content: bytes) -> float:
    """The same rows written with nothing but the writes: the file parsed with csv, one UPDATE … FROM unnest of the
    lines, one UPDATE of the paid applications, the events sealed in their chains and COPY'd, the payout events
    COPY'd. Rolled back."""
    import csv
    import json
    from datetime import date

    from django.db import connection, transaction
    from django.utils import timezone

    from applications import audit
    from applications.models import ApplicationEvent, State

    started = time.perf_counter()
    with transaction.atomic():
        now = timezone.now()
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reference, id, application_id, position FROM payouts_payoutline WHERE batch_id = %s",
                [batch.pk],
            )
            lines = {reference: (pk, application, position) for reference, pk, application, position in cursor}
            ids, references, statuses, vouchers, days, reasons = [], [], [], [], [], []
            paid = []
            for reference, status, voucher, day, reason in rows:
                pk, application, position = lines[reference]
                ids.append(pk)
                references.append(reference)
                statuses.append(status)
                vouchers.append(voucher)
                days.append(date.fromisoformat(day) if day else None)
                reasons.append(reason)
                if status == "paid":
                    paid.append((application, position, voucher))
            cursor.execute(
                "UPDATE payouts_payoutline AS l SET status = v.s, voucher_no = v.vo, paid_on = v.d, "
                "failure_reason = v.r, recorded_by_id = %s, recorded_at = %s "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::date[], %s::text[]) AS v(id, s, vo, d, r) "
                "WHERE l.id = v.id",
                [officer.pk, now, ids, statuses, vouchers, days, reasons],
            )
            cursor.execute(
                "UPDATE applications_application SET state = 'disbursed', state_changed_at = %s, updated_at = %s "
                "WHERE id = ANY(%s)",
                [now, now, [application for application, _position, _voucher in paid]],
            )
            events = [
                ApplicationEvent(
                    application_id=application,
                    name="disburse",
                    from_state=State.AWARDED,
                    to_state=State.DISBURSED,
                    actor_id=officer.pk,
                    at=now,
                    comment=f"拨付批次{batch.pk}第{position}笔，凭证号{voucher}",
                    data={},
                )
                for application, position, voucher in paid
            ]
            cursor.execute(
                "SELECT DISTINCT ON (application_id) application_id, hash FROM applications_applicationevent "
                "WHERE application_id = ANY(%s) ORDER BY application_id, id DESC",
                [[event.application_id for event in events]],
            )
            audit.seal_chains(events, dict(cursor.fetchall()), key=audit.chain_key())
            with cursor.cursor.copy(
                "COPY applications_applicationevent (application_id, name, from_state, to_state, actor_id, at, "
                "comment, data, prev_hash, hash) FROM STDIN"
            ) as copy:
                for e in events:
                    row = (e.application_id, e.name, e.from_state, e.to_state, e.actor_id, e.at, e.comment)
                    copy.write_row([*row, "{}", e.prev_hash, e.hash])
            with cursor.cursor.copy(
                "COPY payouts_payoutevent (batch_id, line_id, name, actor_id, at, data) FROM STDIN"
            ) as copy:
                for pk, reference, status, voucher, day, reason in zip(
                    ids, references, statuses, vouchers, days, reasons, strict=True
                ):
                    paid_on = day.isoformat() if day else None
                    data = {"reference": reference, "voucher_no": voucher, "paid_on": paid_on, "reason": reason}
                    copy.write_row((batch.pk, pk, f"line_{status}", officer.pk, now, json.dumps(data)))
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def vacuum() -> None:
    """Clear what the previous rolled-back run left (dead row versions), so each run starts from the same tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("payouts_payoutline", "applications_application", "applications_applicationevent"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def measure(n: int, repeats: int = 3) -> None:
    from django.core.management import CommandError, call_command
    from django.test.utils import override_settings

    from applications.models import Application, State
    from payouts.services import import_bank_results

    started = time.perf_counter()
    batch, officer = build(n)
    with_history(batch)
    built = time.perf_counter() - started
    content = result_file(batch)
    project_times, floor_times, statements = [], [], set()
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="memory://"):
        for _ in range(repeats):
            vacuum()
            elapsed, count, outcomes = project(batch, officer, content)
            project_times.append(elapsed)
            statements.add(count)
            vacuum()
            floor_times.append(floor(batch, officer, content))
        mine, bottom = statistics.median(project_times), statistics.median(floor_times)
        print(
            f"bank import n={n:>6}: project {mine:6.2f} s ({'/'.join(map(str, sorted(statements)))} statements, "
            f"{mine * 1000 / n:5.2f} ms/line), floor {bottom:5.2f} s (6 statements, {bottom * 1000 / n:5.2f} ms/line), "
            f"ratio {mine / bottom:4.1f}x; {outcomes}  (fixture built in {built:.1f} s)"
        )
        # Once for real: committed, then the same file again (nothing changes), then the audit chain checked.
        started = time.perf_counter()
        import_bank_results(batch=batch, actor=officer, file=io.BytesIO(content))
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = import_bank_results(batch=batch, actor=officer, file=io.BytesIO(content))
        second = time.perf_counter() - started
    unchanged = sum(o.outcome == "unchanged" for o in again)
    disbursed = Application.objects.filter(state=State.DISBURSED, payout_lines__batch=batch).count()
    output = io.StringIO()
    try:
        call_command("verify_audit_chain", stdout=output)
        verdict = output.getvalue().strip().splitlines()[-1]
    except CommandError as error:
        verdict = f"FAILED {error} — {output.getvalue().strip().splitlines()[:3]}"
    print(
        f"  committed import {first:.2f} s, {disbursed} disbursed; re-import {second:.2f} s, {unchanged} unchanged; "
        f"verify_audit_chain: {verdict}"
    )


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [2000, 20000]
    teardown = django_with_test_database()
    logging.getLogger("celery").setLevel(logging.WARNING)
    try:
        from django.db import connection

        if connection.vendor != "postgresql":
            raise SystemExit("bank_import.py measures its floor with COPY: set DATABASE_URL to a PostgreSQL server")
        print(f"database: {connection.vendor}")
        from django.core.management import call_command

        for n in sizes:
            measure(n)
            call_command("flush", interactive=False, verbosity=0)
    finally:
        teardown()


if __name__ == "__main__":
    main()
