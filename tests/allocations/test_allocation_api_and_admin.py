from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from allocations.models import AllocationRun
from programs.models import ProgramBudget

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(make_application, fixed_program, open_call):
    ProgramBudget.objects.create(program=fixed_program, year=open_call.year, amount=Decimal("450000.00"))
    return [make_application("approved") for _ in range(2)]  # 2 × 300000 against 450000 → factor 0.75


def test_the_approver_starts_a_run_through_the_api_and_reads_the_totals(
    approved, open_call, roles, django_capture_on_commit_callbacks
):
    api = APIClient()
    api.force_authenticate(roles["approver"])
    url = reverse("api:allocation-runs", args=[open_call.pk])

    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(url)
    listed = api.get(url)

    assert created.status_code == 201
    (run,) = listed.json()
    assert run["status"] == "done"
    assert run["progress"] == 2
    (program,) = run["programs"]
    assert (program["standard_total"], program["allocated_total"], program["factor"]) == (
        "600000.00",
        "450000.00",
        "0.750000",
    )


@pytest.mark.parametrize(("role", "status"), [("owner", 403), ("intake", 403), ("finance", 403), ("expert", 403)])
def test_other_roles_may_not_start_or_list_runs(open_call, roles, role, status):
    api = APIClient()
    api.force_authenticate(roles[role])
    url = reverse("api:allocation-runs", args=[open_call.pk])

    assert api.post(url).status_code == status
    assert api.get(url).status_code == status
    assert AllocationRun.objects.count() == 0


def test_anonymous_is_refused():
    assert APIClient().post(reverse("api:allocation-runs", args=[1])).status_code in (401, 403)


def test_the_approver_runs_the_allocation_from_the_admin_and_sees_the_totals(
    approved, open_call, roles, client, django_capture_on_commit_callbacks
):
    client.force_login(roles["approver"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:allocations_allocationrun_add"), {"call": open_call.pk})
    page = client.get(response.url).content.decode()

    assert response.status_code == 302
    assert "450,000.00元" in page
    assert "折算 ×0.750000" in page


def test_a_frozen_call_is_refused_in_the_admin_with_a_message(
    approved, open_call, roles, client, django_capture_on_commit_callbacks
):
    from tests import stages

    stages.publish(approved, roles)
    client.force_login(roles["approver"])

    response = client.post(reverse("admin:allocations_allocationrun_add"), {"call": open_call.pk})

    assert response.status_code == 200
    assert "资助金额已锁定" in response.content.decode()
