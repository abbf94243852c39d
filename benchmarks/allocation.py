"""Benchmark: allocation of N approved applications across the nine programs.

Run: .venv/bin/python benchmarks/allocation.py [N ...]      (default 1000 10000)
Prints, for each N, the project's time and statements for one run (cap sweep + allocation), its floor measured
in the same run (one grouped query + one UPDATE, committed as the project's run is), and the ratio; medians of
three, project and floor interleaved, the tables vacuumed before each timed run. The statement count must not grow
with N. Statements are counted by an execute wrapper that only counts (Django's debug cursor, which
``CaptureQueriesContext`` turns on, composes every statement's SQL with its parameters: overhead the product never
has).
Uses a throwaway test database: SQLite by default, PostgreSQL when DATABASE_URL is set.
"""

import random
import statistics
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


def floor(call) -> float:
    """The floor of an allocation: one grouped query (each program's standard total) and one UPDATE writing every
    application's allocated amount (the program's factor applied, rounded down to the yuan). Committed, as the
    project's run is: making the write durable is part of the work. The project's next run rewrites every allocated
    amount of the call and reads none of them (only frozen applications' amounts count, and these are approved),
    so the committed floor changes neither what the project does nor its result."""
    from django.db import connection, transaction

    table = "applications_application"
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT program_id, SUM(standard_amount) FROM {table} "  # noqa: S608
            "WHERE call_id = %s AND state = 'approved' GROUP BY program_id",
            [call.pk],
        )
        totals = cursor.fetchall()
        factors = [(pk, min(Decimal("1"), Decimal("20000000") / total) if total else 1) for pk, total in totals]
        values = ", ".join(["(%s::bigint, %s::numeric)"] * len(factors)) if connection.vendor == "postgresql" else ""
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS a SET allocated_amount = FLOOR(a.standard_amount * f.factor) "  # noqa: S608
                f"FROM (VALUES {values}) AS f(program_id, factor) "
                "WHERE a.program_id = f.program_id AND a.call_id = %s AND a.state = 'approved'",
                [x for pair in factors for x in pair] + [call.pk],
            )
        else:
            cases = " ".join("WHEN %s THEN %s" for _ in factors)
            cursor.execute(
                f"UPDATE {table} SET allocated_amount = CAST(standard_amount * "  # noqa: S608
                f"(CASE program_id {cases} END) AS INTEGER) WHERE call_id = %s AND state = 'approved'",
                [str(x) for pair in factors for x in pair] + [call.pk],
            )
    return time.perf_counter() - started


def vacuum() -> None:
    """Clear the dead row versions the previous run left, so each timed run starts from the same tables."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in (
            "applications_application",
            "applications_applicationunit",
            "allocations_allocationline",
            "applications_organisationyear",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def measure(n: int, repeats: int = 3) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.test.utils import override_settings

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
    project_times, floor_times, statements, outcomes = [], [], set(), []
    # Project and floor interleaved, each run a fresh allocation run of the same call (a re-run is allowed until
    # publicity opens), medians of ``repeats``.
    for _ in range(repeats):
        # Queue without running (so start and execute are timed apart), then execute as the worker would.
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="memory://"), transaction.atomic():
            run = start_allocation(call=call, actor=approver)
        vacuum()
        count = [0]

        def counting(execute, sql, params, many, context, count=count):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counting):
            started = time.perf_counter()
            run = execute_allocation(run_id=run.pk)
            project_times.append(time.perf_counter() - started)
        statements.add(count[0])
        run = AllocationRun.objects.get(pk=run.pk)
        if run.status != "done":
            raise SystemExit(f"allocation run ended {run.status}: {run.error}")
        # The committed floor between runs must not change the project's result.
        outcome = sorted(run.programs.values_list("program_id", "standard_total", "allocated_total", "factor"))
        if outcomes and outcome != outcomes[0]:
            raise SystemExit("allocation result changed between runs")
        outcomes.append(outcome)
        vacuum()
        floor_times.append(floor(call))
    totals = run.programs.all()
    factor_min = min((r.factor for r in totals if r.factor is not None), default=None)
    project, bottom = statistics.median(project_times), statistics.median(floor_times)
    print(
        f"allocation n={n:>6}: project {project:6.2f} s ({'/'.join(map(str, sorted(statements)))} statements), "
        f"floor {bottom:5.2f} s (2 statements), ratio {project / bottom:5.1f}x; "
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
