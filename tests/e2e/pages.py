"""What a person does on the portal's pages, one function per task, for the browser tests.

Locators follow what the user reads: labels, button texts, legends. Each function ends when the next page is there.
"""

import re

from playwright.sync_api import Locator, Page, expect

CONFIRM_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+/")


def pdf_bytes(title: str) -> bytes:
    """A small valid one-page PDF whose page shows ``title`` (ASCII): real PDF bytes for the upload check."""
    text = title.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def pdf_file(name: str, title: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes(title)}


def expect_message(page: Page, text: str) -> None:
    """The green/blue message at the top of a portal or admin page."""
    expect(page.locator(".messages, .messagelist").first).to_contain_text(text)


# --- Accounts ---------------------------------------------------------------------------------------------------


def sign_up(page: Page, *, email: str, password: str) -> None:
    page.goto("/")
    page.get_by_role("link", name="注册", exact=True).click()
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password1]").fill(password)
    page.locator("input[name=password2]").fill(password)
    page.locator("form").filter(has=page.locator("input[name=password2]")).get_by_role("button").click()


def confirmation_link(outbox: list, email: str) -> str:
    """The link in the verification email sent to ``email`` (the locmem outbox the live server shares)."""
    messages = [m for m in outbox if email in m.to]
    assert messages, f"no email to {email}; outbox: {[m.subject for m in outbox]}"
    match = CONFIRM_LINK.search(messages[-1].body)
    assert match, messages[-1].body
    return match.group(0)


def log_in(page: Page, *, email: str, password: str, next_url: str = "") -> None:
    page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form").filter(has=page.locator("input[name=password]")).get_by_role("button", name="登录").click()


def label(text: str) -> re.Pattern:
    """A field's label as read: the text, and the red asterisk of a required field."""
    return re.compile(f"^{re.escape(text)}\\s*\\*?$")


def register_organisation(page: Page, org: dict[str, str]) -> None:
    """Fill the 登记申报单位 form (labels as the applicant reads them) and submit it."""
    form = page.locator("form.form")
    for text, value in org.items():
        field = form.get_by_label(label(text))
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    form.get_by_role("button", name="提交登记").click()


# --- The application form --------------------------------------------------------------------------------------


def row(page: Page, legend: str) -> Locator:
    """One row card of a step form (第1项, 第2项, ...)."""
    return page.locator("fieldset.row-card").filter(has=page.locator("legend", has_text=re.compile(f"^{legend}")))


def step_heading(page: Page) -> Locator:
    return page.locator("h2.step-title")


def fill_units(page: Page, units: list[dict[str, str]]) -> None:
    for number, unit in enumerate(units, start=1):
        card = row(page, f"第{number}项")
        for text, value in unit.items():
            card.get_by_label(label(text)).fill(value)


def upload_materials(page: Page, files_by_kind: dict[str, list[dict]]) -> None:
    """Choose files under each material's legend, then 上传并继续."""
    for legend, files in files_by_kind.items():
        kind = page.locator("fieldset.attachment-kind").filter(has=page.locator("legend", has_text=legend))
        kind.locator("input[type=file]").set_input_files(files)
    page.get_by_role("button", name="上传并继续").click()


# --- The admin --------------------------------------------------------------------------------------------------


def open_application_in_admin(page: Page, reference: str) -> None:
    page.goto(f"/admin/applications/application/?q={reference}")
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.locator("#content h2, #content-main h2").first).to_be_visible()


def admin_transition(page: Page, label: str, **fields: str) -> None:
    """Click the transition button on the application's admin page, fill its short form and confirm."""
    page.locator("a.transition-button", has_text=label).click()
    for field_label, value in fields.items():
        page.get_by_label(field_label).fill(value)
    page.get_by_role("button", name=f"确认{label}").click()
