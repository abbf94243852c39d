from datetime import date

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.error_codes import AccountErrorCode
from accounts.models import Organisation
from accounts.rules import build_uscc
from accounts.services import REGISTRATION_FIELDS
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
    assert refused.json()["code"] == AccountErrorCode.USCC_IMMUTABLE
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
    organisation = Organisation.objects.get()
    assert organisation.name == "深圳市接口注册有限公司"
    assert (organisation.org_type, organisation.founded_on) == ("enterprise", date(2018, 1, 1))
    assert good.json()["founded_on"] == "2018-01-01"


LOCKED_MESSAGES = {
    "founded_on": "成立日期在登记后不能修改，如有错误请联系主管部门更正",
    "org_type": "单位类型在登记后不能修改，如有错误请联系主管部门更正",
}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"founded_on": "2010-01-01"}, {"founded_on"}),
        ({"founded_on": 20100101}, {"founded_on"}),
        ({"founded_on": None}, {"founded_on"}),
        ({"org_type": "other"}, {"org_type"}),
        ({"org_type": "other", "founded_on": "2010-01-01"}, {"org_type", "founded_on"}),
    ],
)
def test_patch_of_a_registration_field_is_refused_with_its_code_and_nothing_changes(api, body, fields):
    membership = MembershipFactory(organisation__founded_on=date(2015, 3, 1), organisation__org_type="enterprise")
    organisation = membership.organisation
    api.force_authenticate(membership.user)

    response = api.patch(reverse("api:organisation"), {**body, "contact_person": "钱七"}, format="json")

    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == AccountErrorCode.REGISTRATION_FIELD_LOCKED
    assert answer["fields"] == {field: [LOCKED_MESSAGES[field]] for field in fields}
    organisation.refresh_from_db()
    assert (organisation.founded_on, organisation.org_type) == (date(2015, 3, 1), "enterprise")
    assert organisation.contact_person != "钱七"


def test_patch_with_the_stored_registration_values_is_accepted(api):
    membership = MembershipFactory(organisation__founded_on=date(2015, 3, 1), organisation__org_type="enterprise")
    organisation = membership.organisation
    api.force_authenticate(membership.user)
    current = api.get(reverse("api:organisation")).json()

    response = api.patch(reverse("api:organisation"), {**current, "contact_person": "钱七"}, format="json")

    assert response.status_code == 200
    assert (response.json()["founded_on"], response.json()["contact_person"]) == ("2015-03-01", "钱七")
    organisation.refresh_from_db()
    assert organisation.contact_person == "钱七"


def test_the_schema_marks_the_registration_fields_read_only_except_for_registration():
    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]

    assert not set(REGISTRATION_FIELDS) & set(schemas["PatchedOrganisationRequest"]["properties"])
    assert set(REGISTRATION_FIELDS) <= set(schemas["OrganisationRegistrationRequest"]["properties"])
    assert all(schemas["Organisation"]["properties"][name].get("readOnly") for name in REGISTRATION_FIELDS)
