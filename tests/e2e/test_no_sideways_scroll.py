"""No applicant page scrolls sideways on a phone, in a real browser.

Given the demo portal (``seed_demo --with-samples``) and a P9-2 draft of applicant1 (the program with the longest
tier list), when each page of the applicant's journey opens at 390 px, then the page is no wider than the screen and
nothing inside the main column reaches past its right edge (what was clipped on 新建申报: the tier list, the time
left), nor past the card it sits in. Tables and the step bar scroll inside their own box and are skipped.
"""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e import pages

pytestmark = pytest.mark.e2e

PASSWORD = "demo-pass-2026"
PHONE = {"width": 390, "height": 844}
# What sticks out of <main>, skipping what sits in a box of its own that scrolls sideways (tables, the step bar).
OVERFLOW_JS = """() => {
  const main = document.querySelector('main') || document.body;
  const boxes = '.card, .choice-card, .program-card';
  const out = [];
  for (const el of main.querySelectorAll('*')) {
    if (el.closest('.table, .table-scroll, .progress ol, pre')) continue;
    const box = (el.parentElement && el.parentElement.closest(boxes)) || main;
    const limit = Math.min(box.getBoundingClientRect().right, main.getBoundingClientRect().right) + 1;
    const rect = el.getBoundingClientRect();
    if (rect.width && rect.right > limit) {
      out.push(el.tagName + '.' + el.className + ': ' + (el.textContent || '').trim().slice(0, 40));
    }
  }
  return {width: document.documentElement.scrollWidth, out: out.slice(0, 5)};
}"""


def public_paths(call, program) -> list[str]:
    return [
        "/",
        "/programs/",
        f"/programs/{program.code}/",
        f"/programs/{program.code}/guide/",
        f"/programs/calls/{call.pk}/",
        f"/programs/calls/{call.pk}/guide/",
        "/programs/faq/",
        "/verify/",
        "/accounts/login/",
        "/accounts/signup/",
        "/no-such-page/",
    ]


def test_no_applicant_page_is_wider_than_a_phone(browsing):
    from accounts.models import User
    from applications import services
    from applications.views.common import STEP_NAMES
    from programs.models import Call, Program

    call_command("seed_demo", "--with-samples", verbosity=0)
    applicant = User.objects.get(email="applicant1@demo.local")
    call = Call.objects.filter(year__gte=2000).order_by("-year").first()
    program = Program.objects.get(code="P8-3")
    draft = services.create_application(
        actor=applicant,
        call=call,
        program=program,
        data={"units": [{"key": "CQC-2026-0417", "claim_amount": "45000", "description": "绿色产品认证"}]},
    )
    page = browsing.page_for("applicant")
    page.set_viewport_size(PHONE)
    too_wide = {}

    def check(path: str) -> None:
        page.goto(path)
        result = page.evaluate(OVERFLOW_JS)
        if result["width"] > PHONE["width"] or result["out"]:
            too_wide[path] = result

    with browsing.step("public pages at 390 px", page):
        for path in public_paths(call, program):
            check(path)
    with browsing.step("the applicant's pages at 390 px", page):
        pages.log_in(page, email=applicant.email, password=PASSWORD)
        expect(page.get_by_role("heading", name="我的申报", exact=True)).to_be_visible()
        for path in [
            "/me/applications/",
            "/me/applications/new/",
            *(f"/me/applications/{draft.pk}/edit/{name}/" for name in STEP_NAMES),
            f"/me/applications/{draft.pk}/",
            "/me/organisation/",
            "/me/applications/notifications/",
        ]:
            check(path)

    assert too_wide == {}
    assert len(public_paths(call, program)) + len(STEP_NAMES) + 5 >= 20
