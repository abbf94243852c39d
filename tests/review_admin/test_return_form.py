"""退回补正 from the admin: a proposed due date in working days, ready-made reasons staff keep in the admin."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.staff_views import default_due_on
from core import calendar
from publicity.models import HolidayOverride
from review.models import ReturnReasonPreset

pytestmark = pytest.mark.django_db


def return_url(application) -> str:
    return reverse("admin:applications_application_transition", args=[application.pk, "return"])


def test_the_proposed_due_date_counts_the_calls_working_days_from_tomorrow(make_application):
    application = make_application("submitted")
    application.call.correction_working_days = 5
    # Monday 2026-06-01: five working days from Tuesday are Tue–Fri and the next Monday.
    assert default_due_on(application, today=date(2026, 6, 1)) == date(2026, 6, 8)

    application.call.correction_working_days = 3
    assert default_due_on(application, today=date(2026, 6, 1)) == date(2026, 6, 4)


def test_the_proposed_due_date_skips_the_admins_holiday_overrides(make_application):
    application = make_application("submitted")
    application.call.correction_working_days = 1
    HolidayOverride.objects.create(date=date(2026, 6, 2), is_working_day=False, note="临时调整")

    assert calendar.registered_overrides(date(2026, 6, 1), date(2026, 6, 30)) == {date(2026, 6, 2): False}
    assert default_due_on(application, today=date(2026, 6, 1)) == date(2026, 6, 3)


def test_the_return_form_proposes_a_future_due_date_and_offers_the_presets(client, roles, make_application):
    application = make_application("submitted")
    client.force_login(roles["intake"])

    page = client.get(return_url(application)).content.decode()

    proposed = default_due_on(application)
    assert proposed > timezone.localdate()
    assert f'value="{proposed.isoformat()}"' in page
    assert proposed.isoformat() in page.split("已按")[1]  # the example in the help text is the proposal itself
    assert "2026-03-15" not in page
    for preset in ReturnReasonPreset.objects.filter(is_active=True):
        assert preset.text in page


def test_a_ticked_preset_and_the_added_text_make_the_reason(client, roles, make_application):
    application = make_application("submitted")
    preset = ReturnReasonPreset.objects.create(text="缺少检测报告", sort_order=1)
    client.force_login(roles["intake"])
    due_on = (timezone.localdate() + timedelta(days=10)).isoformat()

    response = client.post(
        return_url(application), {"presets": [preset.text], "reason": "请补充第2页", "due_on": due_on}
    )

    assert response.status_code == 302
    application = Application.objects.get(pk=application.pk)
    assert (application.state, application.return_reason) == ("returned", "缺少检测报告；请补充第2页")


def test_a_return_with_neither_a_preset_nor_a_reason_is_refused_beside_the_field(client, roles, make_application):
    # Its own preset: the seeded ones are gone after a test that flushes the database ran in the same worker.
    ReturnReasonPreset.objects.get_or_create(text="营业执照扫描件不清晰")
    application = make_application("submitted")
    client.force_login(roles["intake"])

    response = client.post(return_url(application), {"due_on": timezone.localdate().isoformat()})

    assert response.status_code == 200
    assert "请勾选常用原因或填写原因" in response.content.decode()
    assert Application.objects.get(pk=application.pk).state == "submitted"


def test_an_inactive_preset_is_not_offered(client, roles, make_application):
    application = make_application("submitted")
    ReturnReasonPreset.objects.create(text="停用的原因", is_active=False)
    client.force_login(roles["intake"])

    assert "停用的原因" not in client.get(return_url(application)).content.decode()
