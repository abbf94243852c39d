"""No page or e-mail of the applicant's journey holds English: every Latin word is a code, a number or a name.

Given the catalogue, an open call and an enterprise, when a newcomer signs up, confirms the address, logs in and out,
resets the password, registers an organisation, applies, is refused at submit, and an awarded application's notice
is verified, then the visible text of every page met (tags, scripts and attributes stripped) and every e-mail sent
(subject and body) holds no Latin word outside the allow-list of tests/i18n/latin.py.
"""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from applications import services
from applications.views.common import STEP_NAMES
from notices.services import ensure_award_notice
from tests.applications.conftest import valid_data
from tests.i18n.latin import latin_words, visible_text

PASSWORD = "correct-horse-battery-9"
NEWCOMER = "li.ming@nanshan-newcomer.cn"


class Scanner:
    """Fetches pages with a test client and keeps what English it found, page by page."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}
        self.seen = 0

    def page(self, client: Client, url: str, *, method: str = "get", data: dict | None = None, status=(200,)):
        response = getattr(client, method)(url, data or {}, follow=True)
        assert response.status_code in status, (url, response.status_code)
        self.text(f"{method.upper()} {url}", response.content.decode())
        return response

    def text(self, where: str, html: str) -> None:
        self.seen += 1
        words = latin_words(visible_text(html))
        if words:
            self.found[where] = words

    def mails(self) -> None:
        for message in mail.outbox:
            where = f"e-mail {message.subject!r} to {message.to}"
            self.seen += 1
            words = latin_words(f"{message.subject} {message.body}")
            if words:
                self.found[where] = words


@pytest.fixture
def scanner() -> Scanner:
    return Scanner()


def test_the_public_pages_hold_no_english(client, scanner, open_call, certificate_program):
    for url in [
        reverse("home"),
        reverse("programs:list"),
        reverse("programs:detail", args=[certificate_program.code]),
        reverse("programs:guide", args=[certificate_program.code]),
        reverse("programs:call_detail", args=[open_call.pk]),
        reverse("programs:call_guide", args=[open_call.pk]),
        reverse("programs:faq"),
        reverse("programs:policy_list"),
        reverse("notices:verify_index"),
        reverse("publicity:list"),
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
    ]:
        scanner.page(client, url)
    scanner.page(client, reverse("notices:verify_index"), data={"code": "not a code"}, status=(200, 400, 404))
    scanner.page(client, "/no-such-page/", status=(404,))

    assert scanner.found == {}
    assert scanner.seen >= 15


def test_sign_up_confirmation_login_logout_and_password_reset_hold_no_english(client, scanner, db, settings):
    settings.SITE_URL = "http://portal.example.cn:8111"
    scanner.page(client, reverse("account_signup"), method="post", data={"email": "bad", "password1": "x"})
    scanner.page(
        client,
        reverse("account_signup"),
        method="post",
        data={"email": NEWCOMER, "password1": PASSWORD, "password2": PASSWORD},
    )
    confirm = re.search(r"http://portal\.example\.cn:8111(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)
    assert confirm, mail.outbox[-1].body
    scanner.page(client, confirm.group(1))
    scanner.page(client, confirm.group(1), method="post")  # confirms and logs in (the flashed message too)
    scanner.page(client, reverse("accounts:home"))
    scanner.page(client, reverse("accounts:register_organisation"))
    scanner.page(client, reverse("accounts:register_organisation"), method="post", data={"uscc": "123"})
    scanner.page(client, reverse("account_change_password"))
    scanner.page(client, reverse("account_logout"))
    scanner.page(client, reverse("account_logout"), method="post")
    scanner.page(client, reverse("account_login"), method="post", data={"login": NEWCOMER, "password": "wrong-one"})
    scanner.page(client, reverse("account_login"), method="post", data={"login": NEWCOMER, "password": PASSWORD})
    client.logout()
    scanner.page(client, reverse("account_reset_password"), method="post", data={"email": NEWCOMER})
    scanner.page(client, reverse("account_reset_password"), method="post", data={"email": "nobody@nowhere.cn"})
    scanner.mails()

    assert scanner.found == {}
    assert len(mail.outbox) >= 3
    assert not any("Hello" in m.body or "127.0.0.1" in m.body for m in mail.outbox)
    assert all("深圳市质量品牌领域专项资金申报系统" in m.body for m in mail.outbox)
    reset = [m for m in mail.outbox if "/accounts/password/reset/key/" in m.body]
    assert reset and "http://portal.example.cn:8111/accounts/password/reset/key/" in reset[0].body


def test_the_applicants_steps_status_and_notice_pages_hold_no_english(
    client, scanner, roles, open_call, certificate_program, make_application, django_capture_on_commit_callbacks
):
    owner = roles["owner"]
    client.force_login(owner)
    scanner.page(client, reverse("applications:new"))
    draft = services.create_application(
        actor=owner,
        call=open_call,
        program=certificate_program,
        data=valid_data(units=[{"key": "CQC-2026-001", "claim_amount": "50000"}]),
    )
    for step in STEP_NAMES:
        scanner.page(client, reverse("applications:step", kwargs={"pk": draft.pk, "step": step}))
    # A refused submit: the certificate's date and the required attachment are missing.
    scanner.page(client, reverse("applications:transition", kwargs={"pk": draft.pk, "name": "submit"}), method="post")
    scanner.page(client, reverse("applications:detail", kwargs={"pk": draft.pk}))
    scanner.page(client, reverse("applications:dashboard"))
    scanner.page(client, reverse("applications:notifications"))
    scanner.page(client, reverse("accounts:organisation"))
    with django_capture_on_commit_callbacks(execute=True):
        awarded = make_application("awarded")
        notice = ensure_award_notice(application_id=awarded.pk)
    scanner.page(client, reverse("applications:detail", kwargs={"pk": awarded.pk}))
    scanner.page(client, reverse("applications:notifications"))
    scanner.page(Client(), reverse("notices:verify", args=[notice.verification_code]))
    scanner.mails()

    assert scanner.found == {}
    assert mail.outbox, "the workflow sent the applicant no e-mail"
