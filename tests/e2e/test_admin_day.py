"""A reviewer's and a finance officer's day in the admin, in Chromium, on the demo data (``seed_demo --with-samples``).

Intake, approver and expert: the 我的待办 counts equal the rows of the lists they link to; a material opens inline;
the return form proposes a due date; the application page fits a 390 px phone. Finance: a draft batch's totals equal
the sum of its lines before and after the second officer approves it; the exports open with openpyxl and carry the
bank's columns and the header block; a result file with paid, failed, 退票 and an unknown reference is reported row
by row in Chinese.
"""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from accounts.models import User
from applications.models import Application, State
from payouts import services as payout_services
from payouts.models import LineStatus
from tests.e2e import pages
from tests.payouts.conftest import *  # noqa: F403  (the workflow fixtures: make_awarded and what it needs)

PASSWORD = "demo-pass-2026"
AMOUNTS = ("120000.00", "96000.00", "84000.00")
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", "--with-samples", verbosity=0)


def _queues(page: Page) -> list[tuple[str, int, str]]:
    page.goto("/admin/")
    links = page.locator(".portal-queues a.queue-link")
    expect(links.first).to_be_visible()
    return [
        (
            links.nth(i).locator(".queue-label").inner_text(),
            int(links.nth(i).locator(".queue-count").inner_text()),
            links.nth(i).get_attribute("href"),
        )
        for i in range(links.count())
    ]


def _rows(page: Page, url: str) -> int:
    page.goto(url)
    if page.locator("#result_list").count() == 0:
        return 0
    return page.locator("#result_list tbody tr").count()


def _check_queues(page: Page) -> None:
    queues = _queues(page)
    assert queues
    for label, count, url in queues:
        assert _rows(page, url) == count, f"{label}: {count} on the index"


def _yuan(total: Decimal) -> str:
    return f"{total:,.2f}元"


def test_a_reviewers_and_a_finance_officers_day(browsing, demo, make_awarded):
    # --- Reviewers ----------------------------------------------------------------------------------------------
    intake = browsing.page_for("intake")
    with browsing.step("01-intake-queues", intake):
        pages.log_in(intake, email="intake@demo.local", password=PASSWORD)
        _check_queues(intake)

    submitted = Application.objects.filter(state=State.SUBMITTED).order_by("pk").first()
    with browsing.step("02-intake-application", intake):
        intake.goto(f"/admin/applications/application/{submitted.pk}/change/")
        frame = intake.locator(".materials iframe.material-frame, .materials img.material-image").first
        inline_url = frame.get_attribute("src")
        response = intake.request.get(inline_url)
        assert response.status == 200
        assert response.headers["content-disposition"].startswith("inline")
        assert response.headers["content-type"].split(";")[0] in {"application/pdf", "image/png", "image/jpeg"}
        list_width = intake.evaluate("document.documentElement.scrollWidth")
        assert list_width <= 1280

    with browsing.step("03-return-form", intake):
        intake.goto(f"/admin/applications/application/{submitted.pk}/transition/return/")
        due = intake.locator("input[name=due_on]")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", due.input_value())

    with browsing.step("04-application-at-390", intake):
        intake.set_viewport_size({"width": 390, "height": 844})
        intake.goto(f"/admin/applications/application/{submitted.pk}/change/")
        assert intake.evaluate("document.documentElement.scrollWidth") <= 390
        intake.set_viewport_size({"width": 1366, "height": 900})

    for actor in ("approver", "expert1"):
        page = browsing.page_for(actor)
        with browsing.step(f"05-{actor}-queues", page):
            pages.log_in(page, email=f"{actor}@demo.local", password=PASSWORD)
            _check_queues(page)

    # --- Finance: finance1 made a draft batch of three payments; finance2 checks it, approves and exports it ----
    applications = [make_awarded(amount) for amount in AMOUNTS]
    maker = User.objects.get(email="finance1@demo.local")
    batch, skipped = payout_services.create_batch(actor=maker, applications=applications)
    assert skipped == []
    total = sum(Decimal(amount) for amount in AMOUNTS)

    finance1 = browsing.page_for("finance1")
    with browsing.step("10-draft-batch", finance1):
        pages.log_in(finance1, email="finance1@demo.local", password=PASSWORD)
        finance1.goto(f"/admin/payouts/payoutbatch/{batch.pk}/change/")
        expect(finance1.locator("body")).to_contain_text(f"本批次共 3 笔，合计 {_yuan(total)}")

    finance2 = browsing.page_for("finance2")
    with browsing.step("11-approve", finance2):
        pages.log_in(finance2, email="finance2@demo.local", password=PASSWORD)
        _check_queues(finance2)
        finance2.goto(f"/admin/payouts/payoutbatch/{batch.pk}/change/")
        expect(finance2.locator("body")).to_contain_text(f"本批次共 3 笔，合计 {_yuan(total)}")
        finance2.get_by_role("button", name="复核通过").click()
        pages.expect_message(finance2, "批次已复核。")
        expect(finance2.locator(".field-total_display, .form-row").filter(has_text="合计金额")).to_contain_text(
            _yuan(total)
        )
        expect(finance2.locator(".form-row").filter(has_text="笔数")).to_contain_text("3笔")
        expect(finance2.locator("body")).to_contain_text(f"待拨付 {_yuan(total)}")
        batch.refresh_from_db()
        assert batch.total_amount == total == sum(line.amount for line in batch.lines.all())

    with browsing.step("12-exports", finance2):
        with finance2.expect_download() as download:
            finance2.get_by_role("link", name="拨付清单（XLSX，供签字留档）").click()
        sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
        cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
        text = " ".join(cells)
        for caption in ("收款户名", "收款账号", "开户行", "开户行联行号", "金额", "用途"):
            assert caption in text, caption
        for caption in ("批次编号", "制单人", "复核人", "复核时间", "校验"):
            assert caption in text, caption
        assert maker.get_full_name() in text or maker.email in text
        with finance2.expect_download() as download:
            finance2.get_by_role("link", name="银行代发文件（CSV）").click()
        header = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()[0].split(",")
        assert {"收款户名", "收款账号", "开户行", "开户行联行号", "用途"} <= set(header)
        assert any(column.startswith("金额") for column in header)
        with finance2.expect_download() as download:
            finance2.get_by_role("link", name="银行结果文件模板（XLSX）").click()
        template = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
        template_cells = {str(c) for row in template.iter_rows(values_only=True) for c in row if c is not None}
        assert {a.reference for a in applications} <= template_cells

    paid, failed, returned = applications
    with browsing.step("13-import-report", finance2):
        rows = [
            "申报编号,处理结果,银行流水号,交易日期,备注",
            f"{paid.reference},已到账,V-1,2026-05-06,",
            f"{failed.reference},失败,,,户名不符",
            f"{returned.reference},退票,,,账户已销户",
            "ZLPP-1999-999999,成功,V-9,2026-05-06,",
        ]
        content = "\r\n".join(rows).encode("utf-8-sig")
        finance2.locator("input[type=file][form=import-form]").set_input_files(
            {"name": "结果.csv", "mimeType": "text/csv", "buffer": content}
        )
        finance2.locator("input[type=submit][form=import-form]").click()
        report = finance2.locator("body")
        for word in ("已到账", "拨付失败", "账户已销户", "编号不在本批次", "ZLPP-1999-999999"):
            expect(report).to_contain_text(word)
        for english in ("paid", "failed", "unknown"):
            assert not re.search(rf"\b{english}\b", report.inner_text())
        statuses = {line.application_id: line.status for line in batch.lines.all()}
        assert statuses == {paid.pk: LineStatus.PAID, failed.pk: LineStatus.FAILED, returned.pk: LineStatus.FAILED}
