"""Benchmark: the bank's upload CSV of an approved payout batch, streamed, beside ``COPY (SELECT …) TO STDOUT``.

Run: DATABASE_URL=postgres://… .venv/bin/python benchmarks/csv_export.py [N ...]      (default 2000 20000)
For each N, prints the project's time (``stream_batch``: the checksum re-computed over the lines, then the file
generated row by row from a server-side cursor, the bytes consumed as a response would send them, never joined),
the floor measured in the same run (``COPY (SELECT the seven columns … ORDER BY position) TO STDOUT WITH CSV``,
read block by block), the ratio (goal ≤ 2×) and the peak Python memory of each (tracemalloc, a separate run),
which must stay flat from 2,000 to 20,000 lines. Medians of three, project and floor interleaved, after the lines
table is analysed (without statistics PostgreSQL plans the project's join as for one line).
PostgreSQL only (the floor is COPY).
"""

import hashlib
import statistics
import sys
import time
import tracemalloc

from _setup import django_with_test_database
from payout_export import build


def project(batch: object) -> tuple[int, str]:
    from payouts.services import stream_batch

    digest, size = hashlib.sha256(), 0
    _filename, content = stream_batch(batch=batch, fmt="csv")
    for chunk in content:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def floor(batch: object) -> tuple[int, str]:
    from django.db import connection

    digest, size = hashlib.sha256(), 0
    with connection.cursor() as cursor:
        query = (
            "COPY (SELECT bank_account_name, bank_account_number, bank_name, bank_cnaps, amount, purpose, reference "  # noqa: S608
            f"FROM payouts_payoutline WHERE batch_id = {int(batch.pk)} ORDER BY position) TO STDOUT WITH CSV"
        )
        with cursor.cursor.copy(query) as copy:
            for block in copy:
                digest.update(block)
                size += len(block)
    return size, digest.hexdigest()


def timed(action: object, batch: object) -> float:
    started = time.perf_counter()
    action(batch)
    return time.perf_counter() - started


def peak(action: object, batch: object) -> float:
    tracemalloc.start()
    action(batch)
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top / 2**20


def measure(n: int, repeats: int = 3) -> None:
    from django.db import connection

    batch, _officer = build(n)
    with connection.cursor() as cursor:  # the statistics autovacuum would have gathered by the time a batch is paid
        cursor.execute("ANALYZE payouts_payoutline")
    project(batch)  # warm: imports, the first cursor
    mine, bottom = [], []
    for _ in range(repeats):
        mine.append(timed(project, batch))
        bottom.append(timed(floor, batch))
    size, _ = project(batch)
    ratio = statistics.median(mine) / statistics.median(bottom)
    print(
        f"csv export n={n:>6}: project {statistics.median(mine):5.3f} s, peak {peak(project, batch):5.2f} MiB; "
        f"floor (COPY) {statistics.median(bottom):5.3f} s, peak {peak(floor, batch):5.2f} MiB; ratio {ratio:4.2f}x; "
        f"file {size / 2**20:.1f} MiB"
    )


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [2000, 20000]
    teardown = django_with_test_database()
    try:
        from django.core.management import call_command
        from django.db import connection

        if connection.vendor != "postgresql":
            raise SystemExit("csv_export.py measures its floor with COPY: set DATABASE_URL to a PostgreSQL server")
        for n in sizes:
            measure(n)
            call_command("flush", interactive=False, verbosity=0)
    finally:
        teardown()


if __name__ == "__main__":
    main()
