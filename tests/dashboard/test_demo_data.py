"""The three decision tools on the demo data (``seed_demo --with-samples``), as the README walks through them."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import User
from allocations.models import AllocationRun, RunStatus
from allocations.services import execute_allocation, start_allocation
from applications.models import Notification
from dashboard.concentration import call_concentration
from dashboard.decision_pack import pack_facts, render_decision_pack
from dashboard.forecast import call_forecast
from dashboard.services import check_open_forecasts
from programs.models import Call, ProgramBudget
from publicity.models import PublicityEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", "--with-samples", verbosity=0)
    return Call.objects.get(year=timezone.localdate().year)


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_lowered_budget_shows_in_the_forecast_and_tells_the_approver_once(demo, client):
    ProgramBudget.objects.filter(program__code="P9-1", year=demo.year).update(amount=Decimal("200000"))

    row = next(r for r in call_forecast(demo).programs if r.program.code == "P9-1")
    first, second = check_open_forecasts(), check_open_forecasts()

    assert (row.submitted, row.factor_submitted, row.factor_projected) == (
        Decimal("280000.00"),
        Decimal("0.714285"),
        Decimal("0.714285"),
    )
    assert (first.crossed, second.crossed) == (1, 0)
    approver = User.objects.get(email="approver@demo.local")
    (notice,) = Notification.objects.filter(user=approver)
    assert "P9-1" in notice.title
    client.force_login(approver)
    html = client.get(reverse("dashboard:call", args=[demo.pk])).content.decode()
    assert "0.714285 低于预警值（已通知审定人）" in html
    assert reverse("applications:notifications") in html


def test_the_demo_calls_pack_lists_the_approved_sample_with_its_score(demo):
    approver = User.objects.get(email="approver@demo.local")
    run = execute_allocation(run_id=start_allocation(call=demo, actor=approver).pk)
    assert run.status == RunStatus.DONE

    facts = pack_facts(run)
    text = _text(render_decision_pack(run))

    (listed,) = facts["listed"]
    assert (listed["program"], listed["score"], listed["amount"]) == ("P9-3", "80.00", "200000.00")
    assert {row["program"]: row["code"] for row in facts["not_funded"]} == {
        "P9-1": "not_approved",
        "P10-2": "not_approved",
    }
    assert "200,000.00" in text and "80.00" in text and facts["inputs_sha256"] in text.replace("\n", "")


def test_last_years_pack_matches_its_publicity_notice(demo):
    run = AllocationRun.objects.get(call__year=demo.year - 1, status=RunStatus.DONE)

    facts = pack_facts(run)

    entries = set(
        PublicityEntry.objects.filter(notice__call=run.call).values_list("organisation_name", "program_code", "amount")
    )
    assert entries == {(r["organisation"], r["program"], Decimal(r["amount"])) for r in facts["listed"]}
    assert len(facts["publicity"]) == 1 and facts["objections"] == []
    assert "公示期内未收到异议" in _text(render_decision_pack(run))


def test_the_demo_calls_concentration(demo):
    c = call_concentration(demo)

    assert c.count == 1
    assert (c.first_time_share, c.repeat_share, c.top_share) == (Decimal("100.0"), Decimal("0.0"), Decimal("100.0"))
    assert c.districts == [("福田区", Decimal("200000.00"))]
    assert c.org_types == [("事业单位", Decimal("200000.00"))]
