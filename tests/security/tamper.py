"""Tampering as someone with direct database access would: the append-only triggers (PostgreSQL) switched off.

``ALTER TABLE … DISABLE TRIGGER`` runs inside the test's transaction, so the rollback at the end of the test
switches the trigger back on. On SQLite there are no triggers and this does nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

TRIGGERS = {
    "applications_applicationevent": "applications_applicationevent_append_only",
    "applications_auditheadsnapshot": "applications_auditheadsnapshot_append_only",
    "applications_audithead": "applications_audithead_append_only",
    "payouts_payoutline": "payouts_payoutline_approved_guard",
    "payouts_payoutbatch": "payouts_payoutbatch_approved_guard",
}


@contextmanager
def triggers_off(*tables: str) -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    _alter(tables, "DISABLE")
    try:
        yield
    finally:
        _alter(tables, "ENABLE")


def _alter(tables: tuple[str, ...], action: str) -> None:
    with connection.cursor() as cursor:
        # ALTER TABLE refuses while deferred foreign key checks are pending: run them now, then defer again.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} {action} TRIGGER {TRIGGERS[table]}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
