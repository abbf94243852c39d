"""One grant from sign-up to performance evaluation, through the pages a person would use, in a real browser.

Given the seeded catalogue, an open call of this year with P8-3 and one user per staff role,
when an enterprise signs up, registers, applies and every officer does their part in the admin,
then the application ends 绩效评价完成 and every page on the way shows what the person needs to see.
"""

import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.models import Membership, MembershipRole, Organisation, User
from accounts.roles import ROLES_BY_KEY
from accounts.rules import build_uscc
from applications.models import Application, State
from evaluations.models import PerformanceReport, ReportStatus
from notices.models import AwardNotice
from payouts.models import BatchStatus, LineStatus, PayoutBatch
from programs.models import Call, Program, ProgramBudget
from publicity.models import Objection, ObjectionStatus, PublicityNotice
from tests.e2e import pages
from tests.factories import StaffFactory

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery-9"  # the factories' test password
APPLICANT_EMAIL = "chen.xiaohua@pengcheng-e2e.cn"
ORG_NAME = "深圳市鹏城绿色制造有限公司"
USCC = build_uscc("91440300MA5E2E001")
ORGANISATION = {
    "统一社会信用代码": USCC,
    "单位名称": ORG_NAME,
    "单位类型": "企业",
    "成立日期": "2015-03-18",
    "注册所在区": "南山区",
    "注册地址": "深圳市南山区科技园科苑路8号",
    "法定代表人": "王建国",
    "联系人": "陈晓华",
    "联系电话": "0755-86001234",
    "联系邮箱": APPLICANT_EMAIL,
    "开户银行": "中国银行深圳南山支行",
    "银行账号": "745300120000123",
    "账户名称": ORG_NAME,
}


@pytest.fixture
def open_call(transactional_db) -> Call:
    """The catalogue and roles as the commands seed them, and this year's call open for P8-3 with its budget."""
    call_command("sync_roles", stdout=io.StringIO())
    call_command("seed_programs", stdout=io.StringIO())
    program = Program.objects.get(code="P8-3")
    year = timezone.localdate().year
    call = Call.objects.create(
        year=year,
        title=f"{year}年度质量品牌领域专项资金申报",
        opens_at=timezone.now() - timedelta(days=1),
        closes_at=timezone.now() + timedelta(days=30),
        publicity_working_days=5,
        report_due_months=12,
    )
    call.programs.set([program])
    ProgramBudget.objects.create(program=program, year=year, amount=Decimal("2000000.00"))
    return call


@pytest.fixture
def staff(open_call) -> dict[str, User]:
    """One officer per role the journey needs, two finance officers (one builds a batch, the other approves it)."""
    people = {
        "intake": ("intake", "受理员 李明"),
        "approver": ("approver", "审定人 张伟"),
        "finance1": ("finance", "财务人员 刘洋"),
        "finance2": ("finance", "财务人员 赵丽"),
    }
    users = {}
    for key, (role, name) in people.items():
        user = StaffFactory(email=f"{key}@bureau-e2e.cn", full_name=name)
        user.groups.add(Group.objects.get(name=ROLES_BY_KEY[role].group_name))
        users[key] = user
    return users


def test_a_grant_goes_from_sign_up_to_evaluation(browsing, open_call, staff, mailoutbox):
    applicant = browsing.page_for("applicant")
    issued_on = (timezone.localdate() - timedelta(days=40)).isoformat()

    # --- The enterprise signs up, verifies its email and registers by USCC ------------------------------------
    with browsing.step("01-sign-up", applicant):
        pages.sign_up(applicant, email=APPLICANT_EMAIL, password=PASSWORD)
        expect(applicant.locator("main")).to_contain_text("验证")
        user = User.objects.get(email=APPLICANT_EMAIL)
        assert not user.emailaddress_set.get().verified

    with browsing.step("02-verify-email", applicant):
        applicant.goto(pages.confirmation_link(mailoutbox, APPLICANT_EMAIL))
        applicant.get_by_role("button", name="确认").click()
        expect(applicant.get_by_role("heading", name="登记申报单位")).to_be_visible()
        assert user.emailaddress_set.get().verified

    with browsing.step("03-register-organisation", applicant):
        applicant.get_by_role("link", name="用统一社会信用代码登记单位").click()
        # Payouts go to an account in the organisation's own name: anything else is refused beside the field.
        pages.register_organisation(applicant, {**ORGANISATION, "账户名称": "陈晓华"})
        expect(applicant.locator(".field-error")).to_contain_text("账户名称必须与单位名称完全一致")
        assert not Organisation.objects.exists()
        pages.register_organisation(applicant, {"账户名称": ORG_NAME})
        pages.expect_message(applicant, "申报单位注册成功，您是本单位的管理员。")
        organisation = Organisation.objects.get(uscc=USCC)
        assert (organisation.name, organisation.bank_account_name) == (ORG_NAME, ORG_NAME)
        assert Membership.objects.get(user=user).role == MembershipRole.ADMIN

    # --- It applies for P8-3 with two certificates ----------------------------------------------------------
    with browsing.step("04-new-application", applicant):
        applicant.get_by_role("link", name="我的申报").click()
        applicant.get_by_role("link", name="新建申报").click()
        applicant.get_by_text("P8-3 绿色认证等高端认证发展项目").click()
        applicant.get_by_role("button", name="创建草稿并开始填写").click()
        pages.expect_message(applicant, "已创建申报草稿")
        expect(pages.step_heading(applicant)).to_have_text("第1步：申报事项")
        application = Application.objects.get(organisation=organisation)
        assert (application.state, application.program.code) == (State.DRAFT, "P8-3")

    with browsing.step("05-units", applicant):
        certificate = {"取得/发布日期": issued_on}
        pages.fill_units(
            applicant,
            [
                {**certificate, "证书编号": "CQC-GP-E2E-0001", "申报金额（元）": "48000", "说明": "绿色产品认证"},
                {**certificate, "证书编号": "CQC-LC-E2E-0002", "申报金额（元）": "36000", "说明": "低碳产品认证"},
            ],
        )
        applicant.get_by_role("button", name="保存", exact=True).click()
        pages.expect_message(applicant, "已保存。")
        expect(pages.row(applicant, "第1项").locator(".row-result")).to_have_text("计入资助 48,000.00元")
        expect(pages.row(applicant, "第2项").locator(".row-result")).to_have_text("计入资助 36,000.00元")
        assert list(application.units.values_list("key", "claim_amount")) == [
            ("CQC-GP-E2E-0001", Decimal("48000.00")),
            ("CQC-LC-E2E-0002", Decimal("36000.00")),
        ]

    with browsing.step("06-targets", applicant):
        applicant.get_by_role("button", name="保存并继续").click()
        expect(pages.step_heading(applicant)).to_have_text("第2步：绩效目标")
        card = pages.row(applicant, "第1项")
        card.get_by_label(pages.label("指标")).fill("绿色认证产品销售额增长")
        card.get_by_label(pages.label("目标值")).fill("15")
        card.get_by_label(pages.label("单位")).fill("%")
        applicant.get_by_role("button", name="保存并继续").click()
        expect(pages.step_heading(applicant)).to_have_text("第3步：申报材料")

    with browsing.step("07-materials", applicant):
        pages.upload_materials(
            applicant,
            {
                "营业执照或法人登记证书": [pages.pdf_file("营业执照.pdf", "Business licence")],
                "认证证书": [
                    pages.pdf_file("绿色产品认证证书.pdf", "Certificate CQC-GP-E2E-0001"),
                    pages.pdf_file("低碳产品认证证书.pdf", "Certificate CQC-LC-E2E-0002"),
                ],
                "认证费用凭证": [pages.pdf_file("认证费用发票.pdf", "Invoice 84000")],
                "申报承诺书": [pages.pdf_file("申报承诺书.pdf", "Commitment")],
            },
        )
        pages.expect_message(applicant, "已上传")
        expect(pages.step_heading(applicant)).to_have_text("第4步：申报承诺")
        assert application.attachments.count() == 5

    with browsing.step("08-declarations", applicant):
        checkboxes = applicant.locator("fieldset.declaration input[type=checkbox]")
        expect(checkboxes).to_have_count(3)
        for checkbox in checkboxes.all():
            checkbox.check()
        applicant.get_by_role("button", name="保存并继续").click()
        expect(pages.step_heading(applicant)).to_have_text("第5步：核对提交")
        expect(applicant.locator(".amount-card.primary")).to_have_text("标准资助金额84,000.00元")
        expect(applicant.locator(".submit-box .error-text")).to_have_count(0)

    with browsing.step("09-submit", applicant):
        applicant.get_by_role("button", name="提交申报").click()
        expect(applicant.locator("header .state")).to_have_text("已提交")
        application.refresh_from_db()
        reference = application.reference
        pages.expect_message(applicant, f"申报 {reference} 已提交。受理结果会在站内通知并发送邮件。")
        assert application.state == State.SUBMITTED
        assert application.standard_amount == Decimal("84000.00")

    # --- The intake officer accepts it and records the verification checklist --------------------------------
    intake = browsing.page_for("intake")
    with browsing.step("10-intake-accepts", intake):
        pages.log_in(intake, email=staff["intake"].email, password=PASSWORD)
        expect(intake.locator("#site-name")).to_contain_text("管理后台")
        pages.open_application_in_admin(intake, reference)
        pages.admin_transition(intake, "受理")
        pages.expect_message(intake, f"{reference}：已受理。")
        expect(intake.locator(".review-facts").first).to_contain_text("已受理（审核中）")
        assert Application.objects.get(pk=application.pk).state == State.ACCEPTED

    with browsing.step("11-verification-checklist", intake):
        intake.get_by_role("link", name="核实清单").click()
        checkboxes = intake.locator("#content form input[type=checkbox]")
        expect(checkboxes).to_have_count(4)
        for checkbox in checkboxes.all():
            checkbox.check()
        intake.get_by_role("button", name="保存核实结果").click()
        pages.expect_message(intake, "核实结果已保存")
        expect(intake.locator(".review-facts").first).to_contain_text("已受理（审核中）")
        assert application.verification_checks.filter(passed=True).count() == 4

    # --- The approver approves, allocates the budget and opens publicity -------------------------------------
    approver = browsing.page_for("approver")
    with browsing.step("12-approve", approver):
        pages.log_in(approver, email=staff["approver"].email, password=PASSWORD)
        pages.open_application_in_admin(approver, reference)
        pages.admin_transition(approver, "审定通过")
        pages.expect_message(approver, f"{reference}：已审定通过。")
        assert Application.objects.get(pk=application.pk).state == State.APPROVED

    with browsing.step("13-allocate", approver):
        approver.goto("/admin/allocations/allocationrun/add/")
        approver.get_by_label("申报批次").select_option(label=str(open_call))
        approver.get_by_role("button", name="开始分配").click()
        pages.expect_message(approver, "已开始资金分配。")
        results = approver.locator("#content table").first
        expect(results).to_contain_text("足额")
        expect(results).to_contain_text("84,000.00元")
        assert Application.objects.get(pk=application.pk).allocated_amount == Decimal("84000.00")

    with browsing.step("14-open-publicity", approver):
        approver.goto("/admin/publicity/publicitynotice/")
        approver.get_by_role("link", name="发布公示").click()
        approver.get_by_label("申报批次").select_option(label=str(open_call))
        approver.get_by_role("button", name="发布公示").click()
        pages.expect_message(approver, "公示已发布：1项申报列入公示")
        notice = PublicityNotice.objects.get(call=open_call)
        assert Application.objects.get(pk=application.pk).state == State.IN_PUBLICITY

    # --- Someone objects on the public page; the approver dismisses it ----------------------------------------
    public = browsing.page_for("public")
    with browsing.step("15-objection", public):
        public.goto("/")
        public.get_by_role("link", name="公示", exact=True).click()
        expect(public.locator("main")).to_contain_text(ORG_NAME)
        public.get_by_role("link", name="查看并提出异议").click()
        public.get_by_label("异议对象").select_option(label=f"{ORG_NAME} · 绿色认证等高端认证发展项目")
        public.get_by_label("真实姓名").fill("李四")
        public.get_by_label("联系电话").fill("13912345678")
        public.get_by_label("异议内容和理由").fill("该企业低碳产品认证证书疑似已过期，请核实。")
        public.get_by_role("button", name="提交异议").click()
        pages.expect_message(public, "您的异议已提交")
        objection = Objection.objects.get(notice=notice)
        assert objection.status == ObjectionStatus.OPEN

    with browsing.step("16-dismiss-objection", approver):
        approver.goto("/admin/publicity/objection/")
        approver.get_by_role("link", name=f"异议 #{objection.pk}").click()
        approver.get_by_role("link", name="认定异议不成立").click()
        approver.get_by_label("处理意见").fill("经向认证机构核实，两张证书均在有效期内。")
        approver.get_by_role("button", name="认定异议不成立").click()
        pages.expect_message(approver, "已认定异议不成立。")
        objection.refresh_from_db()
        assert objection.status == ObjectionStatus.DISMISSED

    # --- Publicity ends (the scheduled job, run by hand for a day after the period) --------------------------
    with browsing.step("17-close-publicity"):
        out = io.StringIO()
        call_command("close_publicity", "--today", (notice.ends_on + timedelta(days=1)).isoformat(), stdout=out)
        assert out.getvalue().strip() == "notices=1 confirmed=1 held=0 closed=1"
        assert Application.objects.get(pk=application.pk).state == State.AWARDED
        assert AwardNotice.objects.get(application=application).sha256

    # --- The applicant downloads the award notice and checks it on the verification page ----------------------
    with browsing.step("18-award-notice", applicant):
        applicant.get_by_role("link", name="我的申报", exact=True).first.click()
        applicant.get_by_role("link", name=reference).click()
        expect(applicant.locator("header .state")).to_have_text("已核准")
        with applicant.expect_download() as download_info:
            applicant.get_by_role("link", name="下载资助通知书").click()
        download = download_info.value
        assert download.suggested_filename == f"资助通知书-{reference}.pdf"
        text = "".join(page.extract_text() for page in PdfReader(download.path()).pages)
        assert ORG_NAME in text
        code = AwardNotice.objects.get(application=application).verification_code
        assert code in text
        verify_url = re.search(r"https?://\S+/verify/" + re.escape(code) + "/", text.replace("\n", ""))
        assert verify_url, text

    with browsing.step("19-verify-award-notice", public):
        # Anyone holding the notice opens the URL printed beside its QR code.
        public.goto(verify_url.group(0))
        expect(public.get_by_role("heading", name="资助通知书核验")).to_be_visible()
        expect(public.locator("main .badge")).to_have_text("有效")
        facts = public.locator("dl.facts")
        expect(facts).to_contain_text(ORG_NAME)
        expect(facts).to_contain_text(USCC)
        expect(facts).to_contain_text("¥84,000.00 元")
        expect(facts).to_contain_text("捌万肆仟元整")

    # --- Finance: one officer builds the batch, the other approves, exports and records the payment ------------
    finance1 = browsing.page_for("finance1")
    with browsing.step("20-payout-batch", finance1):
        pages.log_in(finance1, email=staff["finance1"].email, password=PASSWORD)
        finance1.goto("/admin/payouts/payoutbatch/add/")
        finance1.get_by_label("申报批次").select_option(label=str(open_call))
        finance1.get_by_role("button", name="生成批次").click()
        pages.expect_message(finance1, "已生成拨付批次，共1笔。")
        batch = PayoutBatch.objects.get(call=open_call)
        assert batch.status == BatchStatus.DRAFT

    finance2 = browsing.page_for("finance2")
    with browsing.step("21-approve-batch", finance2):
        pages.log_in(finance2, email=staff["finance2"].email, password=PASSWORD)
        finance2.goto(f"/admin/payouts/payoutbatch/{batch.pk}/change/")
        finance2.get_by_role("button", name="复核通过").click()
        pages.expect_message(finance2, "批次已复核。")
        batch.refresh_from_db()
        assert batch.approved_by == staff["finance2"]

    with browsing.step("22-export-and-pay", finance2):
        with finance2.expect_download() as download_info:
            finance2.get_by_role("link", name="拨付清单（XLSX，供签字留档）").click()
        export = download_info.value
        assert export.suggested_filename.endswith(".xlsx")
        sheet = load_workbook(io.BytesIO(Path(export.path()).read_bytes())).active
        cells = [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
        assert reference in cells
        assert ORG_NAME in cells
        line = batch.lines.get()
        form = f"line-{line.pk}"
        finance2.locator(f"[form='{form}'][name=voucher_no]").fill("PZ-2026-000123")
        finance2.locator(f"[form='{form}'][name=paid_on]").fill(timezone.localdate().isoformat())
        finance2.locator(f"[form='{form}'][type=submit]").click()
        pages.expect_message(finance2, "已登记。")
        line.refresh_from_db()
        assert line.status == LineStatus.PAID
        assert Application.objects.get(pk=application.pk).state == State.DISBURSED

    # --- The applicant reports on the targets; the intake officer grades the report ---------------------------
    with browsing.step("23-performance-report", applicant):
        applicant.get_by_role("link", name="我的申报", exact=True).first.click()
        applicant.get_by_role("link", name=reference).click()
        expect(applicant.locator("header .state")).to_have_text("已拨付")
        applicant.get_by_role("link", name="绩效报告").click()
        card = pages.row(applicant, "第1项")
        card.get_by_label("实际完成值").fill("18")
        card.get_by_label("完成情况说明").fill("绿色认证产品销售额同比增长18%，超额完成目标。")
        applicant.get_by_role("button", name="提交绩效报告").click()
        pages.expect_message(applicant, "绩效报告已提交。")
        report = PerformanceReport.objects.get(application=application)
        assert report.status == ReportStatus.SUBMITTED

    with browsing.step("24-grade-report", intake):
        intake.goto("/admin/evaluations/performancereport/")
        intake.get_by_role("link", name=reference).click()
        intake.locator(".object-tools").get_by_role("link", name="绩效评价").click()
        intake.get_by_label("评价等级").select_option(label="良好")
        intake.get_by_label("评价意见").fill("目标全部完成。")
        intake.get_by_role("button", name="保存评价").click()
        pages.expect_message(intake, "已保存绩效评价结果。")

    with browsing.step("25-evaluated", applicant):
        applicant.get_by_role("link", name="我的申报", exact=True).first.click()
        expect(applicant.locator("table.app-table")).to_contain_text(reference)
        expect(applicant.locator("table.app-table .state")).to_have_text("已完成")
        application.refresh_from_db()
        assert application.state == State.EVALUATED
        assert list(application.events.values_list("name", flat=True)) == [
            "submit",
            "accept",
            "approve",
            "publish",
            "confirm",
            "disburse",
            "evaluate",
        ]
