"""Benchmark: award notices (资助通知书) — render time and size, and throughput through a real Celery worker.

Run:
    .venv/bin/python benchmarks/award_notices.py [--renders 20]
        warm render time per notice (aim < 0.3 s) and file size (aim < 400 KB), in this process
    REDIS_URL=redis://127.0.0.1:6379/14 DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal \\
    .venv/bin/python benchmarks/award_notices.py --worker [--notices 200] [--concurrency 2]
        notices per second through a real prefork worker against Redis

Uses a throwaway database of its own (PostgreSQL when DATABASE_URL is set, else a temporary SQLite file that the
worker can open too) and a temporary media folder; awarded applications are made through the workflow services.
"""

import argparse
import hashlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from unittest import mock
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent


def setup_django(media_root: str) -> object:
    """Configure Django on a fresh database named for this run; return a callable that drops it."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    os.environ["TEST_MEDIA_ROOT"] = media_root
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # WeasyPrint logs every render step at INFO
    import django

    django.setup()
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    unique = f"bench_award_notices_{os.getpid()}"
    if connection.vendor == "sqlite":
        # A file, not the in-memory default: the worker process must open the same database.
        unique = str(Path(tempfile.gettempdir()) / f"{unique}.sqlite3")
    connection.settings_dict.setdefault("TEST", {})["NAME"] = unique
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)

    def teardown() -> None:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    return teardown


def make_awarded(count: int) -> list[int]:
    """Create ``count`` awarded applications through the services (one organisation each); return their ids."""
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth.models import Group

    from accounts.roles import ROLES_BY_KEY
    from accounts.services import sync_roles
    from allocations.services import execute_allocation, start_allocation
    from applications import services
    from notices import tasks
    from programs.models import AmountRule, ProgramBudget
    from publicity.services import close_ended_notices, open_publicity_notice
    from tests.factories import CallFactory, MembershipFactory, ProgramFactory, StaffFactory

    sync_roles()
    staff = {}
    for key in ("intake", "approver"):
        staff[key] = StaffFactory()
        staff[key].groups.add(Group.objects.get(name=ROLES_BY_KEY[key].group_name))
    program = ProgramFactory(
        amount_rule=AmountRule.FIXED,
        unit_amount=Decimal("300000.00"),
        claim_required=False,
        max_units_per_year=None,
        funded_once=False,
        unit_label="项目",
    )
    call = CallFactory(programs=[program])
    data = {
        "units": [{"description": "行业质量提升项目"}],
        "declarations": {"truthful": True, "no_duplicate_funding": True, "accept_adjustment": True},
        "targets": [{"indicator": "培训企业数量", "target": "50", "unit": "家"}],
    }
    steps = [("submit", None), ("accept", "intake"), ("approve", "approver")]
    ids = []
    for _ in range(count):
        owner = MembershipFactory().user
        application = services.create_application(actor=owner, call=call, program=program, data=data)
        for name, role in steps:
            application = services.run_transition(
                application=application, actor=staff[role] if role else owner, name=name
            )
        ids.append(application.pk)
    # Awarded through the real stages: an allocation run, a publicity notice, the close job after its period.
    ProgramBudget.objects.create(program=program, year=call.year, amount=Decimal(300000 * count))
    execute_allocation(run_id=start_allocation(call=call, actor=staff["approver"]).pk)
    notice = open_publicity_notice(call=call, actor=staff["approver"])
    # The close job queues each notice (notices.hooks.on_awarded): not here, the benchmark renders them itself.
    with mock.patch.object(tasks.render_award_notice_task, "delay_on_commit"):
        close_ended_notices(today=notice.ends_on + timedelta(days=1))
    return ids


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"mean {statistics.mean(values):.3f} s · median {statistics.median(values):.3f} s · "
        f"p95 {p95:.3f} s · min {ordered[0]:.3f} s · max {ordered[-1]:.3f} s"
    )


def bench_renders(renders: int) -> None:
    from notices.services import ensure_award_notice, render_notice_pdf

    ids = make_awarded(renders + 1)
    started = time.perf_counter()
    ensure_award_notice(application_id=ids[0])  # cold: fontconfig, fonts and templates load once per process
    cold = time.perf_counter() - started

    job_times, render_times, sizes = [], [], []
    for application_id in ids[1:]:
        started = time.perf_counter()
        notice = ensure_award_notice(application_id=application_id)
        job_times.append(time.perf_counter() - started)
        sizes.append(notice.size)
        started = time.perf_counter()
        data = render_notice_pdf(notice, facts=notice.facts)
        render_times.append(time.perf_counter() - started)
        assert hashlib.sha256(data).hexdigest() == notice.sha256, "same facts must give the same bytes"

    print(f"award notices: {renders} warm renders (after one cold render of {cold:.2f} s)")
    print(f"  render only (template + QR + WeasyPrint): {summary(render_times)}")
    print(f"  whole job (claim + render + atomic write + row update): {summary(job_times)}")
    print(
        f"  file size: mean {statistics.mean(sizes) / 1024:.1f} KB · min {min(sizes) / 1024:.1f} KB · "
        f"max {max(sizes) / 1024:.1f} KB  (aim < 400 KB)"
    )
    print("  re-render of unchanged facts gave identical bytes (same SHA-256) for every notice")


def start_worker(queue: str, concurrency: int, log: Path, media_root: str) -> subprocess.Popen:
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        database_url = f"sqlite:///{db['NAME']}"
    else:
        credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
        database_url = f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.notices.worker_settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "TEST_MEDIA_ROOT": media_root,
    }
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=prefork"]
    command += [f"--concurrency={concurrency}", "-Q", queue, "-n", f"{queue}@%h", "--without-gossip"]
    command += ["--without-mingle", "--without-heartbeat", "--loglevel=WARNING", f"--logfile={log}"]
    # A fixed argument list and no shell; its own process group, so that stopping it stops its children.
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, start_new_session=True)  # noqa: S603


def bench_worker(count: int, concurrency: int, media_root: str) -> None:
    import redis

    from notices.models import AwardNotice, NoticeStatus
    from notices.tasks import render_award_notice_task
    from portal.celery import app

    if not os.environ.get("REDIS_URL"):
        sys.exit("--worker needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/14)")
    warm_up = concurrency * 2
    print(f"creating {count + warm_up} awarded applications through the services …", flush=True)
    ids = make_awarded(count + warm_up)
    queue = f"bench-notices-{uuid.uuid4().hex[:10]}"
    log = Path(media_root) / "worker.log"
    worker = start_worker(queue, concurrency, log, media_root)
    app.conf.task_always_eager = False

    def send(application_ids: list[int]) -> None:
        for application_id in application_ids:
            render_award_notice_task.apply_async(kwargs={"application_id": application_id}, queue=queue)

    def wait_done(expected: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while AwardNotice.objects.filter(status=NoticeStatus.DONE).count() < expected:
            if worker.poll() is not None:
                sys.exit(f"the worker exited with {worker.returncode}; see {log}")
            if time.monotonic() > deadline:
                sys.exit(f"timed out; see {log}")
            time.sleep(0.05)

    try:
        send(ids[:warm_up])  # each pool process loads fonts on its first render: not measured
        wait_done(warm_up, timeout=120)
        started = time.perf_counter()
        send(ids[warm_up:])
        wait_done(count + warm_up, timeout=600)
        elapsed = time.perf_counter() - started
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(
            queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
        )
    failed = AwardNotice.objects.exclude(status=NoticeStatus.DONE).count()
    sizes = list(AwardNotice.objects.values_list("size", flat=True))
    from django.db import connection

    print(f"award notices through a real worker (prefork, {concurrency} processes, Redis broker, {connection.vendor}):")
    print(f"  {count} notices in {elapsed:.1f} s = {count / elapsed:.1f} notices/s (after {warm_up} warm-up)")
    print(f"  not done: {failed}; mean size {statistics.mean(sizes) / 1024:.1f} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", type=int, default=20, help="warm renders to time (default 20)")
    parser.add_argument("--worker", action="store_true", help="measure throughput through a real Celery worker")
    parser.add_argument("--notices", type=int, default=200, help="notices for --worker (default 200)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes for --worker (default 2)")
    args = parser.parse_args()

    media_root = tempfile.mkdtemp(prefix="bench-award-notices-")
    teardown = setup_django(media_root)
    try:
        if args.worker:
            bench_worker(args.notices, args.concurrency, media_root)
        else:
            bench_renders(args.renders)
    finally:
        teardown()
        shutil.rmtree(media_root, ignore_errors=True)


if __name__ == "__main__":
    main()
