"""The guidance pages, the verify box and the applicant's pages that link the documents, on a 390 px phone and at
1366 px: nothing scrolls sideways, the apply button and the template links are there."""

from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from applications import services
from programs.models import Program, ProgramBudget
from tests.applications.conftest import valid_data
from tests.browser import TIMEOUT_MS, live_chromium
from tests.factories import CallFactory, MembershipFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1366)


@pytest.fixture
def browser(live_server, monkeypatch, settings):
    with live_chromium(live_server, monkeypatch, settings) as chromium:
        yield chromium


def test_guidance_pages_fit_a_phone_and_a_desktop(browser, live_server):
    call_command("seed_programs", verbosity=0)
    programs = list(Program.objects.all())
    call = CallFactory(title="2026年度专项资金申报", programs=programs)
    for program in programs:
        ProgramBudget.objects.create(program=program, year=call.year, amount=Decimal("6000000"))
    member = MembershipFactory().user
    application = services.create_application(
        actor=member, call=call, program=Program.objects.get(code="P8-1"), data=valid_data()
    )
    public = [
        reverse("programs:detail", args=["P9-2"]),
        reverse("programs:guide", args=["P10-1"]),
        reverse("programs:guide", args=["P8-3"]),
        call.get_absolute_url(),
        reverse("programs:call_guide", args=[call.pk]),
        reverse("programs:faq"),
        reverse("programs:policy_list"),
        reverse("programs:policy", args=["operating-rules"]),
        reverse("programs:policy", args=["guangdong-measures"]),
        reverse("notices:verify_index"),
        reverse("notices:verify_index") + "?code=abc",
    ]
    private = [
        reverse("applications:detail", args=[application.pk]),
        reverse("applications:step", args=[application.pk, "attachments"]),
        reverse("programs:detail", args=["P8-1"]),
    ]
    client = Client()
    client.force_login(member)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME]

    overflowing = []
    for width in WIDTHS:
        anonymous = browser.new_context(viewport={"width": width, "height": 800})
        signed_in = browser.new_context(viewport={"width": width, "height": 800})
        signed_in.add_cookies([{"name": session.key, "value": session.value, "url": live_server.url}])
        for context, paths in ((anonymous, public), (signed_in, private)):
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            for path in paths:
                page.goto(live_server.url + path)
                scroll_width = page.evaluate("document.documentElement.scrollWidth")
                if scroll_width > width:
                    overflowing.append(f"{path} at {width} px: {scroll_width} px wide")
        page = signed_in.new_page()
        page.goto(live_server.url + reverse("programs:detail", args=["P8-1"]))
        assert page.get_by_role("link", name="申报本项目").first.is_visible()
        page.goto(live_server.url + reverse("applications:step", args=[application.pk, "attachments"]))
        assert page.get_by_role("link", name="下载申报承诺书模板（PDF）").is_visible()
        assert page.get_by_role("link", name="下载申报书（PDF）").is_visible()
        anonymous.close()
        signed_in.close()

    assert overflowing == []
