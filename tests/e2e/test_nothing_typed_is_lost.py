"""Deadline day for the clerk, in a real browser: nothing typed is lost, the session warns and can be extended,
and uploads are checked before they start.

Given the demo portal (``seed_demo --with-samples``) and a P8-3 draft of applicant1, built through the services.
"""

import re
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.e2e import pages

pytestmark = pytest.mark.e2e

PASSWORD = "demo-pass-2026"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass
class World:
    applicant: object
    draft: object
    awarded: object


@pytest.fixture
def world(browsing) -> World:
    from accounts.models import User
    from applications import services
    from applications.models import Application
    from programs.models import Call, Program

    call_command("seed_demo", "--with-samples", verbosity=0)
    applicant = User.objects.get(email="applicant1@demo.local")
    call = Call.objects.filter(year__gte=2000).order_by("-year").first()
    draft = services.create_application(
        actor=applicant,
        call=call,
        program=Program.objects.get(code="P8-3"),
        data={
            "units": [{"key": "CQC-2026-0417", "claim_amount": "45000", "description": "绿色产品认证"}],
            "targets": [{"indicator": "认证产品销售额增长", "target": "12", "unit": "%"}],
        },
    )
    awarded = Application.objects.filter(organisation=applicant.membership.organisation, state="awarded").first()
    return World(applicant=applicant, draft=draft, awarded=awarded)


def open_page(browsing, world: World, *, viewport=DESKTOP, actor: str = "applicant") -> Page:
    page = browsing.page_for(actor)
    page.set_viewport_size(viewport)
    pages.log_in(page, email=world.applicant.email, password=PASSWORD)
    expect(page.get_by_role("heading", name="我的申报", exact=True)).to_be_visible()
    return page


def step(world: World, name: str) -> str:
    return f"/me/applications/{world.draft.pk}/edit/{name}/"


def description(page: Page):
    return page.locator("input[name='units-0-description']")


def test_typed_input_survives_a_step_tab_the_previous_link_a_reload_and_an_expired_session(browsing, world):
    page = open_page(browsing, world)

    with browsing.step("a step tab saves what was typed", page):
        page.goto(step(world, "units"))
        description(page).fill("绿色产品认证（步骤标签前输入）")
        page.get_by_role("navigation", name="申报步骤").get_by_role("link", name="绩效目标").click()
        expect(page).to_have_url(re.compile(r"/edit/targets/$"))
        world.draft.refresh_from_db()
        assert world.draft.units.get().description == "绿色产品认证（步骤标签前输入）"

    with browsing.step("上一步 saves what was typed", page):
        page.locator("input[name='targets-0-target']").fill("15")
        page.get_by_role("link", name="上一步").click()
        expect(page).to_have_url(re.compile(r"/edit/units/$"))
        assert world.draft.targets.get().target == "15"

    with browsing.step("typed but unsent input survives a reload", page):
        description(page).fill("重新加载前未保存的说明")
        page.reload()
        expect(description(page)).to_have_value("重新加载前未保存的说明")
        expect(page.locator(".draft-restored")).to_contain_text("已恢复")
        page.get_by_role("button", name="保存", exact=True).click()
        pages.expect_message(page, "已保存")
        assert world.draft.units.get().description == "重新加载前未保存的说明"
        page.reload()
        expect(page.locator(".draft-restored")).to_have_count(0)

    with browsing.step("a save after the session expired finishes after login", page):
        description(page).fill("登录超时后保存的说明")
        page.context.clear_cookies(name="sessionid")  # the session ends (inactivity timeout)
        page.get_by_role("button", name="保存", exact=True).click()
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        page.locator("input[name=login]").fill(world.applicant.email)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form").filter(has=page.locator("input[name=password]")).get_by_role("button", name="登录").click()
        pages.expect_message(page, "已保存")
        expect(description(page)).to_have_value("登录超时后保存的说明")
        assert world.draft.units.get().description == "登录超时后保存的说明"


def test_the_session_warns_before_it_ends_and_can_be_extended(browsing, world):
    page = open_page(browsing, world)
    page.clock.install()
    page.goto(step(world, "units"))

    page.clock.fast_forward("01:56:00")  # 4 minutes before the two-hour inactivity timeout

    warning = page.get_by_role("alertdialog")
    expect(warning).to_contain_text("登录将在5分钟内超时")
    with page.expect_response(re.compile(r"/me/session/keep-alive/$")) as answer:
        warning.get_by_role("button", name="继续办理（延长登录）").click()
    assert answer.value.status == 200 and answer.value.json()["expires_in"] > 7000
    expect(page.get_by_role("alertdialog")).to_have_count(0)


def test_uploads_are_checked_before_they_start_and_buttons_wait_for_the_answer(browsing, world):
    page = open_page(browsing, world)
    page.goto(step(world, "attachments"))
    chooser = page.locator("input[type=file]").first

    chooser.set_input_files(
        {"name": "大文件.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n" + b"0" * (21 * 1024 * 1024)}
    )
    expect(page.locator("[id$='_client_error']").first).to_contain_text("文件超过 20MB")
    chooser.set_input_files({"name": "说明.docx", "mimeType": "application/octet-stream", "buffer": b"PK\x03\x04"})
    expect(page.locator("[id$='_client_error']").first).to_contain_text("只能上传 PDF、JPG 或 PNG 文件")
    assert chooser.evaluate("input => input.files.length") == 0

    chooser.set_input_files(pages.pdf_file("认证证书.pdf", "certificate"))
    page.route("**/edit/attachments/", lambda route: (page.wait_for_timeout(300), route.continue_()))
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_role("button", name="上传", exact=True)).to_be_disabled()
    pages.expect_message(page, "已上传：认证证书.pdf")
    assert world.draft.attachments.filter(original_name="认证证书.pdf").count() == 1
