"""No English captions in the admin: every staff role walks the admin pages it can reach on the demo data.

Each role starts on the admin index and follows the admin links it is shown (changelists with their queue filters,
two change pages per list, the transition and checklist forms they link to), up to a bound. The visible text of each
page (tags, attributes, scripts and form values left out) must hold no English word beyond an allow-list: file
formats and standards (PDF, CSV, XLSX, CNAPS, USCC…), codes and references (anything with a digit, all capitals,
machine codes such as ``business-licence``), e-mail addresses and file names, and data dumps shown as JSON.
"""

import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db

ROLES = [
    "intake@demo.local",
    "approver@demo.local",
    "expert1@demo.local",
    "finance1@demo.local",
    "finance2@demo.local",
    "admin@demo.local",
]
PAGES_PER_ROLE = 90
SKIPPED_LINKS = ("logout", "/delete/", "password", "/history/", "/r/", "export", "download", "/file", "jsi18n")
SKIPPED_TAGS = {"script", "style", "textarea", "pre", "code"}

ALLOWED = {
    # formats, standards and system words an officer reads as they are
    "PDF", "CSV", "XLSX", "Excel", "CNAPS", "USCC", "SHA", "ID", "IP", "URL", "HTTP", "Accept", "GET", "POST", "JSON",
    "MFA", "TOTP", "ZLPP",
    # Django's own hint for multi-selects names the keys of the keyboard
    "Control", "Command", "Mac",
}  # fmt: skip
NOISE = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail addresses
    re.compile(r"\S+\.(?:pdf|png|jpe?g|webp|xlsx|csv|docx?)\b", re.IGNORECASE),  # file names
    re.compile(r"https?://\S+"),
    re.compile(r"\b[\w-]*\d[\w-]*\b"),  # references, codes with digits, dates and times
    re.compile(r"\b[a-z]+(?:[_-][a-z0-9]+)+\b"),  # machine codes: slugs and snake_case keys
    re.compile(r"\S+\*{3,}"),  # the masked password hash on the user page
    re.compile(r"\bCan (?:add|change|delete|view)\b"),  # Django's permission names, stored data
    re.compile(r"\bmin\("),  # the formula in the per-unit cap's help text
]
WORD = re.compile(r"[A-Za-z]{2,}")
LONE_CODE = re.compile(r"^[a-z][a-z0-9_-]*$")  # a value shown as it is stored (a field or attachment code)


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping = 0
        self.texts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        if tag == "a":
            self.links.extend(value for name, value in attrs if name == "href" and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if self.skipping or not text or LONE_CODE.match(text) or text[0] in "{[":
            return
        self.texts.append(text)


def english_words(texts: list[str]) -> set[str]:
    text = " | ".join(texts)
    for pattern in NOISE:
        text = pattern.sub(" ", text)
    return {word for word in WORD.findall(text) if word not in ALLOWED and not word.isupper()}


def _family(url: str) -> str:
    """Pages of one kind: a changelist with any filter, or any object's change page of one model."""
    path = url.split("?")[0]
    return re.sub(r"/\d+/", "/<id>/", path)


def walk_admin(client: Client) -> dict[str, set[str]]:
    """Follow the admin links from the index; the English words found, per page."""
    seen: set[str] = set()
    queue = ["/admin/"]
    per_family: dict[str, int] = {}
    found: dict[str, set[str]] = {}
    while queue and len(seen) < PAGES_PER_ROLE:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        page = _VisibleText()
        page.feed(response.content.decode())
        if words := english_words(page.texts):
            found[url] = words
        for link in page.links:
            link = link.split("#")[0]
            if not link.startswith("/admin/") or link in seen or any(part in link for part in SKIPPED_LINKS):
                continue
            family = _family(link)
            if per_family.get(family, 0) >= 2 and "?queue=" not in link:
                continue
            per_family[family] = per_family.get(family, 0) + 1
            queue.append(link)
    assert len(seen) > 5, "the walk reached almost no page"
    return found


@pytest.fixture
def demo():
    call_command("seed_demo", "--with-samples", verbosity=0)


def test_the_scan_catches_an_english_caption_and_lets_codes_through():
    page = _VisibleText()
    page.feed(
        "<p>ZLPP-2025-000001 submit: draft → submitted</p><p>联系 intake@demo.local，附件 执照.pdf，PDF 与 CNAPS</p>"
        '<script>var English = 1</script><td>business-licence</td><div>{"amount": "1.00"}</div>'
    )
    assert english_words(page.texts) == {"submit", "draft", "submitted"}


@pytest.mark.parametrize("email", ROLES)
def test_no_admin_page_a_role_reaches_shows_english_captions(demo, email):
    client = Client()
    client.force_login(User.objects.get(email=email))

    found = walk_admin(client)

    assert found == {}
