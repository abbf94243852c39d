"""Public verification (page and API), the applicant's download, the URL selector and the admin action."""

import hashlib

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.http import content_disposition_header

from notices.models import AwardNotice, NoticeStatus
from notices.selectors import award_notice_url
from notices.services import chinese_date, ensure_award_notice
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

NOT_FOUND_BODY = {"code": "not_found", "detail": "未找到该资助通知书", "fields": {}}


@pytest.fixture
def notice(awarded):
    return ensure_award_notice(application_id=awarded.pk)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- Verify page -----------------------------------------------------------------------------


def test_verify_page_shows_the_award_facts_and_hash_to_anyone(notice, awarded):
    response = Client().get(reverse("notices:verify", args=[notice.verification_code]))

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        awarded.organisation.name,
        awarded.organisation.uscc,
        awarded.program.name,
        awarded.call.title,
        "132,000.00",
        "人民币壹拾叁万贰仟元整",
        chinese_date(notice.facts["awarded_on"]),
        notice.sha256,
        "有效",
    ):
        assert text in html, text
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"


def test_verify_page_accepts_the_code_as_people_type_it(notice):
    typed = notice.verification_code.lower()[:10] + "-" + notice.verification_code.lower()[10:]

    response = Client().get(reverse("notices:verify", args=[typed]))

    assert response.status_code == 200
    assert notice.sha256 in response.content.decode()


@pytest.mark.parametrize("code", ["UNKNOWNCODE234567ABC", "x", "%20"])
def test_verify_page_says_not_found_for_an_unknown_code(notice, code):
    response = Client().get(f"/verify/{code}/")

    assert response.status_code == 404
    assert "未找到该资助通知书" in response.content.decode()
    assert notice.sha256 not in response.content.decode()


def test_a_notice_not_yet_rendered_is_not_found(awarded):
    pending = AwardNotice.objects.create(application=awarded)
    assert pending.status == NoticeStatus.PENDING

    assert Client().get(reverse("notices:verify", args=[pending.verification_code])).status_code == 404
    response = Client().get(reverse("api:verify-award-notice", args=[pending.verification_code]))
    assert response.status_code == 404


# --- Verify API ------------------------------------------------------------------------------


def test_verify_api_returns_the_award_facts_and_hash(notice, awarded):
    response = Client().get(f"/api/v1/verify/{notice.verification_code}/")

    assert response.status_code == 200
    assert response.json() == {
        "code": notice.verification_code,
        "reference": awarded.reference,
        "organisation": awarded.organisation.name,
        "uscc": awarded.organisation.uscc,
        "program": awarded.program.code,
        "program_name": awarded.program.name,
        "clause": "第八条第三款",
        "call": awarded.call.title,
        "amount": "132000.00",
        "amount_in_words": "人民币壹拾叁万贰仟元整",
        "awarded_on": notice.facts["awarded_on"],
        "bureau": "深圳市市场监督管理局",
        "sha256": hashlib.sha256(notice.file.read()).hexdigest(),
        "generation": 1,
        "status": "valid",
        "status_label": "有效",
    }


def test_verify_api_ignores_bad_credentials(notice):
    response = Client(HTTP_AUTHORIZATION="Token not-a-real-token").get(f"/api/v1/verify/{notice.verification_code}/")

    assert response.status_code == 200


def test_verify_api_answers_not_found_for_an_unknown_code(notice):
    response = Client().get("/api/v1/verify/UNKNOWNCODE234567ABC/")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND_BODY


def test_verify_reports_a_clawed_back_award(make_application, roles):
    from tests import stages

    application = make_application("disbursed")
    notice = ensure_award_notice(application_id=application.pk)
    stages.claw_back(application, roles, how="fraud")

    response = Client().get(f"/api/v1/verify/{notice.verification_code}/")

    assert response.json()["status"] == "clawed_back"
    assert response.json()["status_label"] == "资助已追回"


# --- Download --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("owner", 200),
        ("other", 404),
        ("expert", 404),  # staff who may not see the application
        ("no_role_staff", 404),
        ("intake", 200),
        ("approver", 200),
        ("finance", 200),
        ("administrator", 200),
    ],
)
def test_download_authorization(notice, awarded, roles, who, expected):
    user = {"anonymous": None, "no_role_staff": StaffFactory()}.get(who, roles.get(who))
    url = reverse("notices:download", args=[awarded.pk])

    response = client_for(user).get(url)

    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(reverse("account_login"))
    if expected == 200:
        body = b"".join(response.streaming_content)
        assert body.startswith(b"%PDF")
        assert hashlib.sha256(body).hexdigest() == notice.sha256


def test_download_is_an_attachment_with_a_chinese_name_and_no_sniffing(notice, awarded, roles):
    response = client_for(roles["owner"]).get(reverse("notices:download", args=[awarded.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == content_disposition_header(True, f"资助通知书-{awarded.reference}.pdf")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_download_is_not_found_before_the_notice_is_done(awarded, roles):
    AwardNotice.objects.create(application=awarded, status=NoticeStatus.RENDERING)

    response = client_for(roles["owner"]).get(reverse("notices:download", args=[awarded.pk]))

    assert response.status_code == 404


def test_download_of_an_unknown_application_is_not_found(roles):
    response = client_for(roles["owner"]).get(reverse("notices:download", args=[999_999]))

    assert response.status_code == 404


# --- award_notice_url ------------------------------------------------------------------------


def test_award_notice_url_is_given_once_the_notice_is_done(awarded, rf):
    assert award_notice_url(awarded) is None  # awarded, rendering not yet run
    notice = ensure_award_notice(application_id=awarded.pk)
    awarded.refresh_from_db()

    assert award_notice_url(awarded) == f"/me/applications/{awarded.pk}/award-notice/"
    assert award_notice_url(awarded, rf.get("/")) == f"http://testserver/me/applications/{awarded.pk}/award-notice/"
    notice.status = NoticeStatus.FAILED
    notice.save()
    awarded.refresh_from_db()
    assert award_notice_url(awarded) is None


def test_award_notice_url_costs_no_query_before_the_award(make_application, django_assert_num_queries):
    application = make_application("in_publicity")

    with django_assert_num_queries(0):
        assert award_notice_url(application) is None


def test_award_notice_url_costs_no_query_with_select_related(notice, awarded, django_assert_num_queries):
    from applications.models import Application

    application = Application.objects.select_related("award_notice").get(pk=awarded.pk)

    with django_assert_num_queries(0):
        assert award_notice_url(application) == f"/me/applications/{awarded.pk}/award-notice/"


# --- Admin -----------------------------------------------------------------------------------


def test_admin_regenerate_action(notice, roles):
    client = client_for(roles["approver"])

    response = client.post(
        reverse("admin:notices_awardnotice_changelist"),
        {"action": "regenerate_selected", "_selected_action": [notice.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "已重新生成 1 份资助通知书" in response.content.decode()
    notice.refresh_from_db()
    assert notice.generation == 2
    assert notice.requested_by == roles["approver"]


def test_admin_regenerate_action_is_not_offered_to_finance(notice, roles):
    client = client_for(roles["finance"])

    page = client.get(reverse("admin:notices_awardnotice_changelist"))
    response = client.post(
        reverse("admin:notices_awardnotice_changelist"),
        {"action": "regenerate_selected", "_selected_action": [notice.pk]},
    )

    assert page.status_code == 200
    assert "regenerate_selected" not in page.content.decode()
    assert response.status_code in (200, 302)
    notice.refresh_from_db()
    assert notice.generation == 1


def test_admin_detail_page_shows_the_notice(notice, roles):
    response = client_for(roles["intake"]).get(reverse("admin:notices_awardnotice_change", args=[notice.pk]))

    assert response.status_code == 200
    assert notice.verification_code in response.content.decode()
