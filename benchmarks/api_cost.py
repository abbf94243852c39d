"""What one applicant's API journey costs the server, step by step: CPU time and statements, in one process.

The steps are the load benchmark's (``load.py``): create a P8-3 draft, fill it (two certificates, a target, the
declarations), upload the five required scans (about 60 KB each) and submit it. Each request goes through Django's
test client into the whole stack (middleware, token authentication, throttles, services, the answer's body) on a
throwaway database, so the figures are the work per request without queueing, network or a second process:
where ``load.py`` shows how the server holds a surge, this shows which request to make cheaper and whether a
change did. Celery tasks are queued, not run (no worker), as on the deployment.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
      .venv/bin/python benchmarks/api_cost.py 30          # 30 journeys, each by its own enterprise
    PROFILE=1 .venv/bin/python benchmarks/api_cost.py 10  # and cProfile's 40 most expensive functions

The test database is ``test_`` + the database name of DATABASE_URL: pick one no test run is using.
"""

import cProfile
import io
import json
import os
import pstats
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from _setup import django_with_test_database

STEPS = ("create", "fill", "upload", "submit")
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n" + b"0" * 60_000
)  # a scan-sized body


def seed(count: int) -> tuple[int, list[str], list[str]]:
    """The nine programs, a call closing in 20 minutes, ``count`` enterprises each with an API token."""
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Membership, Organisation, User
    from accounts.rules import build_uscc
    from accounts.tokens import issue_token
    from programs.models import Call, Program, ProgramBudget

    call_command("sync_roles", verbosity=0)
    call_command("seed_programs", verbosity=0)
    now = timezone.now()
    program = Program.objects.get(code="P8-3")
    call = Call.objects.create(
        year=now.year, title="截止日压力测试", opens_at=now - timedelta(days=30), closes_at=now + timedelta(minutes=20)
    )
    call.programs.set(Program.objects.all())
    ProgramBudget.objects.update_or_create(program=program, year=now.year, defaults={"amount": Decimal("50000000")})
    tokens = []
    for i in range(count):
        user = User.objects.create(email=f"bench{i}@example.cn", is_active=True)
        organisation = Organisation.objects.create(
            uscc=build_uscc(f"91440300{i:09d}"),
            name=f"压力测试企业{i}",
            org_type="enterprise",
            founded_on="2015-01-01",
            district="nanshan",
            registered_address="深圳市南山区",
            legal_representative="张三",
            contact_person="李四",
            contact_phone="0755-86000000",
            contact_email=f"bench{i}@example.cn",
        )
        Membership.objects.create(user=user, organisation=organisation, role="admin")
        tokens.append(issue_token(user=user)[1])
    kinds = list(program.attachment_requirements.filter(is_required=True).values_list("kind", flat=True))
    return call.pk, kinds, tokens


class Meter:
    """CPU seconds and row statements per step."""

    def __init__(self) -> None:
        self.cpu: dict[str, list[float]] = {step: [] for step in STEPS}
        self.statements: dict[str, list[int]] = {step: [] for step in STEPS}

    def run(self, step: str, send) -> dict:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            started = time.process_time()
            response = send()
            spent = time.process_time() - started
        if response.status_code not in (200, 201):
            raise SystemExit(f"{step}: HTTP {response.status_code} {response.content[:300]!r}")
        rows = [q for q in queries.captured_queries if q["sql"].split(None, 1)[0] in {"SELECT", "INSERT", "UPDATE"}]
        self.cpu[step].append(spent)
        self.statements[step].append(len(rows))
        return response.json()

    def clear(self) -> None:
        self.__init__()


def journey(meter: Meter, token: str, call_id: int, kinds: list[str], seq: int) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    created = meter.run(
        "create",
        lambda: client.post(
            "/api/v1/applications/", json.dumps({"call": call_id, "program": "P8-3"}), content_type="application/json"
        ),
    )
    url = f"/api/v1/applications/{created['id']}/"
    fill = {
        "units": [
            {"key": f"CGP-{seq}-{n}", "claim_amount": amount, "issued_on": today}
            for n, amount in ((1, "50000"), (2, "36000"))
        ],
        "targets": [{"indicator": "绿色产品销售额", "target": "1200", "unit": "万元"}],
        "declarations": {"truthful": True, "no_duplicate_funding": True, "accept_adjustment": True},
    }
    meter.run("fill", lambda: client.patch(url, json.dumps(fill), content_type="application/json"))
    for kind in [*kinds, "certificate"]:
        scan = SimpleUploadedFile(f"{kind}.pdf", PDF, content_type="application/pdf")
        meter.run("upload", lambda: client.post(f"{url}attachments/", {"kind": kind, "file": scan}))  # noqa: B023
    submitted = meter.run(
        "submit",
        lambda: client.post(f"{url}transitions/", json.dumps({"name": "submit"}), content_type="application/json"),
    )
    if submitted.get("state") != "submitted":
        raise SystemExit(f"submit answered state {submitted.get('state')!r}")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    teardown = django_with_test_database()
    try:
        from django.conf import settings

        from portal.celery import app as celery_app

        # As deployed: tasks go to the broker (or nowhere without one), not inline into the request.
        settings.CELERY_TASK_ALWAYS_EAGER = False
        celery_app.conf.task_always_eager = False
        call_id, kinds, tokens = seed(count + 1)
        meter = Meter()
        journey(meter, tokens[0], call_id, kinds, 0)  # warm-up: imports, caches, the first connection
        meter.clear()
        profile = cProfile.Profile() if os.environ.get("PROFILE") else None
        if profile:
            profile.enable()
        for seq, token in enumerate(tokens[1:], 1):
            journey(meter, token, call_id, kinds, seq)
        if profile:
            profile.disable()
        report(meter, count, settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1])
        if profile:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(40)
            print(out.getvalue())
    finally:
        teardown()


def report(meter: Meter, count: int, engine: str) -> None:
    print(f"api_cost: {count} journeys on {engine}, CPU time of this process per request (client included)")
    print(f"{'step':8} {'requests':>8} {'median ms':>10} {'mean ms':>8} {'statements':>10}")
    per_journey = 0.0
    for step in STEPS:
        values = sorted(meter.cpu[step])
        per_journey += sum(values) / count
        statements = sorted(set(meter.statements[step]))
        print(
            f"{step:8} {len(values):8} {1000 * values[len(values) // 2]:10.1f} {1000 * sum(values) / len(values):8.1f}"
            f" {'/'.join(map(str, statements)):>10}"
        )
    print(f"one application (create, fill, 5 uploads, submit): {1000 * per_journey:.0f} ms CPU")


if __name__ == "__main__":
    main()
