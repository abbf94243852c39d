"""Benchmark: the dashboard's decision tools over a call of N approved applications.

Run: .venv/bin/python benchmarks/decision_pack.py [N ...]      (default 100 1000 10000)
Prints, per N, the wall time and queries of the forecast, the concentration figures and the decision pack's facts,
then the time, pages and size of the pack's PDF (up to 2,000 applications). The query counts must not grow with N.
Uses a throwaway test database: SQLite by default, PostgreSQL when DATABASE_URL is set.
"""

import io
import sys
import time

from _setup import django_with_test_database

PDF_UP_TO = 2000  # WeasyPrint lays a page out in about 0.37 s: larger packs would only measure that


def measure(n: int) -> None:
    from allocation import build
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from pypdf import PdfReader

    from accounts.models import User
    from accounts.services import sync_roles
    from allocations.services import execute_allocation, start_allocation
    from dashboard.concentration import call_concentration
    from dashboard.decision_pack import pack_facts, render_decision_pack
    from dashboard.forecast import call_forecast

    sync_roles()
    approver, _ = User.objects.get_or_create(email="bench-approver@example.cn", defaults={"is_staff": True})
    approver.groups.add(Group.objects.get(name="审定人"))
    call = build(n)
    run = execute_allocation(run_id=start_allocation(call=call, actor=approver).pk)

    def timed(label: str, function: object) -> object:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = function()
            elapsed = time.perf_counter() - started
        print(f"  {label:<22} n={n:>6}: {elapsed:6.2f} s, {len(queries):3d} queries")
        return result

    timed("forecast", lambda: call_forecast(call))
    timed("concentration", lambda: call_concentration(call))
    timed("decision pack facts", lambda: pack_facts(run))
    if n > PDF_UP_TO:
        print(f"  {'decision pack PDF':<22} n={n:>6}: skipped (over {PDF_UP_TO}; about 0.37 s per page of ~26 rows)")
        return
    started = time.perf_counter()
    pdf = render_decision_pack(run)
    elapsed = time.perf_counter() - started
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"  {'decision pack PDF':<22} n={n:>6}: {elapsed:6.2f} s, {pages} pages, {len(pdf) / 1024:.0f} KiB")


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100, 1000, 10000]
    teardown = django_with_test_database()
    try:
        from django.db import connection

        print(f"database: {connection.vendor}")
        for n in sizes:
            measure(n)
    finally:
        teardown()


if __name__ == "__main__":
    main()
