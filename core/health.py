"""Health checks for the load balancer and the container orchestrator: the database and the Celery broker.

Each check is a small function returning ``None`` when healthy or a short reason. The reason names the failing
part (its exception class), never a host name, a password or a stack trace: ``/healthz`` is public.
"""

from collections.abc import Callable

from celery import current_app
from django.db import connection

BROKER_TIMEOUT_SECONDS = 2.0


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not healthy"; the kind is reported, not the details
        return type(exc).__name__
    return None


def check_broker() -> str | None:
    """Open (or reuse) a connection to the Celery broker and make sure it answers.

    With the embedded default (``memory://``, eager tasks) there is no broker to reach and the check passes.
    """
    app = current_app  # the project's Celery app (portal.celery), found without importing the project from core

    # A pooled connection: a health check every few seconds per replica must not open a socket each time.
    try:
        conn = app.pool.acquire(block=True, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:
        return type(exc).__name__
    try:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
        if conn.transport.driver_type == "redis":
            conn.default_channel.client.ping()
    except Exception as exc:
        conn.collect()  # never hand a broken connection back to the pool
        return type(exc).__name__
    finally:
        conn.release()
    return None


CHECKS: dict[str, Callable[[], str | None]] = {"database": check_database, "broker": check_broker}


def run_checks() -> tuple[bool, dict[str, str]]:
    """Run every check; return (all healthy, {part: "ok" or the reason})."""
    results = {name: (check() or "ok") for name, check in CHECKS.items()}
    return all(value == "ok" for value in results.values()), results
