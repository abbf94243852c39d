"""The applicant's pages: the whole flow, refused saves, returns, withdrawal, who may see what, query counts and
notifications. States are reached through the real services; the pages are driven with the test client."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import services
from applications.context_processors import notifications as notifications_context
from applications.models import Application, ApplicationEvent, Notification
from programs.models import AmountRule, FieldType, FormField
from tests.applications.conftest import TRANSITION_PARAMS, pdf, take, valid_data
from tests.factories import ProgramFactory, TierFactory

pytestmark = pytest.mark.django_db

STAFF_ROLES = ("intake", "expert", "approver", "finance", "administrator")
TODAY = date.today().isoformat()


def rows_post(prefix: str, rows: list[dict], *, initial: int = 0, action: str = "next") -> dict:
    """The POST body of a row formset (units or targets) as the browser sends it."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "50",
        "action": action,
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def step_url(application: Application, step: str) -> str:
    return reverse("applications:step", kwargs={"pk": application.pk, "step": step})


def error_summary(html: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', html, re.DOTALL)
    return match.group(0) if match else ""


def field_error(html: str, field_id: str) -> str:
    """The message shown directly under a field (its ``<p class="error-text" id="<field>_error">``)."""
    match = re.search(rf'<p class="error-text" id="{field_id}_error">(.*?)</p>', html)
    return match.group(1) if match else ""


def saved_state(application: Application) -> tuple:
    application.refresh_from_db()
    units = list(application.units.values_list("key", "claim_amount", "tier_id", "issued_on").order_by("position"))
    return application.state, application.standard_amount, units, application.events.count()


@pytest.fixture
def owner_client(client, roles):
    client.force_login(roles["owner"])
    return client


@pytest.fixture
def certificate_draft(roles, open_call, certificate_program):
    """A draft of the P8-3-like program with two certificates saved: 5万 and 3.2万."""
    return services.create_application(
        actor=roles["owner"],
        call=open_call,
        program=certificate_program,
        data=valid_data(
            units=[
                {"key": "CQC-2026-001", "claim_amount": "50000", "issued_on": TODAY},
                {"key": "CQC-2026-002", "claim_amount": "32000", "issued_on": TODAY},
            ]
        ),
    )


# --- The whole flow ----------------------------------------------------------------------------


def test_an_applicant_goes_from_new_to_submitted_through_every_step(
    owner_client, roles, open_call, certificate_program
):
    FormField.objects.create(
        program=certificate_program,
        name="annual_revenue",
        label="上年度营业收入（万元）",
        field_type=FieldType.DECIMAL,
        is_required=True,
    )

    # New: the open call lists the program with its amount rule; choosing it creates a draft.
    page = owner_client.get(reverse("applications:new")).content.decode()
    assert certificate_program.name in page
    assert "每证书按实际发生费用资助，最高不超过5万元" in page
    response = owner_client.post(reverse("applications:new"), {"choice": f"{open_call.pk}:{certificate_program.pk}"})
    application = Application.objects.get()
    assert (application.state, application.program, application.call) == ("draft", certificate_program, open_call)
    assert response.url == step_url(application, "units")

    # Units: two certificates, 5万 and 3.2万.
    response = owner_client.post(
        step_url(application, "units"),
        rows_post(
            "units",
            [
                {"key": "CQC-2026-001", "claim_amount": "50000", "issued_on": TODAY, "description": "碳足迹认证"},
                {"key": "CQC-2026-002", "claim_amount": "32000", "issued_on": TODAY, "description": ""},
                {"key": "", "claim_amount": "", "issued_on": "", "description": ""},
            ],
        ),
    )
    assert response.url == step_url(application, "fields")
    assert list(application.units.values_list("key", "claim_amount")) == [
        ("CQC-2026-001", Decimal("50000.00")),
        ("CQC-2026-002", Decimal("32000.00")),
    ]

    # Fields: the program's own question.
    response = owner_client.post(step_url(application, "fields"), {"annual_revenue": "1234.5", "action": "next"})
    assert response.url == step_url(application, "targets")

    # Targets.
    response = owner_client.post(
        step_url(application, "targets"),
        rows_post("targets", [{"indicator": "获证产品销售额增长", "target": "10", "unit": "%"}]),
    )
    assert response.url == step_url(application, "attachments")

    # Attachments: the required certificate scan, a PDF.
    response = owner_client.post(
        step_url(application, "attachments"), {"file-certificate": pdf("认证证书.pdf"), "action": "next"}
    )
    assert response.url == step_url(application, "declarations")
    assert list(application.attachments.values_list("kind", "original_name")) == [("certificate", "认证证书.pdf")]

    # Declarations: all three.
    response = owner_client.post(
        step_url(application, "declarations"),
        {"truthful": "on", "no_duplicate_funding": "on", "accept_adjustment": "on", "action": "next"},
    )
    assert response.url == step_url(application, "review")

    # Review: everything on one page, every check passed, the standard amount 8.2万.
    review = owner_client.get(step_url(application, "review")).content.decode()
    assert "82,000.00元" in review
    assert "CQC-2026-002" in review and "1234.5" in review and "认证证书.pdf" in review
    assert "check-fail" not in review
    assert review.count('class="check-pass"') == 11

    # Submit.
    response = owner_client.post(reverse("applications:transition", kwargs={"pk": application.pk, "name": "submit"}))

    assert response.url == application.get_absolute_url()
    application.refresh_from_db()
    assert application.state == "submitted"
    assert application.standard_amount == Decimal("82000.00")
    assert list(application.events.values_list("name", "from_state", "to_state", "actor")) == [
        ("submit", "draft", "submitted", roles["owner"].pk)
    ]
    detail = owner_client.get(application.get_absolute_url()).content.decode()
    assert '<span class="state state-submitted">已提交</span>' in detail
    assert "82,000.00元" in detail
    assert re.search(r"<strong>提交申报</strong> → 已提交\s*<span class=\"muted\">· 申报单位（", detail)


def test_the_new_page_preselects_a_linked_program_and_counts_the_organisations_applications_of_it(
    owner_client, open_call, certificate_program, certificate_draft
):
    url = f"{reverse('applications:new')}?call={open_call.pk}&program={certificate_program.code}"

    html = owner_client.get(url).content.decode()

    assert f'value="{open_call.pk}:{certificate_program.pk}" checked' in html
    assert html.count("本单位在本批次已有 1 份该项目申报") == 1


def test_choosing_nothing_on_the_new_page_is_refused_with_a_summary(owner_client):
    response = owner_client.post(reverse("applications:new"), {})

    assert response.status_code == 200
    assert "请选择要申报的项目" in error_summary(response.content.decode())
    assert Application.objects.count() == 0


def test_every_step_shows_the_live_standard_amount_and_the_failed_checks(owner_client, certificate_draft):
    for step in ("units", "targets", "attachments", "declarations", "review"):
        html = owner_client.get(step_url(certificate_draft, step)).content.decode()

        assert '<p class="summary-amount">82,000.00元</p>' in html, step
        assert "请上传：认证证书" in html, step
        assert 'aria-current="step"' in html, step


def test_units_past_the_cap_show_why_they_count_zero_on_the_review_page(
    owner_client, roles, open_call, certificate_program
):
    application = services.create_application(
        actor=roles["owner"],
        call=open_call,
        program=certificate_program,
        data=valid_data(
            units=[
                {"key": f"C-{i}", "claim_amount": claim} for i, claim in enumerate(["50000", "50000", "32000", "60000"])
            ]
        ),
    )

    html = owner_client.get(step_url(application, "review")).content.decode()

    assert "132,000.00元" in html
    assert "超过每年最多3项的上限" in html
    assert '<li class="check-fail">' in html and "以下事项超过本年度资助数量上限，请删除后再提交：C-3" in html


# --- Refused saves -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("second_row", "field", "message"),
    [
        (
            {"key": "cqc-2026-001 ", "claim_amount": "30000", "issued_on": TODAY, "description": "重复的证书"},
            "key",
            "第2项的编号“cqc-2026-001”与第1项重复",
        ),
        (
            {"key": "CQC-2026-777", "claim_amount": "-500", "issued_on": TODAY, "description": "负数金额"},
            "claim_amount",
            "第2项：金额不能为负数",
        ),
        (
            {"key": "CQC-2026-777", "claim_amount": "30000", "issued_on": "2026-13-45", "description": "错误日期"},
            "issued_on",
            "第2项：请输入有效的日期，例如 2026-03-15",
        ),
    ],
)
def test_a_refused_units_save_shows_the_message_by_the_field_keeps_the_input_and_changes_nothing(
    owner_client, certificate_draft, second_row, field, message
):
    before = saved_state(certificate_draft)
    first_row = {"key": "CQC-2026-001", "claim_amount": "45000", "issued_on": TODAY, "description": "改过的说明"}

    response = owner_client.post(
        step_url(certificate_draft, "units"), rows_post("units", [first_row, second_row], initial=2)
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert field_error(html, f"id_units-1-{field}") == message
    summary = error_summary(html)
    assert message in summary and f'href="#id_units-1-{field}"' in summary
    for value in (*second_row.values(), "45000", "改过的说明"):
        assert f'value="{value}"' in html
    assert saved_state(certificate_draft) == before


def test_a_tier_of_another_program_is_refused_beside_the_tier_field(owner_client, roles, open_call):
    tiered = ProgramFactory(amount_rule=AmountRule.PER_TIER, unit_amount=None, claim_required=False)
    TierFactory(program=tiered, code="mayor", name="市长质量奖", amount=Decimal("500000"))
    foreign = TierFactory(code="foreign-tier")
    open_call.programs.add(tiered)
    application = services.create_application(
        actor=roles["owner"], call=open_call, program=tiered, data=valid_data(units=[{"key": "H1", "tier": "mayor"}])
    )
    before = saved_state(application)

    response = owner_client.post(
        step_url(application, "units"),
        rows_post(
            "units", [{"key": "市长质量奖2025", "tier": foreign.code, "issued_on": TODAY, "description": ""}], initial=1
        ),
    )

    html = response.content.decode()
    assert field_error(html, "id_units-0-tier") == "第1项：档次“foreign-tier”不属于本项目"
    assert "第1项：档次“foreign-tier”不属于本项目" in error_summary(html)
    assert 'value="市长质量奖2025"' in html
    assert saved_state(application) == before
    assert list(application.units.values_list("tier__code", flat=True)) == ["mayor"]


def test_an_incomplete_target_is_refused_beside_its_empty_field(owner_client, certificate_draft):
    response = owner_client.post(
        step_url(certificate_draft, "targets"),
        rows_post(
            "targets",
            [
                {"indicator": "培训企业数量", "target": "50", "unit": "家"},
                {"indicator": "新增认证", "target": "", "unit": "张"},
                {"indicator": "", "target": "8", "unit": "项"},
            ],
            initial=1,
        ),
    )

    html = response.content.decode()
    # Every incomplete row in the same round, not the first one only.
    assert field_error(html, "id_targets-1-target") == "第2项绩效目标须填写指标和目标值"
    assert field_error(html, "id_targets-2-indicator") == "第3项绩效目标须填写指标和目标值"
    assert 'value="新增认证"' in html
    assert list(certificate_draft.targets.values_list("indicator", flat=True)) == ["培训企业数量"]


def test_a_file_that_is_not_a_pdf_or_image_is_refused_beside_its_kind(owner_client, certificate_draft):
    fake = pdf("证书.pdf", content=b"MZ\x90\x00 not a pdf")

    response = owner_client.post(
        step_url(certificate_draft, "attachments"), {"file-certificate": fake, "action": "next"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert field_error(html, "id_file-certificate") == "证书.pdf：只能上传 PDF、JPG 或 PNG 文件"
    assert "证书.pdf：只能上传 PDF、JPG 或 PNG 文件" in error_summary(html)
    assert certificate_draft.attachments.count() == 0


def test_submitting_with_failed_checks_shows_every_reason_on_the_review_page(owner_client, certificate_draft):
    response = owner_client.post(
        reverse("applications:transition", kwargs={"pk": certificate_draft.pk, "name": "submit"}), follow=True
    )

    html = response.content.decode()
    # Back on the application's review page (not left on /transitions/submit/), the reasons at the top.
    assert response.redirect_chain == [(step_url(certificate_draft, "review"), 302)]
    assert response.status_code == 200
    summary = error_summary(html)
    assert "未能提交，请先处理以下问题：" in summary
    assert "申报材料：请上传：认证证书" in summary
    assert f'href="{step_url(certificate_draft, "attachments")}"' in summary
    certificate_draft.refresh_from_db()
    assert certificate_draft.state == "draft"
    assert certificate_draft.events.count() == 0


def test_a_submitted_application_is_not_editable_and_sends_the_applicant_to_its_page(owner_client, make_application):
    application = make_application("submitted")

    response = owner_client.post(step_url(application, "units"), rows_post("units", [{"description": "改"}]))

    assert response.url == application.get_absolute_url()
    assert list(application.units.values_list("description", flat=True)) == ["行业质量提升项目"]


# --- Returned, withdrawn, deleted -------------------------------------------------------------


def test_a_returned_application_shows_reason_and_due_date_and_is_resubmitted(owner_client, roles, make_application):
    application = make_application("returned")
    due = date.fromisoformat(TRANSITION_PARAMS["return"]["due_on"])

    detail = owner_client.get(application.get_absolute_url()).content.decode()

    assert "营业执照扫描件不清晰" in detail
    assert f"{due.year}年{due.month}月{due.day}日" in detail
    assert step_url(application, "units") in detail
    assert "<strong>退回补正</strong> → 待补正" in detail
    assert "受理员" in detail and roles["intake"].email not in detail

    response = owner_client.post(
        step_url(application, "units"), rows_post("units", [{"description": "行业质量提升项目（补正后）"}], initial=1)
    )
    assert response.status_code == 302
    response = owner_client.post(reverse("applications:transition", kwargs={"pk": application.pk, "name": "submit"}))

    application.refresh_from_db()
    assert response.url == application.get_absolute_url()
    assert application.state == "submitted"
    assert (application.return_reason, application.return_due_on) == ("", None)
    assert list(application.units.values_list("description", flat=True)) == ["行业质量提升项目（补正后）"]
    assert list(application.events.values_list("name", flat=True)) == ["submit", "return", "submit"]


def test_withdrawing_a_submitted_application(owner_client, make_application):
    application = make_application("submitted")
    page = owner_client.get(application.get_absolute_url()).content.decode()
    assert 'data-confirm="撤回后本申报不再受理，也不能恢复。确定撤回吗？"' in page

    response = owner_client.post(reverse("applications:transition", kwargs={"pk": application.pk, "name": "withdraw"}))

    application.refresh_from_db()
    assert response.url == application.get_absolute_url()
    assert application.state == "withdrawn"
    assert application.events.last().name == "withdraw"


def test_transitions_take_post_only_and_only_the_applicants_ones(owner_client, make_application):
    application = make_application("submitted")

    get = owner_client.get(reverse("applications:transition", kwargs={"pk": application.pk, "name": "withdraw"}))
    staff_only = owner_client.post(reverse("applications:transition", kwargs={"pk": application.pk, "name": "accept"}))

    assert (get.status_code, staff_only.status_code) == (405, 404)
    application.refresh_from_db()
    assert application.state == "submitted"


def test_a_draft_can_be_deleted_but_a_submitted_application_cannot(owner_client, make_application):
    draft = make_application("draft")
    submitted = make_application("submitted")

    deleted = owner_client.post(reverse("applications:delete", kwargs={"pk": draft.pk}))
    refused = owner_client.post(reverse("applications:delete", kwargs={"pk": submitted.pk}))

    assert deleted.url == reverse("applications:dashboard")
    assert refused.url == submitted.get_absolute_url()
    assert list(Application.objects.values_list("pk", flat=True)) == [submitted.pk]


def test_an_attachment_downloads_as_a_file_and_can_be_deleted_from_a_draft(owner_client, roles, certificate_draft):
    attachment = services.add_attachment(
        application=certificate_draft, actor=roles["owner"], kind="certificate", uploaded_file=pdf("证书.pdf")
    )

    download = owner_client.get(attachment.get_absolute_url())
    deleted = owner_client.post(
        reverse("applications:attachment_delete", kwargs={"pk": certificate_draft.pk, "attachment_pk": attachment.pk})
    )

    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"%PDF-1.4")
    assert deleted.url == step_url(certificate_draft, "attachments")
    assert certificate_draft.attachments.count() == 0


# --- Who may see what --------------------------------------------------------------------------


@pytest.fixture
def returned_with_attachment(roles, make_application, fixed_program):
    """A returned application (editable, and visible to intake staff in the admin) with one attachment."""
    application = make_application("returned")
    FormField.objects.create(program=fixed_program, name="team_size", label="团队人数", field_type=FieldType.INTEGER)
    attachment = services.add_attachment(
        application=application, actor=roles["owner"], kind="other", uploaded_file=pdf()
    )
    return application, attachment


OBJECT_PAGES = [
    ("get", "detail"),
    ("get", "attachment"),
    *[("get", f"step:{step}") for step in ("units", "fields", "targets", "attachments", "declarations", "review")],
    ("post", "transition:withdraw"),
    ("post", "delete"),
    ("post", "attachment_delete"),
]


def object_url(page: str, application: Application, attachment) -> str:
    name, _, arg = page.partition(":")
    if name == "step":
        return step_url(application, arg)
    if name == "transition":
        return reverse("applications:transition", kwargs={"pk": application.pk, "name": arg})
    if name in ("attachment", "attachment_delete"):
        return reverse(f"applications:{name}", kwargs={"pk": application.pk, "attachment_pk": attachment.pk})
    return reverse(f"applications:{name}", kwargs={"pk": application.pk})


@pytest.mark.parametrize(("method", "page"), OBJECT_PAGES)
@pytest.mark.parametrize("who", ["anonymous", "owner", "other", *STAFF_ROLES])
def test_who_may_open_an_applications_pages(client, roles, returned_with_attachment, method, page, who):
    application, attachment = returned_with_attachment
    if who != "anonymous":
        client.force_login(roles[who])
    url = object_url(page, application, attachment)

    response = getattr(client, method)(url)

    if who == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    elif who == "owner":
        assert response.status_code == (200 if method == "get" else 302)
    else:
        assert response.status_code == 404
    if who != "owner":
        application.refresh_from_db()
        assert (application.state, application.attachments.count()) == ("returned", 1)


@pytest.mark.parametrize("name", ["dashboard", "new", "notifications"])
@pytest.mark.parametrize("who", ["anonymous", "owner", "other", *STAFF_ROLES])
def test_who_may_open_the_list_pages(client, roles, make_application, name, who):
    make_application("submitted")
    if who != "anonymous":
        client.force_login(roles[who])

    response = client.get(reverse(f"applications:{name}"))

    if who == "anonymous":
        assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    elif who in STAFF_ROLES and name != "notifications":
        assert response.status_code == 302 and response.url == reverse("accounts:home")
    else:
        assert response.status_code == 200
    if who == "other" and name == "dashboard":
        assert "ZLPP-" not in response.content.decode()


def test_the_dashboard_lists_the_organisations_applications_with_next_step_and_deadline(
    owner_client, make_application, open_call
):
    draft = make_application("draft")
    returned = make_application("returned")
    due = returned.return_due_on

    html = owner_client.get(reverse("applications:dashboard")).content.decode()

    assert draft.reference in html and returned.reference in html
    assert "完善并提交申报" in html and "按退回意见补正后重新提交" in html
    assert '<span class="state state-returned">待补正</span>' in html
    assert "300,000.00元" in html
    assert f"{due.year}年{due.month}月{due.day}日" in html
    assert "还剩 9 天" in html
    assert reverse("applications:new") in html


# --- Query counts ------------------------------------------------------------------------------


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("applications:dashboard"))
    assert response.status_code == 200
    return len(queries)


def test_the_dashboard_takes_the_same_number_of_queries_for_5_and_50_applications(owner_client, make_application):
    states = ["draft", "submitted", "returned", "withdrawn", "accepted"]
    for state in states:
        make_application(state)
    at_5 = dashboard_queries(owner_client)

    for index in range(45):
        make_application(states[index % len(states)])
    at_50 = dashboard_queries(owner_client)

    assert Application.objects.count() == 50
    assert at_5 == at_50


# --- Notifications ------------------------------------------------------------------------------


def test_a_notification_appears_after_a_transition_and_opening_the_page_marks_it_read(
    owner_client, roles, make_application, django_capture_on_commit_callbacks
):
    application = make_application("submitted")
    request = RequestFactory().get("/")
    request.user = roles["owner"]
    assert notifications_context(request) == {"unread_notifications": 0}

    with django_capture_on_commit_callbacks(execute=True):
        take(application, "return", roles["intake"])

    assert notifications_context(request) == {"unread_notifications": 1}
    html = owner_client.get(reverse("applications:notifications")).content.decode()
    assert f"{application.reference} {application.program.name}：待补正" in html
    assert "营业执照扫描件不清晰" in html
    assert html.count('class="notice unread"') == 1
    assert notifications_context(request) == {"unread_notifications": 0}
    assert Notification.objects.get().read_at is not None

    again = owner_client.get(reverse("applications:notifications")).content.decode()
    assert 'class="notice unread"' not in again


def test_the_timeline_names_staff_by_role_and_shows_the_return_reason(owner_client, roles, make_application):
    application = make_application("returned")

    html = owner_client.get(application.get_absolute_url()).content.decode()

    events = list(ApplicationEvent.objects.filter(application=application).values_list("name", flat=True))
    assert events == ["submit", "return"]
    assert re.search(r"<strong>退回补正</strong> → 待补正\s*<span class=\"muted\">· 受理员</span>", html)
    assert '<p class="comment">营业执照扫描件不清晰</p>' in html
    assert roles["intake"].email not in html


def test_every_duplicate_certificate_number_shows_beside_its_own_row_in_one_round(owner_client, certificate_draft):
    before = saved_state(certificate_draft)
    rows = [
        {"key": "CQC-2026-009", "claim_amount": "50000", "issued_on": TODAY, "description": ""},
        {"key": "CQC-2026-009", "claim_amount": "32000", "issued_on": TODAY, "description": ""},
        {"key": "ＣＱＣ－２０２６－００９", "claim_amount": "20000", "issued_on": TODAY, "description": ""},
    ]

    response = owner_client.post(step_url(certificate_draft, "units"), rows_post("units", rows, initial=2))

    html = response.content.decode()
    assert response.status_code == 200
    assert "与第1项重复" in field_error(html, "id_units-1-key")
    assert "与第1项重复" in field_error(html, "id_units-2-key")
    summary = error_summary(html)
    assert "第2项" in summary and "第3项" in summary
    assert saved_state(certificate_draft) == before  # nothing half-written, the draft as it was
