"""Load benchmark: the deadline-day surge through the REST API, on gunicorn + PostgreSQL + Redis.

N concurrent applicants, each a different enterprise with its own API token, create a P8-3 draft, fill it (two
certificates, targets, declarations), upload the five required scans and submit it, in the last minutes of an
open call. Beside them, one client keeps calling a trivial endpoint (``/healthz``: one SELECT, one Redis PING), so
the cost of the surge on everybody else shows in the same run.

Run (PostgreSQL and Redis on their standard ports; the script makes its own database ``portal_load``):

    .venv/bin/python benchmarks/load.py                    # 10, 50 and 100 users, 3 applications each
    .venv/bin/python benchmarks/load.py --think 1       # each applicant pauses about 1 s before each request
    .venv/bin/python benchmarks/load.py --users 50 --flows 5 --workers 2 --threads 8

It prints, per level: throughput, latency percentiles per step and overall, the trivial endpoint's percentiles,
errors by status, and a check of the database: every submitted application is there exactly once, nothing lost
and nothing duplicated. The Celery tasks the submissions queue (notifications) stay in the Redis list; no worker
runs, as in a deployment where workers sit on other machines.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE_NAME = os.environ.get("LOAD_DATABASE_NAME", "portal_load")
HOST = "127.0.0.1"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
) + b"0" * 60_000  # a scan-sized body (about 60 KB)
PASSWORD = "load-test-pass-2026"  # noqa: S105 - throwaway accounts in a throwaway database


# --- set-up --------------------------------------------------------------------------------------------------


def server_env(args: argparse.Namespace, media: str) -> dict[str, str]:
    database_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + DATABASE_NAME
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": "load-benchmark-" + "x" * 40,
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database_url,
        "REDIS_URL": args.redis_url,
        "MEDIA_ROOT": media,
        "DB_POOL_MAX": str(args.pool),
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        "GUNICORN_BIND": f"{HOST}:{args.port}",
        "LOG_LEVEL": "WARNING",
        "LOAD_BENCHMARK_FLOOR": "1",  # serves /load-floor, the constant-JSON floor
    }


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE_NAME}")


SEED = """
import sys
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.utils import timezone
from accounts.tokens import issue_token

from accounts.models import Membership, Organisation, User
from accounts.rules import build_uscc
from programs.models import Call, Program, ProgramBudget

count = int(sys.argv[1])
call_command("sync_roles", verbosity=0)
call_command("seed_programs", verbosity=0)
now = timezone.now()
program = Program.objects.get(code="P8-3")
# The last minutes of a call: it closes in 20 minutes.
call = Call.objects.create(year=now.year, title="截止日压力测试", opens_at=now - timedelta(days=30),
                           closes_at=now + timedelta(minutes=20))
call.programs.set(Program.objects.all())
ProgramBudget.objects.update_or_create(program=program, year=now.year, defaults={"amount": Decimal("50000000")})
password = make_password(sys.argv[2])
users = User.objects.bulk_create(
    User(email=f"load{i}@example.cn", password=password, is_active=True) for i in range(count)
)
organisations = Organisation.objects.bulk_create(
    Organisation(
        uscc=build_uscc(f"91440300{i:09d}"), name=f"压力测试企业{i}", org_type="enterprise", founded_on="2015-01-01",
        district="nanshan", registered_address="深圳市南山区", legal_representative="张三", contact_person="李四",
        contact_phone="0755-86000000", contact_email=f"load{i}@example.cn",
    )
    for i in range(count)
)
Membership.objects.bulk_create(
    Membership(user=u, organisation=o, role="admin") for u, o in zip(users, organisations, strict=True)
)
tokens = [issue_token(user=u)[1] for u in users]
kinds = list(program.attachment_requirements.filter(is_required=True).values_list("kind", flat=True))
import json
print(json.dumps({"call": call.pk, "kinds": kinds, "tokens": tokens}))
"""


def seed(env: dict[str, str], count: int) -> dict:
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            SEED.replace("sys.argv[1]", str(count)).replace("sys.argv[2]", repr(PASSWORD)),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def start_server(env: dict[str, str]) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "--config",
            "deploy/gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    port = int(env["GUNICORN_BIND"].rsplit(":", 1)[1])
    for _ in range(100):
        try:
            status, _body, _ms = request(Client(port), "GET", "/healthz")
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not become healthy")


# --- the client ----------------------------------------------------------------------------------------------


class Client:
    """One keep-alive connection, as one browser or API client would hold."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)


def request(client: Client, method: str, path: str, body: bytes | None = None, content_type: str = "") -> tuple:
    headers = {"Host": HOST, "X-Forwarded-Proto": "https", "Accept": "application/json"}
    if client.token:
        headers["Authorization"] = f"Token {client.token}"
    if content_type:
        headers["Content-Type"] = content_type
    started = time.perf_counter()
    try:
        client.conn.request(method, path, body=body, headers=headers)
        response = client.conn.getresponse()
        data = response.read()
    except (OSError, http.client.HTTPException):
        client.conn.close()
        client.conn = http.client.HTTPConnection(HOST, client.port, timeout=60)
        raise
    elapsed_ms = (time.perf_counter() - started) * 1000
    return response.status, data, elapsed_ms


def multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Results:
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    flows_ok: int = 0
    flows_failed: int = 0
    submitted_ids: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, step: str, status: int | str, elapsed_ms: float, expected: int) -> bool:
        with self.lock:
            self.samples[step].append(elapsed_ms)
            if status != expected:
                self.errors[f"{step} {status}"] += 1
                return False
        return True


def one_application(
    client: Client, call_id: int, kinds: list[str], results: Results, seq: int, think: float, rng: random.Random
) -> None:
    """Create, fill, upload and submit one application; every step is timed.

    Before each request the applicant "thinks" for 0.5 to 1.5 times ``think`` seconds (0: back to back).
    """

    def step(name: str, method: str, path: str, expected: int, body=None, content_type: str = "") -> dict | None:
        if think:
            time.sleep(think * rng.uniform(0.5, 1.5))
        try:
            status, data, elapsed = request(client, method, path, body, content_type)
        except (OSError, http.client.HTTPException) as exc:
            results.record(name, type(exc).__name__, 0.0, expected)
            return None
        if not results.record(name, status, elapsed, expected):
            return None
        return json.loads(data) if data else {}

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    created = step(
        "create",
        "POST",
        "/api/v1/applications/",
        201,
        json.dumps({"call": call_id, "program": "P8-3"}).encode(),
        "application/json",
    )
    if created is None:
        return fail(results)
    pk = created["id"]
    filled = step(
        "fill",
        "PATCH",
        f"/api/v1/applications/{pk}/",
        200,
        json.dumps(
            {
                "units": [
                    {"key": f"CGP-{client.token[:8]}-{seq}-{n}", "claim_amount": amount, "issued_on": today}
                    for n, amount in ((1, "50000"), (2, "36000"))
                ],
                "targets": [{"indicator": "绿色产品销售额", "target": "1200", "unit": "万元"}],
                "declarations": {"truthful": True, "no_duplicate_funding": True, "accept_adjustment": True},
            }
        ).encode(),
        "application/json",
    )
    if filled is None:
        return fail(results)
    for kind in [*kinds, *(["certificate"] if "certificate" in kinds else [])]:
        body, content_type = multipart({"kind": kind}, f"{kind}.pdf", PDF)
        if step("upload", "POST", f"/api/v1/applications/{pk}/attachments/", 201, body, content_type) is None:
            return fail(results)
    submitted = step(
        "submit",
        "POST",
        f"/api/v1/applications/{pk}/transitions/",
        200,
        json.dumps({"name": "submit"}).encode(),
        "application/json",
    )
    if submitted is None or submitted.get("state") != "submitted":
        return fail(results)
    with results.lock:
        results.flows_ok += 1
        results.submitted_ids.append(pk)


def fail(results: Results) -> None:
    with results.lock:
        results.flows_failed += 1


def probe(port: int, stop: threading.Event, results: Results) -> None:
    client = Client(port)
    while not stop.is_set():
        try:
            status, _data, elapsed = request(client, "GET", "/healthz")
        except (OSError, http.client.HTTPException) as exc:
            results.record("trivial /healthz", type(exc).__name__, 0.0, 200)
            continue
        results.record("trivial /healthz", status, elapsed, 200)
        time.sleep(0.05)


def cpu_seconds(server_sid: int) -> dict[str, float]:
    """CPU time (user + system) used so far by the server (gunicorn's session), PostgreSQL and this client, from
    /proc (Linux): the difference over a run, divided by its requests, is what one request costs each."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"server": 0.0, "postgres": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        # fields[3] is the session id; [11], [12] utime, stime; [13], [14] the children's reaped
        seconds = sum(int(f) for f in fields[11:15]) / tick
        if int(fields[3]) == server_sid:
            used["server"] += seconds
        elif name == "postgres":
            used["postgres"] += seconds
    times = os.times()
    used["client"] = times.user + times.system
    return used


def cpu_per_request(before: dict[str, float], after: dict[str, float], requests: int) -> str:
    return ", ".join(
        f"{k} {(after[k] - before[k]) * 1000 / max(requests, 1):.1f} ms" for k in ("server", "postgres", "client")
    )


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def run_level(
    port: int, users: int, flows: int, tokens: list[str], call_id: int, kinds: list[str], think: float
) -> Results:
    results = Results()
    stop = threading.Event()
    barrier = threading.Barrier(users)

    def applicant(index: int) -> None:
        clients = [Client(port, tokens[index * flows + n]) for n in range(flows)]
        rng = random.Random(index)
        barrier.wait()
        for seq, client in enumerate(clients):
            one_application(client, call_id, kinds, results, seq, think, rng)
            client.conn.close()

    prober = threading.Thread(target=probe, args=(port, stop, results), daemon=True)
    prober.start()
    threads = [threading.Thread(target=applicant, args=(i,)) for i in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.elapsed = time.perf_counter() - started
    stop.set()
    prober.join()
    return results


def run_floor(port: int, users: int, count: int) -> tuple[float, list[float]]:
    """The floor at the same concurrency: ``users`` clients each send ``count`` GETs of the constant-JSON view back
    to back. Return (requests/s, latencies in ms)."""
    samples: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(users)

    def client() -> None:
        connection = Client(port)
        mine = []
        barrier.wait()
        for _ in range(count):
            status, _body, elapsed_ms = request(connection, "GET", "/load-floor")
            if status != 200:
                raise SystemExit(f"floor answered {status}")
            mine.append(elapsed_ms)
        connection.conn.close()
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(samples) / (time.perf_counter() - started), samples


def report_floor(results: Results, floor_rate: float, floor_samples: list[float], api_cpu: str, floor_cpu: str) -> None:
    steps = [s for s in ("create", "fill", "upload", "submit") if s in results.samples]
    api = [v for s in steps for v in results.samples[s]]
    rate = len(api) / results.elapsed
    print(
        f"floor (constant JSON, same concurrency, back to back): {floor_rate:.1f} requests/s, "
        f"p50 {percentile(floor_samples, 50):.0f} ms, p95 {percentile(floor_samples, 95):.0f} ms; "
        f"API {rate:.1f} requests/s, p95 {percentile(api, 95):.0f} ms; ratio {rate / floor_rate:.3f} (goal >= 0.25)"
    )
    print(f"CPU a request (the probe's included): API {api_cpu}; floor {floor_cpu}")


def report(users: int, results: Results) -> None:
    steps = [s for s in ("create", "fill", "upload", "submit") if s in results.samples]
    api = [v for s in steps for v in results.samples[s]]
    trivial = results.samples.get("trivial /healthz", [])
    print(f"\n== {users} concurrent applicants ==")
    print(
        f"applications submitted {results.flows_ok}, failed {results.flows_failed} in {results.elapsed:.1f} s: "
        f"{results.flows_ok / results.elapsed:.1f} applications/s, {len(api) / results.elapsed:.1f} API requests/s"
    )
    print(f"{'step':<18}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, values in [*((s, results.samples[s]) for s in steps), ("all API", api), ("trivial /healthz", trivial)]:
        if values:
            print(
                f"{name:<18}{len(values):>7}{percentile(values, 50):>9.0f}{percentile(values, 95):>9.0f}"
                f"{percentile(values, 99):>9.0f}{max(values):>9.0f}"
            )
    print("errors:", dict(results.errors) or "none")


def check_database(env: dict[str, str], expected_ids: list[int]) -> None:
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT organisation_id, count(*) FROM applications_application GROUP BY organisation_id"
        ).fetchall()
        submitted = {
            r[0] for r in conn.execute("SELECT id FROM applications_application WHERE state = 'submitted'").fetchall()
        }
        events = conn.execute("SELECT count(*) FROM applications_applicationevent WHERE name = 'submit'").fetchone()[0]
    duplicated = [org for org, count in rows if count > 1]
    lost = set(expected_ids) - submitted
    extra = submitted - set(expected_ids)
    print(
        f"\ndatabase: {len(submitted)} submitted applications, {events} submit events; "
        f"lost {len(lost)}, unexpected {len(extra)}, organisations with more than one application {len(duplicated)}"
    )
    if lost or extra or duplicated or events != len(submitted):
        raise SystemExit("database check FAILED")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--flows", type=int, default=3, help="applications per user (each for its own enterprise)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per process")
    parser.add_argument("--pool", type=int, default=8, help="PostgreSQL connections per process")
    parser.add_argument(
        "--think", type=float, default=0.0, help="seconds an applicant pauses before each request (0: back to back)"
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--redis-url", default=os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/9"))
    args = parser.parse_args()

    media = tempfile.mkdtemp(prefix="portal-load-media-")
    env = server_env(args, media)
    warm = args.workers * args.threads  # one warm-up application per server thread
    total = sum(args.users) * args.flows + warm
    print(
        f"load: gunicorn {args.workers} processes x {args.threads} threads (pool {args.pool}), "
        f"{os.cpu_count()} CPUs, PostgreSQL {DATABASE_NAME}, Redis {args.redis_url}; "
        f"{args.flows} applications per user, think time {args.think} s"
    )
    recreate_database()
    seeded = seed(env, total)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    server = start_server(env)
    submitted: list[int] = []
    try:
        # Warm the server before anything is timed: each process imports its views, URL patterns and
        # translations on its first requests; the floor, measured after the API run, would otherwise be the only
        # side served warm. One application per server thread, and as many floor requests; not counted.
        warming = run_level(args.port, warm, 1, seeded["tokens"][:warm], seeded["call"], seeded["kinds"], 0.0)
        run_floor(args.port, warm, 8)
        submitted.extend(warming.submitted_ids)
        print(f"warm-up: {warming.flows_ok} applications, errors: {dict(warming.errors) or 'none'}")
        offset = warm
        for users in args.users:
            tokens = seeded["tokens"][offset : offset + users * args.flows]
            offset += users * args.flows
            before = cpu_seconds(server.pid)
            results = run_level(args.port, users, args.flows, tokens, seeded["call"], seeded["kinds"], args.think)
            between = cpu_seconds(server.pid)
            report(users, results)
            floor_rate, floor_samples = run_floor(args.port, users, 8 * args.flows)
            after = cpu_seconds(server.pid)
            requests = sum(len(v) for v in results.samples.values())
            report_floor(
                results,
                floor_rate,
                floor_samples,
                cpu_per_request(before, between, requests),
                cpu_per_request(between, after, len(floor_samples)),
            )
            submitted.extend(results.submitted_ids)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(media, ignore_errors=True)
    queued = redis.Redis.from_url(args.redis_url).llen("celery")
    print(f"celery tasks queued for the workers: {queued}")
    check_database(env, submitted)


if __name__ == "__main__":
    main()
