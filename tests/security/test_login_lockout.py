"""Login lockout (django-axes): 5 failures lock that username from that address, at every entry point."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

VICTIM, NEIGHBOUR = "victim@example.cn", "neighbour@example.cn"


def site_login(client, email: str, password: str, address: str = "10.0.0.1"):
    return client.post(reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=address)


def admin_login(client, email: str, password: str, address: str = "10.0.0.1"):
    return client.post(reverse("admin:login"), {"username": email, "password": password}, REMOTE_ADDR=address)


def token_login(client, email: str, password: str, address: str = "10.0.0.1"):
    api = APIClient()
    return api.post(reverse("api:token"), {"username": email, "password": password}, REMOTE_ADDR=address)


def signed_in(client, response) -> bool:
    if response.request["PATH_INFO"].startswith("/api/"):
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302 and SESSION_KEY in client.session


ENTRY_POINTS = pytest.mark.parametrize("login", [site_login, admin_login, token_login], ids=["site", "admin", "token"])


@pytest.fixture
def accounts(db):
    # Staff, so that the admin login would let them in; the site and the token endpoint take anyone.
    return StaffFactory(email=VICTIM), StaffFactory(email=NEIGHBOUR)


@ENTRY_POINTS
def test_five_failures_lock_the_username_from_that_address(client, accounts, password, login):
    for _ in range(5):
        assert not signed_in(client, login(client, VICTIM, "wrong-password"))

    response = login(client, VICTIM, password)

    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    body = response.json()["detail"] if response.request["PATH_INFO"].startswith("/api/") else response.content.decode()
    assert "登录失败次数过多" in body


@ENTRY_POINTS
def test_another_username_from_the_same_address_is_not_locked(client, accounts, password, login):
    for _ in range(5):
        login(client, VICTIM, "wrong-password")

    assert signed_in(client, login(client, NEIGHBOUR, password))


@ENTRY_POINTS
def test_the_same_username_from_another_address_is_not_locked(client, accounts, password, login):
    for _ in range(5):
        login(client, VICTIM, "wrong-password", address="10.0.0.1")

    assert signed_in(client, login(client, VICTIM, password, address="10.0.0.2"))


@ENTRY_POINTS
def test_four_failures_then_the_right_password_signs_in(client, accounts, password, login):
    for _ in range(4):
        login(client, VICTIM, "wrong-password")

    assert signed_in(client, login(client, VICTIM, password))


def test_the_username_is_matched_whatever_its_case(client, accounts, password):
    for _ in range(5):
        site_login(client, "Victim@Example.CN", "wrong-password")

    assert site_login(client, VICTIM, password).status_code == 429


def test_with_the_second_factor_required_the_admin_login_checks_no_password(client, settings, password):
    settings.STAFF_MFA_REQUIRED = True
    UserFactory(email=VICTIM)
    for _ in range(6):
        response = admin_login(client, VICTIM, "wrong-password")
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))

    assert signed_in(client, site_login(client, VICTIM, password))
