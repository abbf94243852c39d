"""The award notice PDF: what it prints, how it embeds fonts, and what it refuses to fetch."""

import base64
import hashlib
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from pypdf import PdfReader

from applications.models import Application, State
from core.exceptions import Conflict
from notices.models import CODE_ALPHABET, CODE_LENGTH, AwardNotice, NoticeStatus, new_verification_code
from notices.services import (
    data_only_url_fetcher,
    ensure_award_notice,
    regenerate_award_notice,
    render_html_to_pdf,
    render_notice_pdf,
)

pytestmark = pytest.mark.django_db

# A 1×1 PNG: the one image a template may embed, as a data: URL.
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def pdf_text(data: bytes) -> str:
    """All text of a PDF without whitespace (letter-spacing makes extractors insert spaces)."""
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def embedded_fonts(data: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(data))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/"))
    return names


def image_xobjects(data: bytes) -> int:
    reader = PdfReader(io.BytesIO(data))
    count = 0
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        count += sum(1 for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image")
    return count


def test_notice_prints_the_award_facts_code_and_amount_in_capitals(awarded):
    notice = ensure_award_notice(application_id=awarded.pk)

    data = notice.file.read()
    text = pdf_text(data)
    assert data.startswith(b"%PDF")
    assert "资助通知书" in text
    assert "深圳市市场监督管理局" in text
    assert awarded.organisation.name in text
    assert awarded.organisation.uscc in text
    assert awarded.reference in text
    assert awarded.program.name in text
    assert "第八条第三款" in text
    assert awarded.call.title in text
    assert "¥132,000.00元" in text
    assert "人民币壹拾叁万贰仟元整" in text
    assert notice.verification_code in text
    assert f"/verify/{notice.verification_code}/" in text
    assert len(PdfReader(io.BytesIO(data)).pages) == 1


def test_notice_row_stores_hash_size_amount_and_facts_of_the_file(awarded):
    notice = ensure_award_notice(application_id=awarded.pk)

    data = notice.file.read()
    assert notice.status == NoticeStatus.DONE
    assert notice.sha256 == hashlib.sha256(data).hexdigest()
    assert notice.size == len(data)
    assert notice.amount == Decimal("132000.00")
    assert notice.generation == 1
    assert notice.facts["amount_in_words"] == "人民币壹拾叁万贰仟元整"
    assert notice.facts["uscc"] == awarded.organisation.uscc
    assert notice.file.name.startswith(f"private/notices/{awarded.pk}/")
    assert notice.file.name.endswith(".pdf")


def test_notice_prints_the_standard_amount_until_an_amount_is_allocated(make_application):
    application = make_application("awarded")
    # The stages allocate before publicity; an award from before allocation runs existed has no allocated amount.
    Application.objects.filter(pk=application.pk).update(allocated_amount=None)
    application.refresh_from_db()

    notice = ensure_award_notice(application_id=application.pk)

    assert notice.amount == application.standard_amount == Decimal("300000.00")
    assert "人民币叁拾万元整" in pdf_text(notice.file.read())


def test_fonts_are_embedded_as_subsets_and_the_file_is_small(awarded):
    notice = ensure_award_notice(application_id=awarded.pk)
    data = notice.file.read()

    fonts = embedded_fonts(data)
    assert any("Noto-Sans-CJK-SC" in name for name in fonts)
    assert all(re.fullmatch(r"[A-Z]{6}\+.+", name) for name in fonts), fonts
    assert len(data) < 400 * 1024


def test_pdf_dates_come_from_the_award_not_the_clock(awarded):
    notice = ensure_award_notice(application_id=awarded.pk)

    metadata = PdfReader(io.BytesIO(notice.file.read())).metadata
    awarded_at = notice.facts["awarded_at"]  # e.g. 2026-11-22T08:25:36+08:00
    expected = "D:" + re.sub(r"[-:T]", "", awarded_at[:19]) + "+08'00"
    assert metadata["/CreationDate"] == expected
    assert metadata["/ModDate"] == expected


def test_rendering_the_same_facts_twice_gives_identical_bytes(awarded):
    notice = ensure_award_notice(application_id=awarded.pk)

    again = render_notice_pdf(notice, facts=notice.facts)

    assert hashlib.sha256(again).hexdigest() == notice.sha256


def test_renderer_refuses_file_and_network_urls_and_embeds_only_data_urls():
    pixel = "data:image/png;base64," + base64.b64encode(PIXEL_PNG).decode()
    html = f"""<!DOCTYPE html><html lang="zh-CN"><head>
      <link rel="stylesheet" href="file:///etc/passwd">
      <style>@import url("http://example.invalid/evil.css");
        body {{ background: url("file:///usr/share/pixmaps/debian-logo.png"); }}</style></head>
      <body><p>测试</p>
      <img src="file:///etc/passwd"><img src="http://example.invalid/tracker.png">
      <img src="https://example.invalid/x.png"><img src="../secret.png"><img src="{pixel}">
      </body></html>"""
    fetcher = data_only_url_fetcher()

    data = render_html_to_pdf(html, url_fetcher=fetcher)

    assert image_xobjects(data) == 1  # the data: pixel, and nothing else
    assert "root:" not in pdf_text(data)
    assert set(fetcher.refused) >= {
        "file:///etc/passwd",
        "http://example.invalid/evil.css",
        "file:///usr/share/pixmaps/debian-logo.png",
        "http://example.invalid/tracker.png",
        "https://example.invalid/x.png",
    }
    assert not any(url.startswith("data:") for url in fetcher.refused)


def test_the_real_notice_fetches_nothing_but_data_urls(awarded, monkeypatch):
    fetchers = []
    original = data_only_url_fetcher

    def spy():
        fetchers.append(original())
        return fetchers[-1]

    monkeypatch.setattr("notices.services.data_only_url_fetcher", spy)

    ensure_award_notice(application_id=awarded.pk)

    assert len(fetchers) == 1
    assert fetchers[0].refused == []


def test_verification_codes_are_long_random_and_readable():
    codes = {new_verification_code() for _ in range(200)}

    assert len(codes) == 200
    assert all(len(code) == CODE_LENGTH >= 16 for code in codes)
    assert all(set(code) <= set(CODE_ALPHABET) for code in codes)
    assert not set(CODE_ALPHABET) & set("01OIL")


def test_regeneration_keeps_the_code_facts_and_bytes(awarded, roles, django_capture_on_commit_callbacks):
    first = ensure_award_notice(application_id=awarded.pk)
    first_name, first_sha = first.file.name, first.sha256

    with django_capture_on_commit_callbacks(execute=True):
        again = regenerate_award_notice(application=awarded, actor=roles["approver"])

    assert again.pk == first.pk
    assert again.verification_code == first.verification_code
    assert again.generation == 2
    assert again.facts == first.facts
    assert again.file.name != first_name  # a new file, written beside the old one and swapped in
    # Same facts give the same bytes: the PDF dates come from the award, WeasyPrint adds no timestamp or ID.
    assert again.sha256 == first_sha
    # The old file goes once the row points at the new one.
    assert not again.file.storage.exists(first_name)
    assert again.file.storage.exists(again.file.name)
    assert again.requested_by == roles["approver"]


def test_regeneration_after_the_amount_changed_prints_the_new_amount(awarded, roles):
    first = ensure_award_notice(application_id=awarded.pk)
    awarded.allocated_amount = Decimal("98765.43")
    awarded.save(update_fields=["allocated_amount"])

    again = regenerate_award_notice(application=awarded, actor=roles["intake"])

    assert again.verification_code == first.verification_code
    assert again.amount == Decimal("98765.43")
    assert again.sha256 != first.sha256
    assert "人民币玖万捌仟柒佰陆拾伍元肆角叁分" in pdf_text(again.file.read())


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("approver", True),
        ("intake", True),
        ("administrator", True),
        ("finance", False),
        ("expert", False),
        ("owner", False),
        ("other", False),
    ],
)
def test_who_may_regenerate(awarded, roles, role, allowed):
    notice = ensure_award_notice(application_id=awarded.pk)

    if allowed:
        assert regenerate_award_notice(application=awarded, actor=roles[role]).generation == 2
    else:
        with pytest.raises(PermissionDenied):
            regenerate_award_notice(application=awarded, actor=roles[role])
        notice.refresh_from_db()
        assert notice.generation == 1
        assert notice.requested_by is None


def test_regenerating_an_application_that_is_not_awarded_is_a_conflict(make_application, roles):
    application = make_application("in_publicity")

    with pytest.raises(Conflict) as error:
        regenerate_award_notice(application=application, actor=roles["approver"])

    assert error.value.code == "not_awarded"
    assert not AwardNotice.objects.exists()


def test_a_notice_survives_later_states(make_application):
    application = make_application("disbursed")
    assert application.state == State.DISBURSED

    notice = ensure_award_notice(application_id=application.pk)

    assert notice.status == NoticeStatus.DONE
