"""The production settings' HTTP hardening, seen on real responses (the values come from portal.settings.production)."""

import importlib

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

HOST = "zlpp.example.cn"
SECURITY_SETTINGS = (
    "MIDDLEWARE",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
    "STAFF_MFA_REQUIRED",
)


@pytest.fixture
def production(monkeypatch):
    """Run the request under the production module's security settings (the rest stays test settings)."""
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret-key-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c")
    monkeypatch.setenv("ALLOWED_HOSTS", HOST)
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    module = importlib.reload(importlib.import_module("portal.settings.production"))
    values = {name: getattr(module, name) for name in SECURITY_SETTINGS}
    with override_settings(ALLOWED_HOSTS=[HOST], **values):
        yield values


def https_get(client, path: str, **extra):
    return client.get(path, HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https", **extra)


def test_a_page_over_https_carries_every_security_header(client, production):
    response = https_get(client, reverse("home"))

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp


def test_plain_http_is_redirected_to_https(client, production):
    response = client.get(reverse("home"), HTTP_HOST=HOST)

    assert response.status_code == 301
    assert response["Location"] == f"https://{HOST}/"


def test_cookies_are_secure_and_the_session_cookie_is_http_only(client, production, password):
    member = MembershipFactory().user
    login_page = https_get(client, reverse("account_login"))

    response = client.post(
        reverse("account_login"),
        {"login": member.email, "password": password},
        HTTP_HOST=HOST,
        HTTP_X_FORWARDED_PROTO="https",
    )

    csrf = login_page.cookies["csrftoken"]
    assert csrf["secure"] is True
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert session["max-age"] == ""  # ends with the browser, and the server forgets it after 2 idle hours


def test_the_admin_over_https_needs_the_second_factor_in_production(client, production):
    assert production["STAFF_MFA_REQUIRED"] is True

    response = https_get(client, reverse("admin:login"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
