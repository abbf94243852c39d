"""The API errors the fuzzer found, pinned: each bad request gets a 4xx JSON body with a code and a Chinese detail."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/applications/abc/"),
        ("delete", "/api/v1/applications/null,null/"),
        ("post", "/api/v1/no-such-endpoint/"),
        ("patch", "/api/v1/calls/1.5/publicity-notices/"),
    ],
)
def test_a_path_under_the_api_that_matches_no_endpoint_gets_the_json_404(method, path):
    # Given a signed-in browser session (so Django's CSRF check would apply to a plain view)
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())

    # When it sends a request to a path no endpoint serves
    response = getattr(client, method)(path)

    # Then the API's own 404 answers, not the site's HTML page or the CSRF failure page
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "未找到该接口或对象", "fields": {}}


def test_a_path_without_its_slash_is_still_redirected_to_the_one_with_it():
    response = Client().get("/api/v1/docs")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/docs/"


def test_a_body_that_is_not_json_is_refused_with_a_chinese_parse_error():
    response = APIClient().generic("POST", "/api/v1/auth/token/", b"\xae\xaf", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "detail": "请求内容无法解析，请检查格式（JSON 或 multipart/form-data）和编码（UTF-8）",
        "fields": {},
    }


def test_patching_the_organisation_with_a_json_null_is_a_400_not_a_500():
    # Given an organisation's administrator
    membership = MembershipFactory()
    api = APIClient()
    api.force_authenticate(membership.user)
    name = membership.organisation.name

    # When the body is JSON ``null`` instead of an object
    response = api.generic("PATCH", "/api/v1/organisation/", b"null", content_type="application/json")

    # Then it is refused in Chinese and nothing changes
    assert response.status_code == 400
    assert response.json() == {
        "code": "null",
        "detail": "请求体为空，请提交一个 JSON 对象",
        "fields": {},
        "field_codes": {},
    }
    membership.organisation.refresh_from_db()
    assert membership.organisation.name == name


def test_a_number_for_a_text_field_is_refused_not_turned_into_text():
    # Given an organisation's administrator
    membership = MembershipFactory()
    api = APIClient()
    api.force_authenticate(membership.user)
    account = membership.organisation.bank_account_number

    # When an account number arrives as a JSON number (its leading zeros already lost)
    response = api.patch("/api/v1/organisation/", {"bank_account_number": 745300120000012}, format="json")

    # Then it is refused, field by field, and nothing changes
    assert response.status_code == 400
    assert response.json() == {
        "code": "not_text",
        "detail": "提交的内容有误，请按提示修改",
        "fields": {"bank_account_number": ["请填写文字（字符串），不要用数字或其他类型"]},
        "field_codes": {"bank_account_number": ["not_text"]},
    }
    membership.organisation.refresh_from_db()
    assert membership.organisation.bank_account_number == account


def test_the_organisation_endpoint_takes_json_only():
    # Form data would read an empty name as "not sent" and answer 200 with the old name kept.
    membership = MembershipFactory()
    api = APIClient()
    api.force_authenticate(membership.user)

    response = api.patch("/api/v1/organisation/", {"name": ""}, format="multipart")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_a_due_date_sent_with_a_transition_that_takes_none_is_ignored_not_a_500(make_application, roles):
    # Given the applicant's draft
    application = make_application("draft")
    api = APIClient()
    api.force_authenticate(roles["owner"])

    # When the applicant withdraws it, sending a reason and a due date only 退回补正 takes
    response = api.post(
        f"/api/v1/applications/{application.pk}/transitions/",
        {"name": "withdraw", "reason": "x", "due_on": "2026-12-31"},
        format="json",
    )

    # Then the stray fields are ignored (before, the stray due_on crashed the service call)
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.state == "withdrawn"


def test_a_stage_driven_transition_with_stray_fields_is_a_409_not_a_500(make_application, roles):
    # Given the applicant's draft
    application = make_application("draft")
    api = APIClient()
    api.force_authenticate(roles["owner"])

    # When the applicant asks for the evaluation stage's transition, with fields it does not take
    response = api.post(
        f"/api/v1/applications/{application.pk}/transitions/",
        {"name": "claw_back", "reason": "x", "due_on": "2026-12-31"},
        format="json",
    )

    # Then it is refused as driven by its stage, before any role or state check
    assert response.status_code == 409
    assert response.json()["code"] == "transition_driven_by_stage"
    application.refresh_from_db()
    assert application.state == "draft"
