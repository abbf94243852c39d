"""A real Celery worker process renders award notices end to end, and survives being killed mid-render.

Needs Redis (REDIS_URL) and PostgreSQL (the worker is another process and must see the test database), as in CI.
Each test starts its workers on a queue of its own and stops them (by process group id) before the database is
flushed.
"""

import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection

from notices.models import AwardNotice, NoticeStatus, notice_folder
from notices.tasks import render_award_notice_task
from portal.celery import app as celery_app

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)
TIMEOUT = 60


@pytest.fixture
def worker_queue():
    """A fresh queue name; its Redis keys are removed at the end."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis: set REDIS_URL, as .ci/run does")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker is another process and must see the test database")
    queue = f"notices-test-{uuid.uuid4().hex[:12]}"
    yield queue
    redis.Redis.from_url(os.environ["REDIS_URL"]).delete(
        queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
    )


def send_to_worker(queue: str, application_id: int) -> None:
    """Send the task through Redis, not eagerly; only this message (workflow side effects stay eager)."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        render_award_notice_task.apply_async(kwargs={"application_id": application_id}, queue=queue)
    finally:
        celery_app.conf.task_always_eager = eager


@pytest.fixture
def workers(tmp_path):
    """Start workers with ``start(queue, **env)``; every worker still running is stopped at the end."""
    started: list[subprocess.Popen] = []

    def start(queue: str, **extra_env: str) -> subprocess.Popen:
        log = tmp_path / f"worker-{len(started)}.log"
        db = connection.settings_dict
        credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.notices.worker_settings",
            "PYTHONPATH": str(BASE_DIR),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_URL": f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}",
            "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            **extra_env,
        }
        process = subprocess.Popen(  # noqa: S603  (a fixed argument list, no shell)
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "-Q",
                queue,
                "-n",
                f"{queue}-{len(started)}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                f"--logfile={log}",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the pool child goes down with it
        )
        started.append(process)
        wait_for(lambda: log.exists() and " ready." in log.read_text(), f"worker ready (log: {log})", process)
        return process

    yield start
    for process in started:
        stop(process)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop a worker we started and its pool children (its own process group, by id)."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_for(condition, what: str, process: subprocess.Popen | None = None, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            pytest.fail(f"worker exited with {process.returncode} while waiting for: {what}")
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for: {what}")


def notice_status(application_id: int) -> str | None:
    notice = AwardNotice.objects.filter(application_id=application_id).first()
    return notice.status if notice else None


def folder_files(application_id: int) -> list[str]:
    try:
        return sorted(default_storage.listdir(notice_folder(application_id))[1])
    except FileNotFoundError:
        return []


def forget_notice(application) -> None:
    """Start from no notice, even if the award already queued one (when the award service calls the hook)."""
    AwardNotice.objects.filter(application=application).delete()
    for name in folder_files(application.pk):
        default_storage.delete(f"{notice_folder(application.pk)}/{name}")


def assert_one_complete_file(application_id: int) -> AwardNotice:
    notice = AwardNotice.objects.get(application_id=application_id)
    assert notice.status == NoticeStatus.DONE
    with notice.file.open("rb") as file:
        data = file.read()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == notice.sha256
    assert notice.size == len(data)
    assert folder_files(application_id) == [os.path.basename(notice.file.name)]
    return notice


def test_a_worker_renders_an_award_notice_end_to_end(make_application, worker_queue, workers):
    application = make_application("awarded")
    forget_notice(application)
    workers(worker_queue)

    send_to_worker(worker_queue, application.pk)

    wait_for(lambda: notice_status(application.pk) == NoticeStatus.DONE, "the notice rendered by the worker")
    assert_one_complete_file(application.pk)


def test_a_worker_killed_mid_render_leaves_no_file_and_the_task_completes_on_redelivery(
    make_application, worker_queue, workers
):
    application = make_application("awarded")
    forget_notice(application)
    # Worker A pauses halfway through writing the PDF, so that we can kill it right there.
    worker_a = workers(worker_queue, NOTICE_RENDER_DELAY_SECONDS="120")
    send_to_worker(worker_queue, application.pk)
    wait_for(
        lambda: any(name.endswith(".part") for name in folder_files(application.pk)),
        "worker A writing the PDF",
        worker_a,
    )

    stop(worker_a, signal.SIGKILL)

    # Killed mid-write: the row is not done and refers to no file; only the marked temporary file is on disk.
    notice = AwardNotice.objects.get(application=application)
    assert notice.status == NoticeStatus.RENDERING
    assert not notice.file
    assert notice.sha256 == ""
    assert all(name.endswith(".part") for name in folder_files(application.pk))

    # Worker B: Redis redelivers the unacknowledged task once its visibility timeout (3 s here) has passed.
    # Nothing is enqueued again.
    workers(worker_queue, NOTICE_TEST_VISIBILITY_TIMEOUT="3")
    wait_for(lambda: notice_status(application.pk) == NoticeStatus.DONE, "the redelivered task completing")

    done = assert_one_complete_file(application.pk)  # the half-written file was swept
    assert done.verification_code == notice.verification_code
    assert done.generation == 1
