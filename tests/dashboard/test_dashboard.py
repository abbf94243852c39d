from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboard.charts import Series, bar_chart, funnel_chart
from programs.models import ProgramBudget
from tests import stages

pytestmark = pytest.mark.django_db


def test_a_bar_chart_draws_the_longest_bar_across_the_plot_and_labels_values():
    svg = bar_chart(
        ["P8-3", "P9-1"], [Series("核定金额", [Decimal("50000"), Decimal("100000")])], title="金额", width=640
    )

    assert svg.startswith("<svg")
    assert 'width="300.0"' in svg  # 640 - 250 label - 90 margin: the largest value spans the plot
    assert 'width="150.0"' in svg
    assert "10万元" in svg and "5万元" in svg
    assert "<title>金额</title>" in svg


def test_a_funnel_counts_each_stage():
    svg = funnel_chart([("已提交", 10), ("已受理", 5)], title="漏斗")

    assert "已提交　10" in svg and "已受理　5" in svg


@pytest.fixture
def call_with_data(make_application, fixed_program, open_call, roles):
    """open_call with one application submitted, one accepted, one awarded and one disbursed (the last two allocated,
    published and confirmed together through the stages, the last one paid)."""
    ProgramBudget.objects.create(program=fixed_program, year=open_call.year, amount=Decimal("1000000"))
    make_application("submitted")
    make_application("accepted")
    approved = [make_application("approved"), make_application("approved")]
    _awarded, disbursed = stages.walk_all(approved, "awarded", roles)
    stages.pay([disbursed], roles)
    return open_call


def test_the_dashboard_shows_the_funnel_amounts_and_districts(client, roles, call_with_data):
    client.force_login(roles["approver"])

    html = client.get(reverse("dashboard:call", args=[call_with_data.pk])).content.decode()

    assert "已提交　4" in html
    assert "已受理　3" in html
    assert "已拨付　1" in html
    assert "1,000,000.00元" in html  # the budget
    assert "300,000.00元" in html  # disbursed: one fixed 300,000 award
    assert "南山区" in html


def test_the_figures_behind_a_chart_download_as_csv_with_a_bom(client, roles, call_with_data):
    client.force_login(roles["finance"])

    response = client.get(reverse("dashboard:csv", args=[call_with_data.pk, "programs"]))

    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff项目编号")
    assert "1000000.00" in text
    assert "attachment" in response["Content-Disposition"]


@pytest.mark.parametrize(("role", "status"), [("intake", 200), ("approver", 200), ("finance", 200), ("expert", 403)])
def test_only_bureau_roles_see_the_dashboard(client, roles, call_with_data, role, status):
    client.force_login(roles[role])

    assert client.get(reverse("dashboard:call", args=[call_with_data.pk])).status_code == status


def test_applicants_are_sent_to_the_admin_login(client, roles, call_with_data):
    client.force_login(roles["owner"])

    response = client.get(reverse("dashboard:index"))

    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_the_dashboard_uses_a_constant_number_of_queries(client, roles, make_application, open_call):
    # A call's publicity opens once, so the small and the large call are two calls: one award against one award and
    # five payouts.
    small, large = stages.own_call(open_call), stages.own_call(open_call)
    stages.walk_all([make_application("approved", call=small)], "awarded", roles)
    _awarded, *paid = stages.walk_all([make_application("approved", call=large) for _ in range(6)], "awarded", roles)
    stages.pay(paid, roles)
    client.force_login(roles["approver"])
    client.get(reverse("dashboard:call", args=[small.pk]))

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dashboard:call", args=[small.pk]))
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("dashboard:call", args=[large.pk]))

    assert len(few) == len(more)
