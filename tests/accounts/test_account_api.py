import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Organisation
from accounts.rules import build_uscc
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def test_a_token_is_issued_for_the_right_password_and_authenticates(api, password):
    membership = MembershipFactory(user__email="applicant@example.cn")

    response = api.post(reverse("api:token"), {"username": "Applicant@example.cn", "password": password}, format="json")

    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = api.get(reverse("api:organisation"))
    assert me.status_code == 200
    assert me.json()["uscc"] == membership.organisation.uscc


def test_a_wrong_password_gets_a_coded_error(api):
    UserFactory(email="applicant@example.cn")

    response = api.post(reverse("api:token"), {"username": "applicant@example.cn", "password": "nope"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_the_token_endpoint_locks_out_after_repeated_failures(api, password):
    UserFactory(email="applicant@example.cn")
    for _ in range(5):
        api.post(reverse("api:token"), {"username": "applicant@example.cn", "password": "nope"}, format="json")

    response = api.post(reverse("api:token"), {"username": "applicant@example.cn", "password": password}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_organisation_endpoint_needs_authentication_and_a_membership(api):
    assert api.get(reverse("api:organisation")).status_code in (401, 403)
    api.force_authenticate(UserFactory())

    response = api.get(reverse("api:organisation"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_patch_changes_the_profile_but_never_the_uscc(api):
    membership = MembershipFactory()
    api.force_authenticate(membership.user)
    original = membership.organisation.uscc

    ok = api.patch(reverse("api:organisation"), {"contact_person": "钱七"}, format="json")
    refused = api.patch(
        reverse("api:organisation"), {"uscc": build_uscc("91440300MA5GRN022"), "contact_person": "孙八"}, format="json"
    )

    assert ok.status_code == 200
    assert ok.json()["contact_person"] == "钱七"
    assert refused.status_code == 400
    assert refused.json()["code"] == "uscc_immutable"
    assert "uscc" in refused.json()["fields"]
    membership.organisation.refresh_from_db()
    assert membership.organisation.uscc == original
    assert membership.organisation.contact_person == "钱七"


def test_patch_with_bad_input_returns_field_errors_and_saves_nothing(api):
    membership = MembershipFactory()
    api.force_authenticate(membership.user)

    response = api.patch(reverse("api:organisation"), {"contact_phone": "abc", "district": "mars"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body["fields"]) == {"contact_phone", "district"}
    assert body["detail"]
    membership.organisation.refresh_from_db()
    assert membership.organisation.district == "nanshan"


def test_post_registers_an_organisation_with_a_valid_uscc_only(api):
    user = UserFactory()
    api.force_authenticate(user)
    data = {
        "uscc": "91440300MA5FPC0110",
        "name": "深圳市接口注册有限公司",
        "org_type": "enterprise",
        "founded_on": "2018-01-01",
        "district": "futian",
        "registered_address": "深圳市福田区",
        "legal_representative": "王五",
        "contact_person": "王五",
        "contact_phone": "13800138000",
        "contact_email": "api@example.cn",
    }

    bad = api.post(reverse("api:organisation"), data, format="json")
    data["uscc"] = build_uscc("91440300MA5FPC011")
    good = api.post(reverse("api:organisation"), data, format="json")

    assert bad.status_code == 400
    assert bad.json()["code"] == "uscc_invalid_check"
    assert good.status_code == 201
    assert Organisation.objects.get().name == "深圳市接口注册有限公司"
