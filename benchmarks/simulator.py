"""Benchmark: a policy simulation of N applications of the draft's nine items against the final 2023 rules.

Run: .venv/bin/python benchmarks/simulator.py [N ...]      (default 1000 10000)
Prints wall time and the number of queries of `execute_simulation`; the query count must not grow with N.
Uses a throwaway test database: SQLite by default, PostgreSQL when DATABASE_URL is set.
"""

import random
import sys
import time
from decimal import Decimal

from _setup import django_with_test_database

STATES = ("submitted", "accepted", "approved")


def build(n: int) -> object:
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Organisation, User
    from accounts.rules import build_uscc
    from applications.models import Application, ApplicationUnit
    from programs.models import Call, Program, ProgramBudget

    call_command("seed_programs", verbosity=0)
    call_command("seed_programs", "--rules", "2023", verbosity=0)
    programs = list(Program.objects.filter(rule_set__code="draft-2021").prefetch_related("tiers"))
    now = timezone.now()
    call = Call.objects.create(
        year=now.year,
        title=f"simulator benchmark {n}",
        opens_at=now - timezone.timedelta(days=30),
        closes_at=now - timezone.timedelta(days=1),
    )
    call.programs.set(programs)
    for program in programs:
        ProgramBudget.objects.update_or_create(program=program, year=now.year, defaults={"amount": Decimal("20000000")})
    user = User.objects.create_user(email=f"sim-bench{n}@example.cn", password="x")
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    organisations = Organisation.objects.bulk_create(
        Organisation(
            uscc=build_uscc("91440300" + "".join(random.choice(alphabet) for _ in range(9))),
            name=f"模拟基准企业{n}-{i}",
            org_type="enterprise",
            founded_on="2015-01-01",
            district="nanshan",
            registered_address="深圳",
            legal_representative="张三",
            contact_person="李四",
            contact_phone="0755-86000000",
            contact_email=f"s{i}@example.cn",
        )
        for i in range(max(n // 5, 1))
    )
    rng = random.Random(n)
    applications = [
        Application(
            organisation=organisations[i % len(organisations)],
            call=call,
            program=programs[i % len(programs)],
            state=STATES[i % len(STATES)],
            created_by=user,
            submitted_at=now - timezone.timedelta(seconds=n - i),
        )
        for i in range(n)
    ]
    Application.objects.bulk_create(applications, batch_size=2000)
    units = []
    for i, application in enumerate(
        Application.objects.filter(call=call).select_related("program").prefetch_related("program__tiers")
    ):
        tiers = list(application.program.tiers.all())
        for position in range(2 if application.program.unit_key_label else 1):
            key = f"K{n}-{i}-{position}" if application.program.unit_key_label else ""
            units.append(
                ApplicationUnit(
                    application=application,
                    position=position,
                    key=key,
                    key_normalised=key,
                    tier=rng.choice(tiers) if tiers else None,
                    claim_amount=Decimal(rng.randrange(20000, 120000)) if application.program.claim_required else None,
                )
            )
    ApplicationUnit.objects.bulk_create(units, batch_size=2000)
    return call, len(units)


def measure(n: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext, override_settings

    from accounts.models import User
    from accounts.services import sync_roles
    from programs.models import RuleSet
    from simulator.models import Simulation
    from simulator.services import execute_simulation, start_simulation

    sync_roles()
    approver, _ = User.objects.get_or_create(email="sim-bench-approver@example.cn", defaults={"is_staff": True})
    approver.groups.add(Group.objects.get(name="审定人"))
    started = time.perf_counter()
    call, unit_count = build(n)
    built = time.perf_counter() - started
    # Queue without running (so start and execute are timed apart), then execute as the worker would.
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="memory://"), transaction.atomic():
        simulation = start_simulation(call=call, candidate=RuleSet.objects.get(code="final-2023"), actor=approver)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        execute_simulation(simulation_id=simulation.pk)
        elapsed = time.perf_counter() - started
    simulation = Simulation.objects.get(pk=simulation.pk)
    factors = [p["factor"] for p in simulation.summary["candidate"] if p["factor"]]
    print(
        f"simulation n={n:>6} ({unit_count} units): {elapsed:6.2f} s, {len(queries):3d} queries, "
        f"status={simulation.status}, lines={simulation.lines.count()}, candidate programs pro-rated={len(factors)}"
        f"  (fixture built in {built:.1f} s)"
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
