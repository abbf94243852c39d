"""The live pro-rata forecast: figures per program, the trend by day, the CSV, the threshold and the notice."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Notification, State
from applications.services import run_transition
from dashboard.error_codes import DashboardErrorCode
from dashboard.forecast import call_forecast, implied_factor
from dashboard.models import ForecastAlert, ForecastSetting
from dashboard.services import check_call_forecast, check_open_forecasts, parse_threshold, set_forecast_threshold
from programs.models import ProgramBudget
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def budget(fixed_program, open_call):
    """600,000 for the 300,000 fixed program: two applications fit, a third makes the factor 2/3."""
    return ProgramBudget.objects.create(program=fixed_program, year=open_call.year, amount=Decimal("600000"))


def _other_owner():
    return MembershipFactory().user


def test_implied_factor_is_the_allocations_factor_and_one_when_fully_funded():
    assert implied_factor(Decimal("900000"), Decimal("600000")) == Decimal("0.666666")
    assert implied_factor(Decimal("600000"), Decimal("600000")) == Decimal("1")
    assert implied_factor(Decimal("0"), Decimal("0")) == Decimal("1")
    assert implied_factor(Decimal("100"), Decimal("0")) == Decimal("0")


def test_the_forecast_counts_drafts_and_submitted_against_the_budget(
    make_application, open_call, fixed_program, budget
):
    make_application("draft")
    make_application("submitted", owner=_other_owner())
    make_application("accepted", owner=_other_owner())
    withdrawn = make_application("submitted", owner=_other_owner())
    run_transition(application=withdrawn, actor=withdrawn.created_by, name="withdraw")

    row = next(r for r in call_forecast(open_call).programs if r.program == fixed_program)

    assert (row.draft_count, row.drafts) == (1, Decimal("300000.00"))
    assert (row.submitted_count, row.submitted) == (2, Decimal("600000.00"))
    assert row.budget == Decimal("600000.00")
    assert row.factor_submitted == Decimal("1")
    assert row.factor_projected == Decimal("0.666666")


def test_the_trend_runs_by_day_from_opening_to_today(make_application, open_call, fixed_program, budget):
    make_application("submitted")
    make_application("draft", owner=_other_owner())
    make_application("draft", owner=_other_owner())

    forecast = call_forecast(open_call)

    opened = timezone.localdate(open_call.opens_at)
    assert forecast.days[0] == opened and forecast.days[-1] == timezone.localdate()
    last = forecast.trend[fixed_program.pk][-1]
    assert (last.projected, last.submitted, last.factor) == (
        Decimal("900000.00"),
        Decimal("300000.00"),
        Decimal("0.666666"),
    )
    # Everything was created today: the days before show nothing asked and a full factor.
    if len(forecast.days) > 1:
        assert forecast.trend[fixed_program.pk][0].projected == Decimal("0.00")
        assert forecast.trend[fixed_program.pk][0].factor == Decimal("1")


def test_the_forecast_and_its_trend_download_as_csv(client, roles, make_application, open_call, fixed_program, budget):
    make_application("submitted")
    make_application("draft", owner=_other_owner())
    make_application("draft", owner=_other_owner())
    client.force_login(roles["intake"])

    now = client.get(reverse("dashboard:csv", args=[open_call.pk, "forecast"])).content.decode()
    trend = client.get(reverse("dashboard:csv", args=[open_call.pk, "forecast-trend"])).content.decode()

    assert now.startswith("\ufeff项目编号")
    assert f"{fixed_program.code},{fixed_program.name},600000.00,2,600000.00,1,300000.00,1,0.666666" in now
    assert f"{timezone.localdate().isoformat()},{fixed_program.code},600000.00,900000.00,300000.00,0.666666" in trend


def test_the_dashboard_shows_the_forecast(client, roles, make_application, open_call, fixed_program, budget):
    make_application("submitted")
    make_application("draft", owner=_other_owner())
    make_application("draft", owner=_other_owner())
    client.force_login(roles["approver"])

    html = client.get(reverse("dashboard:call", args=[open_call.pk])).content.decode()

    assert "折算预测" in html
    assert "0.6666" in html and "低于预警值" in html
    assert "预计折算系数走势" in html and ("<polyline" in html or "<circle" in html)


def _crossing_setup(make_application, open_call, threshold="0.80"):
    ForecastSetting.objects.create(call=open_call, threshold=Decimal(threshold))
    make_application("submitted")
    make_application("submitted", owner=_other_owner())
    return make_application("draft", owner=_other_owner())


def test_a_program_dropping_below_the_threshold_tells_each_approver_once(
    make_application, open_call, fixed_program, budget, roles
):
    draft = _crossing_setup(make_application, open_call)

    first = check_call_forecast(open_call)
    second = check_call_forecast(open_call)

    assert (first.crossed, first.notified) == (1, 1)  # one approver in the roles fixture
    assert (second.crossed, second.notified) == (0, 0)
    notice = Notification.objects.get(user=roles["approver"])
    assert fixed_program.code in notice.title and "0.6666" in notice.body and "0.80" in notice.body
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [roles["approver"].email]
    alert = ForecastAlert.objects.get(call=open_call, program=fixed_program)
    assert (alert.is_below, alert.crossings) == (True, 1)
    assert draft.state == State.DRAFT


def test_a_program_that_recovers_and_drops_again_is_told_again(
    make_application, open_call, fixed_program, budget, roles
):
    draft = _crossing_setup(make_application, open_call)
    check_call_forecast(open_call)

    run_transition(application=draft, actor=draft.created_by, name="withdraw")
    recovered = check_call_forecast(open_call)
    make_application("draft", owner=_other_owner())
    again = check_call_forecast(open_call)

    assert recovered.crossed == 0
    assert again.crossed == 1
    assert Notification.objects.filter(user=roles["approver"]).count() == 2
    assert ForecastAlert.objects.get(call=open_call, program=fixed_program).crossings == 2


def test_a_program_above_the_threshold_tells_nobody(make_application, open_call, fixed_program, budget, roles):
    _crossing_setup(make_application, open_call, threshold="0.60")

    result = check_open_forecasts()

    assert result.crossed == 0 and Notification.objects.count() == 0


def test_the_beat_job_runs_as_a_command(make_application, open_call, fixed_program, budget, roles):
    from django.core.management import call_command

    _crossing_setup(make_application, open_call)

    call_command("check_forecasts")
    call_command("check_forecasts")

    assert Notification.objects.filter(user=roles["approver"]).count() == 1


@pytest.mark.parametrize("raw", ["", "abc", "0", "1.5", "-0.2", "0.805", "NaN", "Infinity"])
def test_a_threshold_outside_0_01_to_1_is_refused_with_its_code(raw):
    with pytest.raises(Exception) as caught:
        parse_threshold(raw)
    assert caught.value.code == DashboardErrorCode.THRESHOLD_INVALID


def test_a_threshold_is_read_as_a_factor_or_a_percentage():
    assert parse_threshold("0.9") == Decimal("0.90")
    assert parse_threshold("75%") == Decimal("0.75")


def test_the_approver_sets_the_threshold_on_the_dashboard(client, roles, open_call):
    client.force_login(roles["approver"])

    response = client.post(reverse("dashboard:threshold", args=[open_call.pk]), {"threshold": "0.9"})

    assert response.status_code == 302
    assert ForecastSetting.objects.get(call=open_call).threshold == Decimal("0.90")


def test_a_wrong_threshold_is_shown_beside_the_field_and_kept(client, roles, open_call):
    client.force_login(roles["approver"])

    response = client.post(reverse("dashboard:threshold", args=[open_call.pk]), {"threshold": "1.5"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "error-summary" in html and "error-text" in html
    assert 'value="1.5"' in html
    assert not ForecastSetting.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"), [("approver", 302), ("administrator", 302), ("intake", 404), ("finance", 404)]
)
def test_only_the_approver_and_the_administrator_set_the_threshold(client, roles, open_call, role, status):
    client.force_login(roles[role])

    response = client.post(reverse("dashboard:threshold", args=[open_call.pk]), {"threshold": "0.7"})

    assert response.status_code == status
    assert ForecastSetting.objects.filter(call=open_call).exists() == (status == 302)


def test_setting_the_threshold_is_refused_to_intake_in_the_service(roles, open_call):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        set_forecast_threshold(call=open_call, threshold="0.7", actor=roles["intake"])


def test_the_forecast_uses_a_constant_number_of_queries(make_application, open_call, fixed_program, budget):
    make_application("submitted")
    call_forecast(open_call)
    with CaptureQueriesContext(connection) as few:
        call_forecast(open_call)
    for _ in range(4):
        make_application("draft", owner=_other_owner())
        make_application("submitted", owner=_other_owner())
    with CaptureQueriesContext(connection) as more:
        call_forecast(open_call)

    assert len(few) == len(more)
