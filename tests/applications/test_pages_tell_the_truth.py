"""What the applicant's pages say agrees with what submit checks: the ✓ of 申报事项, each row's 计入金额 and the
estimate; the E5 and E8 messages say what is allowed and what is missing; a refused submit returns to the review page.
Every error of a step in one round, and amounts typed as a clerk types them."""

import re
from datetime import date

import pytest
from django.urls import reverse

from applications import services
from applications.models import Application
from programs.models import EvidenceWindow
from tests.applications.conftest import valid_data
from tests.applications.test_applicant_pages import error_summary, field_error, rows_post, step_url

pytestmark = pytest.mark.django_db

TODAY = date.today()


@pytest.fixture
def owner_client(client, roles):
    client.force_login(roles["owner"])
    return client


@pytest.fixture
def windowed_draft(roles, open_call, certificate_program):
    """A P8-3-like draft (certificates within the last year): one good row, one without its number, one too old."""
    certificate_program.evidence_window = EvidenceWindow.LAST_YEARS
    certificate_program.evidence_years = 1
    certificate_program.save()
    old = date(open_call.year - 3, 6, 1).isoformat()
    return services.create_application(
        actor=roles["owner"],
        call=open_call,
        program=certificate_program,
        data=valid_data(
            units=[
                {"key": "CQC-2026-001", "claim_amount": "50000", "issued_on": TODAY.isoformat()},
                {"key": "", "claim_amount": "30000", "issued_on": TODAY.isoformat()},
                {"key": "CQC-2026-003", "claim_amount": "20000", "issued_on": old},
            ],
            declarations={"truthful": True, "no_duplicate_funding": False, "accept_adjustment": True},
        ),
    )


def progress_marks(html: str) -> dict[str, bool]:
    """Which step of the progress bar shows ✓, by its label."""
    marks = {}
    for item in re.findall(r"<li class=\"[^\"]*\">.*?</li>", html, re.DOTALL):
        label = re.search(r'class="progress-label">([^<]+)<', item)
        if label:
            marks[label.group(1)] = "✓" in item
    return marks


def test_rows_the_submit_check_refuses_count_0_with_the_reason_and_the_step_has_no_tick(owner_client, windowed_draft):
    html = owner_client.get(step_url(windowed_draft, "targets")).content.decode()

    assert progress_marks(html)["申报事项"] is False
    units_html = owner_client.get(step_url(windowed_draft, "units")).content.decode()
    assert "计入资助 50,000.00元" in units_html
    assert "计入 0 元：未填写证书编号" in units_html
    assert f"计入 0 元：日期不在要求范围内（应为{windowed_draft.call.year - 1}年1月1日至今天" in units_html
    # The estimate is the sum of what the rows count as shown: 5万, not 10万.
    assert '<p class="summary-amount">50,000.00元</p>' in units_html
    review = owner_client.get(step_url(windowed_draft, "review")).content.decode()
    assert re.search(r'<div class="amount-card primary"><span>标准资助金额</span><strong>50,000.00元</strong>', review)


def test_a_complete_row_set_gets_its_tick(owner_client, roles, open_call, certificate_program):
    application = services.create_application(
        actor=roles["owner"],
        call=open_call,
        program=certificate_program,
        data=valid_data(units=[{"key": "CQC-1", "claim_amount": "50000", "issued_on": TODAY.isoformat()}]),
    )

    html = owner_client.get(step_url(application, "review")).content.decode()

    assert progress_marks(html)["申报事项"] is True


def test_e5_says_which_dates_are_allowed_and_e8_names_only_the_missing_declaration(windowed_draft):
    checks = {c.number: c for c in services.assess(windowed_draft).checks}

    year = windowed_draft.call.year
    assert (
        f"本项目接受{year - 1}年1月1日至今天（{TODAY.year}年{TODAY.month}月{TODAY.day}日）的日期"
        in checks["E5"].message
    )
    assert checks["E8"].message == "请勾选：不多头申报承诺"


def test_a_refused_submit_returns_to_the_review_page_with_the_reasons(owner_client, windowed_draft):
    url = reverse("applications:transition", kwargs={"pk": windowed_draft.pk, "name": "submit"})

    response = owner_client.post(url, follow=True)

    assert response.redirect_chain == [(step_url(windowed_draft, "review"), 302)]
    summary = error_summary(response.content.decode())
    assert "申报承诺：请勾选：不多头申报承诺" in summary
    # Shown once: a reload of the review page does not repeat the refused submission's summary.
    assert error_summary(owner_client.get(step_url(windowed_draft, "review")).content.decode()) == ""
    assert Application.objects.get(pk=windowed_draft.pk).state == "draft"


def test_every_bad_unit_row_is_reported_in_one_round_and_amounts_are_read_as_typed(owner_client, windowed_draft):
    rows = [
        {"key": "CQC-2026-001", "claim_amount": "3万", "issued_on": TODAY.isoformat()},
        {"key": "CQC-2026-002", "claim_amount": "-5", "issued_on": TODAY.isoformat()},
        {"key": "CQC-2026-003", "claim_amount": "30000", "issued_on": "2026-13-45"},
    ]

    html = owner_client.post(step_url(windowed_draft, "units"), rows_post("units", rows, initial=3)).content.decode()

    assert field_error(html, "id_units-1-claim_amount") == "第2项：金额不能为负数"
    assert field_error(html, "id_units-2-issued_on") == "第3项：请输入有效的日期，例如 2026-03-15"
    assert field_error(html, "id_units-0-claim_amount") == ""


@pytest.mark.parametrize("typed", ["30,000", "3万", "３００００", "30000元", "￥30,000"])
def test_an_amount_typed_with_groups_wan_or_full_width_digits_is_saved_as_meant(owner_client, windowed_draft, typed):
    rows = [{"key": "CQC-2026-001", "claim_amount": typed, "issued_on": TODAY.isoformat()}]

    response = owner_client.post(step_url(windowed_draft, "units"), rows_post("units", rows, initial=3, action="save"))

    assert response.status_code == 302, error_summary(response.content.decode())
    assert [str(u.claim_amount) for u in windowed_draft.units.all()] == ["30000.00"]
