"""Benchmark: export a payout batch of N lines as XLSX and CSV, then import the bank's result file for it.

Run: .venv/bin/python benchmarks/payout_export.py [N]      (default 20000)
Prints wall time and peak Python memory (tracemalloc, a second run) per step; aim < 5 s and < 150 MB for the exports.
Uses a throwaway test database: SQLite by default, PostgreSQL when DATABASE_URL is set.
"""

import io
import logging
import random
import sys
import time
import tracemalloc
from decimal import Decimal

from _setup import django_with_test_database


def build(n: int) -> object:
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from accounts.models import Organisation, User
    from accounts.rules import build_uscc
    from accounts.services import sync_roles
    from applications.models import Application, State
    from payouts.models import BatchStatus, PayoutBatch, PayoutLine
    from payouts.rules import batch_checksum
    from programs.models import Call, Program

    sync_roles()
    finance = Group.objects.get(name="财务人员")
    maker = User.objects.create_user(email="bench-maker@example.cn", password="x", is_staff=True)
    checker = User.objects.create_user(email="bench-checker@example.cn", password="x", is_staff=True)
    for user in (maker, checker):
        user.groups.add(finance)
    now = timezone.now()
    program = Program.objects.create(
        code="B1", name="基准测试资助项目", clause="第八条", direction="supply_quality", unit_amount=Decimal("50000")
    )
    call = Call.objects.create(
        year=now.year,
        title="基准测试批次",
        opens_at=now - timezone.timedelta(days=30),
        closes_at=now - timezone.timedelta(days=1),
    )
    call.programs.set([program])
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    rng = random.Random(n)
    organisations = Organisation.objects.bulk_create(
        (
            Organisation(
                uscc=build_uscc("91440300" + "".join(rng.choice(alphabet) for _ in range(9))),
                name=f"深圳市基准测试{i}号科技有限公司" if i % 100 else f'=HYPERLINK("x{i}")',
                org_type="enterprise",
                founded_on="2015-01-01",
                district="nanshan",
                registered_address="深圳",
                legal_representative="张三",
                contact_person="李四",
                contact_phone="0755-86000000",
                contact_email=f"b{i}@example.cn",
                bank_name="中国银行深圳分行",
                bank_account_number=f"7453{i:012d}",
            )
            for i in range(n)
        ),
        batch_size=2000,
    )
    applications = Application.objects.bulk_create(
        (
            Application(
                reference=f"B{now.year}-{i:06d}",
                organisation=organisation,
                call=call,
                program=program,
                state=State.AWARDED,
                created_by=maker,
                standard_amount=Decimal("50000.00"),
                allocated_amount=Decimal(rng.randrange(100000, 5000000)) / 100,
            )
            for i, organisation in enumerate(organisations)
        ),
        batch_size=2000,
    )
    batch = PayoutBatch.objects.create(call=call, title="基准测试拨付批次", created_by=maker)
    lines = [
        PayoutLine(
            batch=batch,
            position=i + 1,
            application=application,
            reference=application.reference,
            amount=application.allocated_amount,
            payee_name=organisation.name,
            payee_uscc=organisation.uscc,
            bank_name=organisation.bank_name,
            bank_account_number=organisation.bank_account_number,
            bank_account_name=organisation.name,
            program_name=program.name,
            purpose=f"{call.title}{program.name}资助资金",
        )
        for i, (application, organisation) in enumerate(zip(applications, organisations, strict=True))
    ]
    PayoutLine.objects.bulk_create(lines, batch_size=2000)
    batch.status = BatchStatus.APPROVED
    batch.approved_by, batch.approved_at = checker, now
    batch.total_amount = sum(line.amount for line in lines)
    batch.line_count = len(lines)
    batch.checksum = batch_checksum((x.reference, x.payee_uscc, x.bank_account_number, x.amount) for x in lines)
    batch.save()
    return batch, maker


def timed(label: str, action: object) -> object:
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<28} {elapsed:6.2f} s   peak {peak / 2**20:6.1f} MiB")
    return result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    teardown = django_with_test_database()
    logging.getLogger("celery").setLevel(logging.WARNING)
    try:
        from django.db import connection

        from applications.models import Application, State
        from payouts.models import LineStatus
        from payouts.services import export_batch, import_bank_results

        print(f"database: {connection.vendor}, lines: {n}")
        started = time.perf_counter()
        batch, officer = build(n)
        print(f"{'fixture':<28} {time.perf_counter() - started:6.2f} s")
        _, xlsx = timed("export xlsx", lambda: export_batch(batch=batch, fmt="xlsx"))
        _, content = timed("export csv", lambda: export_batch(batch=batch, fmt="csv"))
        print(f"sizes: xlsx {len(xlsx) / 2**20:.1f} MiB, csv {len(content) / 2**20:.1f} MiB")
        # The bank's answer: every line paid except every 50th, which failed.
        rows = ["reference,status,voucher_no,date,reason"]
        for i, line in enumerate(content.decode("utf-8-sig").splitlines()[1:-1]):
            reference = line.rsplit(",", 1)[1]
            rows.append(f"{reference},paid,V{i:08d},2026-05-06," if i % 50 else f"{reference},failed,,,户名不符")
        result_file = "\r\n".join(rows).encode("utf-8-sig")
        started = time.perf_counter()
        outcomes = import_bank_results(batch=batch, actor=officer, file=io.BytesIO(result_file))
        elapsed = time.perf_counter() - started
        counts = {}
        for outcome in outcomes:
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        print(f"{'import results (first)':<28} {elapsed:6.2f} s   {counts}")
        started = time.perf_counter()
        outcomes = import_bank_results(batch=batch, actor=officer, file=io.BytesIO(result_file))
        print(
            f"{'import results (again)':<28} {time.perf_counter() - started:6.2f} s   "
            f"unchanged={sum(o.outcome == 'unchanged' for o in outcomes)}"
        )
        disbursed = Application.objects.filter(state=State.DISBURSED).count()
        paid = batch.lines.filter(status=LineStatus.PAID).count()
        print(f"disbursed applications: {disbursed}, paid lines: {paid}")
    finally:
        teardown()


if __name__ == "__main__":
    main()
