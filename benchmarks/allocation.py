"""Benchmark: allocation of N approved applications across the nine programs.

Run: .venv/bin/python benchmarks/allocation.py [N ...]      (default 1000 10000)
Prints wall time and the number of queries per run; the query count must not grow with N.
Uses a throwaway test database: SQLite by default, PostgreSQL when DATABASE_URL is set.
"""

import random
import sys
import time
from decimal import Decimal

from _setup import django_with_test_database


def build(n: int) -> object:
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Membership, Organisation, User
    from accounts.rules import build_uscc
    from applications.audit import GENESIS_HASH, chain_key, seal
    from applications.models import Application, ApplicationEvent, ApplicationUnit, State
    from programs.models import Call, Program, ProgramBudget

    call_command("seed_programs", verbosity=0)
    programs = list(Program.objects.prefetch_related("tiers"))
    now = timezone.now()
    call = Call.objects.create(
        year=now.year,
        title=f"benchmark {n}",
        opens_at=now - timezone.timedelta(days=30),
        closes_at=now - timezone.timedelta(days=1),
    )
    call.programs.set(programs)
    for program in programs:
        ProgramBudget.objects.update_or_create(program=program, year=now.year, defaults={"amount": Decimal("20000000")})
    user = User.objects.create_user(email=f"bench{n}@example.cn", password="x")
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    organisations = Organisation.objects.bulk_create(
        Organisation(
            uscc=build_uscc("91440300" + "".join(random.choice(alphabet) for _ in range(9))),
            name=f"基准测试企业{n}-{i}",
            org_type="enterprise",
            founded_on="2015-01-01",
            district="nanshan",
            registered_address="深圳",
            legal_representative="张三",
            contact_person="李四",
            contact_phone="0755-86000000",
            contact_email=f"b{i}@example.cn",
        )
        for i in range(max(n // 5, 1))
    )
    Membership.objects.get_or_create(user=user, organisation=organisations[0])
    rng = random.Random(n)
    applications = []
    for i in range(n):
        program = programs[i % len(programs)]
        amount = program.unit_amount or rng.choice(list(program.tiers.all())).amount
        applications.append(
            Application(
                organisation=organisations[i % len(organisations)],
                call=call,
                program=program,
                state=State.APPROVED,
                created_by=user,
                claimed_amount=amount,
                standard_amount=amount,
                submitted_at=now,
            )
        )
    Application.objects.bulk_create(applications, batch_size=2000)
    applications = list(
        Application.objects.filter(call=call).select_related("program").prefetch_related("program__tiers")
    )
    units, events = [], []
    for i, application in enumerate(applications):
        tier = next(iter(application.program.tiers.all()), None)
        units.append(
            ApplicationUnit(
                application=application,
                key=f"K{n}-{i}",
                key_normalised=f"K{n}-{i}",
                tier=tier,
                claim_amount=application.standard_amount if application.program.claim_required else None,
                counted_amount=application.standard_amount,
            )
        )
        # Each application's first event, so its chain starts at the genesis hash.
        events.append(
            seal(
                ApplicationEvent(
                    application=application, name="approve", from_state="accepted", to_state="approved", at=now
                ),
                GENESIS_HASH,
                key=chain_key(),
            )
        )
    ApplicationUnit.objects.bulk_create(units, batch_size=2000)
    ApplicationEvent.objects.bulk_create(events, batch_size=2000)
    return call


def measure(n: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import allocations.services as allocation_services
    from accounts.models import User
    from accounts.services import sync_roles
    from allocations.models import AllocationRun
    from allocations.services import start_allocation

    execute_allocation = allocation_services.execute_allocation

    sync_roles()
    approver, _ = User.objects.get_or_create(email="bench-approver@example.cn", defaults={"is_staff": True})
    approver.groups.add(Group.objects.get(name="审定人"))
    started = time.perf_counter()
    call = build(n)
    built = time.perf_counter() - started
    from django.test.utils import override_settings

    # Queue without running (so start and execute are timed apart), then execute as the worker would.
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="memory://"):
        from django.db import transaction

        with transaction.atomic():
            run = start_allocation(call=call, actor=approver)
            transaction.set_rollback(False)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        run = execute_allocation(run_id=run.pk)
        elapsed = time.perf_counter() - started
    run = AllocationRun.objects.get(pk=run.pk)
    totals = run.programs.all()
    factor_min = min((r.factor for r in totals if r.factor is not None), default=None)
    print(
        f"allocation n={n:>6}: {elapsed:6.2f} s, {len(queries):3d} queries, status={run.status}, "
        f"programs={totals.count()}, smallest factor={factor_min}  (fixture built in {built:.1f} s)"
    )


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
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
