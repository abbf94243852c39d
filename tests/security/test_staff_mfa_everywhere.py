"""Under STAFF_MFA_REQUIRED a staff member without a second factor in this session reaches nothing but the MFA
pages and logout: not site pages, not the admin, not the API (session or token). Issue 13, finding 1."""

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.middleware import SECOND_FACTOR_SESSION_KEY
from accounts.roles import ROLES_BY_KEY
from accounts.services import sync_roles
from tests.factories import MembershipFactory, StaffFactory
from tests.security.conftest import totp_code
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

BATCHES = "/api/v1/payout-batches/"


@pytest.fixture
def finance_officer(db):
    sync_roles()
    user = StaffFactory(email="finance@example.cn")
    user.groups.add(Group.objects.get(name=ROLES_BY_KEY["finance"].group_name))
    return user


def password_login(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def assert_refused(response, code: str) -> None:
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == code
    assert body["fields"] == {}
    assert "身份验证器" in body["detail"]


def test_staff_without_an_authenticator_signed_in_by_password_get_no_api(
    client, mfa_required, finance_officer, password
):
    assert password_login(client, finance_officer.email, password).status_code == 302
    assert "_auth_user_id" in client.session  # signed in with the password alone

    assert_refused(client.get(BATCHES), "mfa_setup_required")
    assert_refused(client.post(BATCHES, {"call": 1}, content_type="application/json"), "mfa_setup_required")
    assert_refused(client.get("/api/v1/applications/"), "mfa_setup_required")


def test_staff_without_an_authenticator_are_sent_to_set_one_up_from_every_page(
    client, mfa_required, finance_officer, password
):
    password_login(client, finance_officer.email, password)

    for path in ("/", "/programs/", "/me/", "/admin/", "/admin/dashboard/", "/accounts/2fa/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("mfa_activate_totp"), path
    # The set-up page itself opens (allauth first asks for the password again), and logout works.
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    assert client.get(reverse("account_reauthenticate")).status_code == 200
    assert client.get(reverse("account_logout")).status_code == 200  # allauth's "sign out?" page
    assert client.post(reverse("account_logout"))["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_staff_who_entered_the_code_use_the_api(client, mfa_required, finance_officer, password):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(finance_officer, secret)

    assert password_login(client, finance_officer.email, password)["Location"] == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})

    assert client.get(BATCHES).status_code == 200
    assert client.get("/").status_code == 200
    assert isinstance(client.session[SECOND_FACTOR_SESSION_KEY], int | float)  # when the factor was given


def test_a_password_only_session_of_staff_with_totp_is_asked_for_the_code(client, mfa_required, staff_with_totp):
    user, secret = staff_with_totp
    client.force_login(user)  # e.g. signed in before the authenticator was added

    assert_refused(client.get(BATCHES), "mfa_required")
    page = client.get("/me/")
    assert page["Location"] == f"{reverse('mfa_reauthenticate')}?next=%2Fme%2F"
    # Not the rest of the MFA pages: a password alone must not remove or replace the second factor.
    deactivate = client.post(reverse("mfa_deactivate_totp"))
    assert deactivate["Location"].startswith(reverse("mfa_reauthenticate"))
    assert Authenticator.objects.filter(user=user).exists()

    client.post(reverse("mfa_reauthenticate"), {"code": totp_code(secret)})

    assert client.get("/").status_code == 200
    assert SECOND_FACTOR_SESSION_KEY in client.session


def test_a_staff_token_issued_without_a_code_is_refused(mfa_required, finance_officer, staff_with_totp):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(finance_officer, mfa_verified=False)}")
    assert_refused(api.get(BATCHES), "mfa_setup_required")

    user, _secret = staff_with_totp
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user, mfa_verified=False)}")
    assert_refused(api.get(BATCHES), "mfa_required")


def test_a_staff_token_issued_against_a_code_works(mfa_required, finance_officer):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(finance_officer, mfa_verified=True)}")

    assert api.get(BATCHES).status_code == 200


def test_applicants_are_not_affected(client, mfa_required):
    member = MembershipFactory().user
    client.force_login(member)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(member, mfa_verified=False)}")

    assert client.get(reverse("applications:dashboard")).status_code == 200
    assert client.get("/api/v1/applications/").status_code == 200
    assert api.get("/api/v1/applications/").status_code == 200


def test_without_the_requirement_nothing_is_asked(client, settings, finance_officer, password):
    settings.STAFF_MFA_REQUIRED = False
    password_login(client, finance_officer.email, password)

    assert client.get(BATCHES).status_code == 200
