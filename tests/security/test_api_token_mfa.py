"""The API token endpoint asks staff for the same second factor as the admin; applicants are unaffected."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.auth import API_CODE_FAILURES_ALLOWED
from accounts.models import ApiToken as Token
from tests.factories import MembershipFactory, StaffFactory
from tests.security.conftest import totp_code

pytestmark = pytest.mark.django_db


def ask(email: str, password: str, code: str | None = None):
    body = {"username": email, "password": password}
    if code is not None:
        body["code"] = code
    return APIClient().post(reverse("api:token"), body, format="json")


def test_staff_with_totp_get_a_token_only_with_a_current_code(mfa_required, staff_with_totp, password):
    user, secret = staff_with_totp
    user.set_password(password)
    user.save()

    missing = ask(user.email, password)
    assert (missing.status_code, missing.json()["code"]) == (400, "mfa_code_required")
    assert missing.json()["fields"] == {"code": ["请填写身份验证器上的6位动态验证码。"]}
    wrong = ask(user.email, password, totp_code(secret, step=10))
    assert (wrong.status_code, wrong.json()["code"]) == (400, "mfa_code_invalid")
    assert not Token.objects.filter(user=user).exists()

    granted = ask(user.email, password, totp_code(secret))
    assert granted.status_code == 200
    assert granted.json()["id"] == Token.objects.get(user=user).pk
    assert Token.objects.get(user=user).mfa_verified_at is not None


def test_a_code_is_good_once(mfa_required, staff_with_totp, password):
    user, secret = staff_with_totp
    user.set_password(password)
    user.save()
    code = totp_code(secret)

    assert ask(user.email, password, code).status_code == 200
    replay = ask(user.email, password, code)
    assert (replay.status_code, replay.json()["code"]) == (400, "mfa_code_invalid")


def test_staff_without_an_authenticator_are_sent_to_set_one_up(mfa_required, password):
    user = StaffFactory(password=password)

    response = ask(user.email, password, "123456")

    assert (response.status_code, response.json()["code"]) == (403, "mfa_setup_required")
    assert "管理后台" in response.json()["detail"]
    assert not Token.objects.filter(user=user).exists()


def test_guessing_codes_stops_after_the_allowed_failures(mfa_required, staff_with_totp, password):
    user, secret = staff_with_totp
    user.set_password(password)
    user.save()
    for _ in range(API_CODE_FAILURES_ALLOWED):
        assert ask(user.email, password, totp_code(secret, step=20)).json()["code"] == "mfa_code_invalid"

    locked = ask(user.email, password, totp_code(secret))  # even the right code, until the window passes

    assert (locked.status_code, locked.json()["code"]) == (429, "mfa_locked")
    assert not Token.objects.filter(user=user).exists()


def test_applicants_need_no_code(mfa_required, password):
    member = MembershipFactory().user
    member.set_password(password)
    member.save()

    assert ask(member.email, password).status_code == 200


def test_without_the_requirement_staff_get_a_token_with_the_password(settings, password):
    settings.STAFF_MFA_REQUIRED = False
    user = StaffFactory(password=password)

    assert ask(user.email, password).status_code == 200


def test_a_wrong_password_is_refused_before_any_code_is_looked_at(mfa_required, staff_with_totp, password):
    user, secret = staff_with_totp
    response = ask(user.email, "not-the-password", totp_code(secret))
    assert (response.status_code, response.json()["code"]) == (400, "invalid_credentials")
