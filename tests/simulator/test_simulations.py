"""The policy simulator on real applications: the demo call under the 2023 rules, nothing live changed, who may use it,
the XLSX export and constant queries."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from applications.models import Application
from programs.models import Call, Program, RuleSet
from programs.services import copy_rule_set
from simulator.models import Simulation, SimulationLine
from simulator.services import execute_simulation, start_simulation
from tests import stages
from tests.factories import MembershipFactory, StaffFactory

pytestmark = pytest.mark.django_db

# Every table of the workflow, the catalogue and the money: a simulation must leave each row as it was.
LIVE_APPS = ("accounts", "programs", "applications", "review", "allocations", "notices", "publicity", "payouts")


def snapshot() -> dict[str, list[tuple]]:
    tables = {}
    for label in LIVE_APPS:
        for model in apps.get_app_config(label).get_models():
            tables[model._meta.db_table] = list(model._base_manager.order_by("pk").values_list())
    return tables


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    call_command("seed_programs", verbosity=0)
    call_command("sync_roles", verbosity=0)
    call_command("seed_demo", "--with-samples", verbosity=0)
    call_command("seed_programs", "--rules", "2023", verbosity=0)


def simulate(call: Call, candidate: RuleSet, actor: User, capture, **options) -> Simulation:
    with capture(execute=True):
        simulation = start_simulation(call=call, candidate=candidate, actor=actor, **options)
    return Simulation.objects.get(pk=simulation.pk)


def test_the_demo_call_under_the_2023_rules_moves_p8_3_to_the_carbon_footprint_project_and_changes_nothing_live(
    demo, client, django_capture_on_commit_callbacks
):
    approver = User.objects.get(email="approver@demo.local")
    final = RuleSet.objects.get(code="final-2023")
    carbon = Program.objects.get(code="F23-03")
    # The demo's P8-3 application: two certificates claimed at 4.8万 and 6.2万, awarded 9.8万 under the draft.
    application = Application.objects.get(program__code="P8-3")
    client.force_login(approver)
    before = snapshot()
    simulation = simulate(
        application.call,
        final,
        approver,
        django_capture_on_commit_callbacks,
        budgets={carbon.pk: Decimal("88000.00")},
    )
    assert snapshot() == before

    assert simulation.status == "done"
    line = SimulationLine.objects.get(simulation=simulation, application=application)
    assert line.base_program.code == "P8-3" and line.candidate_program == carbon
    assert line.base_standard == Decimal("98000.00")  # 4.8万 + min(6.2万, 5万)
    assert line.base_allocated == application.allocated_amount == Decimal("98000.00")
    assert line.candidate_standard == Decimal("110000.00")  # 4.8万 + 6.2万, both under 10万
    assert line.candidate_factor == Decimal("0.800000")  # 8.8万 / 11万
    assert line.candidate_allocated == Decimal("88000.00")
    assert line.delta == Decimal("-10000.00")
    assert simulation.summary["mapping"]["P8-3"] == "F23-03"

    page = client.get(reverse("admin:simulator_simulation_change", args=[simulation.pk])).content.decode()
    assert "F23-03 大湾区碳足迹标识认证项目" in page
    assert "×0.800000" in page
    assert "110,000.00元" in page and "88,000.00元" in page
    assert "<svg" in page
    assert snapshot() == before


def test_the_current_demo_call_shows_a_program_without_counterpart_as_a_loss(demo, django_capture_on_commit_callbacks):
    approver = User.objects.get(email="approver@demo.local")
    call = Call.objects.filter(applications__program__code="P9-3").get()
    simulation = simulate(call, RuleSet.objects.get(code="final-2023"), approver, django_capture_on_commit_callbacks)
    line = SimulationLine.objects.get(simulation=simulation, base_program__code="P9-3")
    assert line.candidate_program is None
    assert line.candidate_allocated == 0 and line.delta == -line.base_allocated < 0
    assert line.note == "该规则集中没有对应项目"
    # Drafts are not applications yet: the demo's P9-2 draft is left out.
    assert not SimulationLine.objects.filter(simulation=simulation, base_program__code="P9-2").exists()


def test_an_edited_copy_of_the_2023_rules_is_compared(demo, django_capture_on_commit_callbacks):
    administrator = User.objects.get(email="admin@demo.local")
    copy = copy_rule_set(rule_set=RuleSet.objects.get(code="final-2023"), actor=administrator)
    carbon = copy.programs.get(code="F23-03.1")
    carbon.unit_amount = Decimal("30000.00")
    carbon.save()
    application = Application.objects.get(program__code="P8-3")
    simulation = simulate(application.call, copy, administrator, django_capture_on_commit_callbacks)
    line = SimulationLine.objects.get(simulation=simulation, application=application)
    assert line.candidate_program == carbon
    assert line.candidate_standard == Decimal("60000.00")
    assert line.candidate_factor is None  # the 600万 default is far from binding


@pytest.fixture
def staff_users(db):
    call_command("sync_roles", verbosity=0)
    users = {}
    for key, group in (
        ("intake", "受理员"),
        ("expert", "评审专家"),
        ("approver", "审定人"),
        ("finance", "财务人员"),
        ("administrator", "系统管理员"),
    ):
        users[key] = StaffFactory()
        users[key].groups.add(Group.objects.get(name=group))
    return users


def test_only_approvers_and_administrators_use_the_simulator(client, staff_users, open_call, roles):
    call_command("seed_programs", "--rules", "2023", verbosity=0)
    final = RuleSet.objects.get(code="final-2023")
    simulation = start_simulation(call=open_call, candidate=final, actor=staff_users["approver"])
    execute_simulation(simulation_id=simulation.pk)
    urls = [
        reverse("admin:simulator_simulation_changelist"),
        reverse("admin:simulator_simulation_add"),
        reverse("admin:simulator_simulation_change", args=[simulation.pk]),
        reverse("admin:simulator_simulation_export", args=[simulation.pk]),
    ]
    for key in ("intake", "expert", "finance"):
        client.force_login(staff_users[key])
        assert [client.get(url).status_code for url in urls] == [403, 403, 403, 403], key
        with pytest.raises(PermissionDenied):
            start_simulation(call=open_call, candidate=final, actor=staff_users[key])
    client.force_login(roles["owner"])  # an applicant: not staff, sent to the admin login
    assert all(client.get(url).status_code == 302 for url in urls)
    for key in ("approver", "administrator"):
        client.force_login(staff_users[key])
        assert [client.get(url).status_code for url in urls] == [200, 200, 200, 200], key
        assert client.get(reverse("admin:simulator_simulation_change", args=[simulation.pk + 99])).status_code == 404
        assert client.get(reverse("admin:simulator_simulation_export", args=[simulation.pk + 99])).status_code == 404
        assert client.get(reverse("admin:simulator_simulation_change", args=["x"])).status_code in (302, 404)
    client.force_login(staff_users["administrator"])
    index = client.get(reverse("admin:index")).content.decode()
    assert "政策模拟" in index


def test_the_form_starts_a_simulation_with_candidate_budgets_and_reports_errors_in_one_round(
    client, staff_users, open_call, make_application, django_capture_on_commit_callbacks
):
    call_command("seed_programs", "--rules", "2023", verbosity=0)
    final = RuleSet.objects.get(code="final-2023")
    carbon = final.programs.get(code="F23-03")
    client.force_login(staff_users["approver"])
    url = reverse("admin:simulator_simulation_add")
    step_two = client.get(url, {"call": open_call.pk, "candidate": final.pk}).content.decode()
    assert f'name="budget_{carbon.pk}"' in step_two and 'value="6000000.00"' in step_two
    assert "金额为暂定默认值" in step_two
    bad = client.post(
        url, {"call": open_call.pk, "candidate": final.pk, "organisation_cap": "-1", f"budget_{carbon.pk}": "abc"}
    )
    assert bad.status_code == 200
    errors = bad.context["form"].errors
    assert {"states", "organisation_cap", f"budget_{carbon.pk}"} <= set(errors)
    assert not Simulation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "call": open_call.pk,
                "candidate": final.pk,
                "states": ["submitted", "accepted", "approved"],
                f"budget_{carbon.pk}": "5000000",
            },
        )
    simulation = Simulation.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{simulation.pk}/change/")
    assert simulation.status == "done"
    assert simulation.candidate_budgets["F23-03"] == "5000000.00"


def test_the_comparison_exports_as_xlsx(demo, client, django_capture_on_commit_callbacks):
    approver = User.objects.get(email="approver@demo.local")
    application = Application.objects.get(program__code="P8-3")
    simulation = simulate(
        application.call, RuleSet.objects.get(code="final-2023"), approver, django_capture_on_commit_callbacks
    )
    client.force_login(approver)
    response = client.get(reverse("admin:simulator_simulation_export", args=[simulation.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["项目对比", "单位对比", "申报明细"]
    lines = list(workbook["申报明细"].iter_rows(values_only=True))
    assert lines[0][0] == "序号"
    row = lines[1]
    assert row[1] == application.reference and row[3] == "已核准（待拨付）"
    assert row[4] == "P8-3" and row[11] == "F23-03"
    assert row[12] == 110000 and row[17] == 110000 and row[18] == 12000


def _submitted(n: int, call: Call, program: Program, roles) -> None:
    from tests.applications.conftest import valid_data

    for _ in range(n):
        stages.make("submitted", call=call, program=program, data=valid_data(), owner=MembershipFactory().user)


def test_a_simulation_and_its_page_take_the_same_number_of_queries_for_more_applications(
    client, staff_users, open_call, fixed_program, roles
):
    call_command("seed_programs", "--rules", "2023", verbosity=0)
    final = RuleSet.objects.get(code="final-2023")
    client.force_login(staff_users["approver"])
    counts = []
    for n in (2, 6):
        _submitted(n, open_call, fixed_program, roles)
        simulation = start_simulation(call=open_call, candidate=final, actor=staff_users["approver"])
        with CaptureQueriesContext(connection) as computing:
            execute_simulation(simulation_id=simulation.pk)
        url = reverse("admin:simulator_simulation_change", args=[simulation.pk])
        with CaptureQueriesContext(connection) as reading:
            assert client.get(url).status_code == 200
        counts.append((len(computing), len(reading)))
    assert counts[0] == counts[1]
