"""Every absolute link the portal sends or prints starts with settings.SITE_URL; /favicon.ico and 404 in Chinese."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from notices.documents import verify_url_for
from notices.services import verify_url

PASSWORD = "correct-horse-battery-9"


@pytest.mark.parametrize("base", ["http://127.0.0.1:8111", "https://zjsb.example.gov.cn"])
def test_the_qr_codes_and_allauths_e_mails_follow_site_url(db, settings, base):
    settings.SITE_URL = base
    cache.clear()  # allauth's rate limit on reset e-mails per address

    Client().post("/accounts/signup/", {"email": "wang@e.cn", "password1": PASSWORD, "password2": PASSWORD})
    Client().post("/accounts/password/reset/", {"email": "wang@e.cn"})

    assert verify_url("ABC123").startswith(f"{base}/verify/")
    assert verify_url_for("SB-X").startswith(f"{base}/verify/")
    confirmation, reset = mail.outbox
    assert f"{base}/accounts/confirm-email/" in confirmation.body
    assert f"{base}/accounts/password/reset/key/" in reset.body
    assert "testserver" not in confirmation.body + reset.body


def test_favicon_ico_leads_to_the_svg_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("/favicon.svg")


def test_a_missing_page_is_the_portals_chinese_404(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "找不到这个页面" in response.content.decode()
