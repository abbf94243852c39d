"""Allocation runs (足额或折算) and cap sweeps through the services and the eager Celery task."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from allocations.models import AllocationLine, AllocationRun, CapSweepChange, RunStatus
from allocations.services import compare_with_previous, start_allocation, sweep_caps
from applications.models import Application
from core.exceptions import Conflict
from programs.models import OrganisationAnnualCap, ProgramBudget
from publicity.services import open_publicity_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved_five(make_application, fixed_program, open_call):
    """Five approved applications of 150万 each: 750万 of standard amounts."""
    fixed_program.unit_amount = Decimal("1500000.00")
    fixed_program.save()
    ProgramBudget.objects.create(program=fixed_program, year=open_call.year, amount=Decimal("6000000.00"))
    return [make_application("approved") for _ in range(5)]


def run(call, actor, django_capture_on_commit_callbacks) -> AllocationRun:
    with django_capture_on_commit_callbacks(execute=True):
        started = start_allocation(call=call, actor=actor)
    started.refresh_from_db()
    return started


def test_a_short_budget_is_shared_pro_rata_with_factor_0_8(
    approved_five, open_call, roles, django_capture_on_commit_callbacks
):
    """SPEC §3: budget 600万, standard total 750万 → f = 0.8."""
    result = run(open_call, roles["approver"], django_capture_on_commit_callbacks)

    assert result.status == RunStatus.DONE
    (program_result,) = result.programs.all()
    assert program_result.standard_total == Decimal("7500000.00")
    assert program_result.factor == Decimal("0.800000")
    assert program_result.allocated_total == Decimal("6000000.00")
    assert not program_result.fully_funded
    assert set(Application.objects.values_list("allocated_amount", flat=True)) == {Decimal("1200000.00")}
    assert AllocationLine.objects.filter(run=result).count() == 5


def test_a_budget_that_covers_everything_pays_every_standard_amount(
    approved_five, open_call, roles, fixed_program, django_capture_on_commit_callbacks
):
    ProgramBudget.objects.filter(program=fixed_program).update(amount=Decimal("9000000.00"))

    result = run(open_call, roles["approver"], django_capture_on_commit_callbacks)

    (program_result,) = result.programs.all()
    assert program_result.fully_funded
    assert program_result.factor is None
    assert set(Application.objects.values_list("allocated_amount", flat=True)) == {Decimal("1500000.00")}


def test_uneven_amounts_are_floored_to_the_whole_yuan(
    make_application, fixed_program, open_call, roles, django_capture_on_commit_callbacks
):
    fixed_program.unit_amount = Decimal("100000.00")
    fixed_program.save()
    ProgramBudget.objects.create(program=fixed_program, year=open_call.year, amount=Decimal("200000.00"))
    for _ in range(3):
        make_application("approved")

    result = run(open_call, roles["approver"], django_capture_on_commit_callbacks)

    # 100000 × 200000 / 300000 = 66666.67 → 66666 each; 2 yuan stay in the budget.
    assert set(Application.objects.values_list("allocated_amount", flat=True)) == {Decimal("66666.00")}
    assert result.programs.get().allocated_total == Decimal("199998.00")


def test_a_rerun_with_unchanged_inputs_gives_identical_results(
    approved_five, open_call, roles, django_capture_on_commit_callbacks
):
    first = run(open_call, roles["approver"], django_capture_on_commit_callbacks)
    second = run(open_call, roles["approver"], django_capture_on_commit_callbacks)

    def lines(r):
        return sorted(r.lines.values_list("application_id", "standard_amount", "allocated_amount"))

    assert lines(first) == lines(second)
    assert second.cap_sweep.changed == 0
    comparison = compare_with_previous(second)
    assert comparison["previous"] == first
    assert comparison["changed_applications"] == 0


def test_amounts_freeze_once_publicity_opens(approved_five, open_call, roles, django_capture_on_commit_callbacks):
    run(open_call, roles["approver"], django_capture_on_commit_callbacks)
    open_publicity_notice(call=open_call, actor=roles["approver"])

    with pytest.raises(Conflict) as excinfo:
        start_allocation(call=open_call, actor=roles["approver"])

    assert excinfo.value.code == "allocation_frozen"
    assert AllocationRun.objects.count() == 1


def test_a_missing_budget_fails_the_run_and_changes_no_amount(
    make_application, open_call, roles, django_capture_on_commit_callbacks
):
    make_application("approved")

    result = run(open_call, roles["approver"], django_capture_on_commit_callbacks)

    assert result.status == RunStatus.FAILED
    assert "未设置" in result.error
    assert list(Application.objects.values_list("allocated_amount", flat=True)) == [None]


@pytest.mark.parametrize("role", ["owner", "intake", "finance", "expert"])
def test_only_approvers_and_administrators_start_a_run(open_call, roles, role):
    with pytest.raises(PermissionDenied):
        start_allocation(call=open_call, actor=roles[role])


def test_the_cap_sweep_records_what_a_lowered_cap_changed_and_is_idempotent(
    make_application, open_call, roles, fixed_program
):
    fixed_program.unit_amount = Decimal("500000.00")
    fixed_program.save()
    first, second = make_application("approved"), make_application("approved")
    OrganisationAnnualCap.objects.create(year=open_call.year, amount=Decimal("800000.00"))  # set after approval

    sweep = sweep_caps(call=open_call, actor=roles["approver"])
    again = sweep_caps(call=open_call, actor=roles["approver"])

    change = CapSweepChange.objects.get(sweep=sweep)
    assert change.application == second  # approved later, so it is the one cut
    assert (change.standard_before, change.standard_after) == (Decimal("500000.00"), Decimal("300000.00"))
    assert change.reason_code == "organisation_cap_reached"
    assert again.changed == 0
    first.refresh_from_db()
    assert first.standard_amount == Decimal("500000.00")


def test_the_sweep_command_runs_for_a_call(make_application, open_call, fixed_program, capsys):
    make_application("approved")
    fixed_program.max_units_per_year = 0
    fixed_program.save()

    call_command("sweep_caps", str(open_call.pk))

    out = capsys.readouterr().out
    assert "1 checked, 1 changed" in out
    assert Application.objects.get().standard_amount == Decimal("0.00")


def _queries_for_allocation(make_application, open_call, roles, count: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from allocations.services import execute_allocation

    for _ in range(count):
        make_application("approved")
    run_row = AllocationRun.objects.create(call=open_call, started_by=roles["approver"], total=count)
    with CaptureQueriesContext(connection) as queries:
        execute_allocation(run_id=run_row.pk)
    run_row.refresh_from_db()
    assert run_row.status == RunStatus.DONE
    return len(queries)


def test_an_allocation_uses_the_same_number_of_queries_for_5_and_for_50_applications(
    make_application, open_call, roles, fixed_program
):
    ProgramBudget.objects.create(program=fixed_program, year=open_call.year, amount=Decimal("1000000.00"))

    five = _queries_for_allocation(make_application, open_call, roles, 5)
    Application.objects.update(allocated_amount=None)
    fifty = _queries_for_allocation(make_application, open_call, roles, 45)

    assert five == fifty


def test_the_sweep_task_reports_changes_and_ignores_a_missing_call(make_application, open_call, fixed_program):
    from allocations.tasks import sweep_caps_task

    make_application("approved")
    fixed_program.max_units_per_year = 0
    fixed_program.save()

    assert sweep_caps_task(call_id=open_call.pk) == 1
    assert sweep_caps_task(call_id=open_call.pk) == 0
    assert sweep_caps_task(call_id=999999) == 0
