"""Staff enter the admin only with a second factor (TOTP) when STAFF_MFA_REQUIRED is on."""

import importlib

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.factories import MembershipFactory, StaffFactory
from tests.security.conftest import totp_code

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"


def password_login(client, email: str, password: str, next_url: str = ADMIN):
    return client.post(reverse("account_login"), {"login": email, "password": password, "next": next_url})


def test_the_admin_login_page_sends_everyone_to_the_portal_login(client, mfa_required):
    response = client.get(reverse("admin:login"), {"next": "/admin/applications/application/"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fapplications%2Fapplication%2F"


def test_a_password_posted_to_the_admin_login_signs_nobody_in(client, mfa_required, staff_with_totp, password):
    user, _secret = staff_with_totp

    response = client.post(reverse("admin:login"), {"username": user.email, "password": password})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert SESSION_KEY not in client.session
    assert client.get(ADMIN, follow=True).redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"


def test_staff_without_an_authenticator_are_sent_to_set_one_up(client, mfa_required, password):
    staff = StaffFactory()
    password_login(client, staff.email, password)

    for path in (ADMIN, "/admin/applications/application/", "/admin/dashboard/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.django_db(transaction=True)  # allauth announces the new authenticator on commit, inside the request
def test_staff_set_up_totp_then_enter_the_admin_with_a_code(client, mfa_required, password):
    staff = StaffFactory()
    password_login(client, staff.email, password)
    # allauth asks for the password once more before an authenticator is added (a stolen session cannot add one).
    sent_to = client.get(ADMIN)["Location"]
    confirm = client.get(sent_to)
    assert confirm["Location"] == f"{reverse('account_reauthenticate')}?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    client.post(confirm["Location"], {"password": password})
    page = client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]

    activated = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).count() == 1
    # Activation took a valid code from the new app: this session has shown its second factor, the admin opens.
    assert client.get(ADMIN).status_code == 200
    # A later session asks for the code after the password.
    client.logout()
    password_login(client, staff.email, password)
    asked = client.get(ADMIN)
    assert asked.status_code == 302
    assert client.get(ADMIN).status_code != 200
    # The set-up page is the portal's own page, in Chinese.
    html = page.content.decode()
    assert "质量品牌领域专项资金申报系统" in html
    assert "身份验证器" in html


def test_staff_with_totp_log_in_with_password_and_code(client, mfa_required, staff_with_totp, password):
    user, secret = staff_with_totp

    after_password = password_login(client, user.email, password)

    assert after_password["Location"] == reverse("mfa_authenticate")
    assert SESSION_KEY not in client.session
    after_code = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert after_code["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200


def test_a_wrong_code_does_not_sign_in(client, mfa_required, staff_with_totp, password):
    user, secret = staff_with_totp
    password_login(client, user.email, password)

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret, step=5)})

    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_a_password_only_session_of_staff_with_totp_cannot_reach_the_admin(client, mfa_required, staff_with_totp):
    user, _secret = staff_with_totp
    client.force_login(user)  # e.g. a session from before the rule, or from any password-only path

    for path in (ADMIN, "/admin/accounts/organisation/", "/admin/dashboard/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert client.post("/admin/accounts/organisation/add/", {"name": "x"}).status_code == 302


def test_second_factor_codes_are_rate_limited(client, mfa_required, settings, staff_with_totp, password):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "30/m/ip,10/5m/key"}
    user, secret = staff_with_totp
    password_login(client, user.email, password)
    for _ in range(10):
        client.post(reverse("mfa_authenticate"), {"code": "000000" if totp_code(secret) != "000000" else "111111"})

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})

    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert "登录失败次数过多" in response.content.decode()


def test_applicants_are_not_affected(client, mfa_required):
    member = MembershipFactory().user
    client.force_login(member)

    assert client.get(reverse("applications:dashboard")).status_code == 200
    response = client.get(reverse("admin:login"), {"next": ADMIN}, follow=True)
    assert response.redirect_chain[0][0] == reverse("accounts:home")
    assert response.status_code == 200
    assert "当前账号没有管理后台权限" in response.content.decode()


def test_without_the_requirement_staff_enter_the_admin_with_a_password(client, settings, password):
    settings.STAFF_MFA_REQUIRED = False
    staff = StaffFactory()

    login_page = client.get(reverse("admin:login"))
    client.post(reverse("admin:login"), {"username": staff.email, "password": password})

    assert "演示环境：管理后台未强制两步验证" in login_page.content.decode()
    assert client.get(ADMIN).status_code == 200


def test_the_demo_relaxes_the_requirement_and_production_keeps_it(monkeypatch):
    monkeypatch.delenv("STAFF_MFA_REQUIRED", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("ALLOWED_HOSTS", "zlpp.example.cn")

    local = importlib.reload(importlib.import_module("portal.settings.local"))
    production = importlib.reload(importlib.import_module("portal.settings.production"))
    base = importlib.import_module("portal.settings.base")

    assert local.STAFF_MFA_REQUIRED is False
    assert production.STAFF_MFA_REQUIRED is True
    assert base.STAFF_MFA_REQUIRED is True
