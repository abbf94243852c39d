"""Writes for award notices: render the 资助通知书 PDF and store it atomically (SPEC §6).

A render runs in three steps so that no database lock is held while WeasyPrint works: a short transaction claims the
job (creates the row with its verification code once, marks it ``rendering``), the PDF is rendered and written to a
fresh file name with an atomic rename, and a second short transaction points the row at the new file. A worker
killed at any point leaves the row pointing at a complete file or at none; stray files in the notice's folder are
removed by the next successful render.
"""

import base64
import functools
import hashlib
import io
import logging
import os
import time
from decimal import Decimal
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import ADMINISTRATOR, APPROVER, INTAKE, user_has_role
from applications.models import FINANCE_STATES, Application, ApplicationEvent
from core.exceptions import Conflict
from core.money import CENT, format_yuan, to_chinese_capitals
from notices.error_codes import NoticeErrorCode
from notices.models import AwardNotice, NoticeStatus, notice_file_name, notice_folder

logger = logging.getLogger(__name__)

# A notice exists from the award onwards; later states (disbursed, evaluated, ...) keep it.
AWARD_STATES = FINANCE_STATES
REGENERATE_ROLES = (APPROVER, INTAKE, ADMINISTRATOR)
TEMPLATE = "notices/award_notice.html"


# --- Facts ---------------------------------------------------------------------------------------


def printed_amount(application: Application) -> Decimal:
    """The amount an award notice states: the allocated amount once allocated, else the standard amount."""
    amount = application.allocated_amount if application.allocated_amount is not None else application.standard_amount
    return Decimal(amount).quantize(CENT)


def award_facts(application: Application) -> dict[str, Any]:
    """Everything a notice prints about an award, as JSON-ready values; equal facts give an equal document."""
    confirm = (
        ApplicationEvent.objects.filter(application_id=application.pk, name="confirm").order_by("at", "pk").first()
    )
    awarded_at = timezone.localtime(confirm.at if confirm else application.state_changed_at).replace(microsecond=0)
    amount = printed_amount(application)
    return {
        "reference": application.reference or "",
        "organisation": application.organisation.name,
        "uscc": application.organisation.uscc,
        "program": application.program.code,
        "program_name": application.program.name,
        "clause": application.program.clause,
        "call": application.call.title,
        "year": application.call.year,
        "amount": str(amount),
        "amount_in_words": to_chinese_capitals(amount),
        "awarded_on": awarded_at.date().isoformat(),
        "awarded_at": awarded_at.isoformat(),
        "bureau": str(settings.BUREAU_NAME),
        # 「公示期内无异议」 only when none was filed; a dismissed objection is said as 异议不成立.
        "objection_dismissed": bool(confirm and (confirm.data or {}).get("objection_dismissed")),
    }


def verify_url(code: str) -> str:
    """The public verify page of a code, absolute (printed on the notice and in its QR code)."""
    return settings.SITE_URL.rstrip("/") + reverse("notices:verify", args=[code])


# --- Rendering -----------------------------------------------------------------------------------


@functools.cache
def _data_only_fetcher_class() -> type:
    # WeasyPrint is imported on first use: importing it parses its stylesheets and logs, which every management
    # command and web process would otherwise pay for.
    from weasyprint.urls import URLFetcher

    class DataOnlyURLFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(timeout=1, allowed_protocols={"data"}, allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: dict | None = None) -> Any:
            if not url.lower().startswith("data:"):
                self.refused.append(url)
                raise ValueError(f"refused to fetch {url!r}: only data: URLs are allowed")
            return super().fetch(url, headers)

    return DataOnlyURLFetcher


def data_only_url_fetcher() -> Any:
    """A WeasyPrint URL fetcher (``weasyprint.urls.URLFetcher``) that loads ``data:`` URLs only.

    Everything else (``file:``, ``http(s):``, ``ftp:``, relative paths) is refused and remembered in its ``refused``
    list, so a template can neither read the server's files nor make outbound requests.
    """
    return _data_only_fetcher_class()()


def render_html_to_pdf(html: str, *, url_fetcher: Any = None) -> bytes:
    """Render an HTML string to PDF bytes with fonts subset and nothing fetched but ``data:`` URLs."""
    from weasyprint import HTML

    document = HTML(string=html, url_fetcher=url_fetcher or data_only_url_fetcher())
    # full_fonts stays off: WeasyPrint subsets Noto CJK (tens of KB instead of ~40 MB per file).
    return document.write_pdf(full_fonts=False, hinting=False, pdf_identifier=None)


def qr_code_data_url(text: str) -> str:
    """A QR code of ``text`` as an SVG ``data:`` URL (vector, a few kilobytes)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def chinese_date(iso_date: str) -> str:
    """Write an ISO date as on official documents: "2026-11-05" → "2026年11月5日"."""
    year, month, day = (int(part) for part in iso_date.split("-"))
    return f"{year}年{month}月{day}日"


def render_notice_html(notice: AwardNotice, facts: dict[str, Any]) -> str:
    url = verify_url(notice.verification_code)
    return render_to_string(
        TEMPLATE,
        {
            "facts": facts,
            "code": notice.verification_code,
            "verify_url": url,
            "qr_data_url": qr_code_data_url(url),
            "amount_figures": format_yuan(Decimal(facts["amount"])),
            "awarded_on_text": chinese_date(facts["awarded_on"]),
            # The PDF's creation and modification dates come from the award, not the clock, so that the same facts
            # give the same bytes on every regeneration.
            "issued_at": facts["awarded_at"],
        },
    )


def render_notice_pdf(notice: AwardNotice, *, facts: dict[str, Any] | None = None) -> bytes:
    """Render a notice's PDF from ``templates/notices/award_notice.html``; write nothing.

    ``facts`` defaults to the application's facts as they stand now (``award_facts``).
    """
    if facts is None:
        facts = award_facts(notice.application)
    return render_html_to_pdf(render_notice_html(notice, facts))


# --- Storing -------------------------------------------------------------------------------------


def _test_write_delay() -> float:
    """Seconds to pause halfway through writing a file: lets the worker tests kill a process mid-write.

    Honoured only when the settings say ``NOTICE_RENDER_DELAY_ALLOWED = True`` (the test worker's settings module);
    never set in base, local or production settings.
    """
    if not getattr(settings, "NOTICE_RENDER_DELAY_ALLOWED", False):
        return 0.0
    return float(os.environ.get("NOTICE_RENDER_DELAY_SECONDS") or 0)


def write_file_atomically(storage: Storage, name: str, data: bytes) -> str:
    """Store ``data`` under ``name`` so that the name never refers to a partial file; return the stored name.

    On the file system: write ``.<name>.part`` beside it, fsync, then rename into place. Other storages (object
    stores) put whole objects, which is already atomic.
    """
    try:
        final_path = storage.path(name)
    except NotImplementedError:
        return storage.save(name, ContentFile(data))
    folder, base = os.path.split(final_path)
    os.makedirs(folder, exist_ok=True)
    part_path = os.path.join(folder, f".{base}.part")
    with open(part_path, "xb") as part:
        half = len(data) // 2
        part.write(data[:half])
        part.flush()
        delay = _test_write_delay()
        if delay:
            time.sleep(delay)
        part.write(data[half:])
        part.flush()
        os.fsync(part.fileno())
    os.replace(part_path, final_path)
    return name


def _remove_strays(storage: Storage, application_id: int, keep: str) -> None:
    """Delete every file in an application's notice folder but ``keep``: the previous generation and anything a
    killed or losing render left behind (``.part`` files, renamed files never referenced)."""
    folder = notice_folder(application_id)
    try:
        _dirs, files = storage.listdir(folder)
        for file_name in files:
            name = f"{folder}/{file_name}"
            if name != keep:
                storage.delete(name)
    except OSError:  # a later render sweeps again
        logger.warning("Could not clean the award notice folder %s", folder, exc_info=True)


def _delete_quietly(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:  # already gone; a later render sweeps anything left
        logger.warning("Could not delete award notice file %s", name, exc_info=True)


# --- The job -------------------------------------------------------------------------------------


def _claim(application_id: int, *, force: bool, actor: User | None = None) -> tuple[AwardNotice | None, dict | None]:
    """Create the notice row once and mark it ``rendering`` if a render is due.

    Return (notice, facts to print) when a render is due, (notice, None) when the current file already prints the
    current facts, and (None, None) when the application does not exist or is not awarded.
    """
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("organisation", "call", "program")
            .filter(pk=application_id)
            .first()
        )
        if application is None or application.state not in AWARD_STATES:
            return None, None
        # Under the application's row lock, so two jobs cannot both create the row.
        notice, _created = AwardNotice.objects.get_or_create(application=application)
        notice = AwardNotice.objects.select_for_update().get(pk=notice.pk)
        notice.application = application
        facts = award_facts(application)
        if not force and notice.is_done and notice.facts == facts and notice.file.storage.exists(notice.file.name):
            return notice, None
        notice.status = NoticeStatus.RENDERING
        notice.error = ""
        fields = ["status", "error", "updated_at"]
        if actor is not None:
            notice.requested_by = actor
            fields.append("requested_by")
        notice.save(update_fields=fields)
        return notice, facts


def _mark_failed(notice_pk: int, error: BaseException) -> None:
    """Record a failed render on the row, unless another run has produced the file meanwhile."""
    try:
        with transaction.atomic():
            notice = AwardNotice.objects.select_for_update().get(pk=notice_pk)
            if notice.status == NoticeStatus.DONE:
                return
            notice.status = NoticeStatus.FAILED
            notice.error = f"{type(error).__name__}: {error}"[:2000]
            notice.save(update_fields=["status", "error", "updated_at"])
    except Exception:  # the database may be what failed; the original error is what the caller must see
        logger.exception("Could not record the failure of award notice %s", notice_pk)


def _store(notice: AwardNotice, facts: dict[str, Any], pdf: bytes, *, force: bool) -> AwardNotice:
    """Write the PDF under a fresh name and point the row at it in one short transaction."""
    storage = default_storage
    name = write_file_atomically(storage, notice_file_name(notice.application_id), pdf)
    try:
        with transaction.atomic():
            current = AwardNotice.objects.select_for_update().get(pk=notice.pk)
            if not force and current.is_done and current.facts == facts:
                # Another run of the job got here first with the same facts: keep its file, drop ours.
                transaction.on_commit(lambda: _delete_quietly(storage, name))
                return current
            if not storage.exists(name):  # swept by a concurrent render: let the caller retry
                raise FileNotFoundError(name)
            current.file.name = name
            current.sha256 = hashlib.sha256(pdf).hexdigest()
            current.size = len(pdf)
            current.amount = Decimal(facts["amount"])
            current.facts = facts
            current.status = NoticeStatus.DONE
            current.error = ""
            current.generation += 1
            current.rendered_at = timezone.now()
            current.save()
            application_id = current.application_id
            # The previous file stays until the row points at the new one; then it goes with any strays.
            transaction.on_commit(lambda: _remove_strays(storage, application_id, keep=name))
    except BaseException:
        _delete_quietly(storage, name)
        raise
    return current


def _render_and_store(notice: AwardNotice, facts: dict[str, Any], *, force: bool) -> AwardNotice:
    try:
        return _store(notice, facts, render_notice_pdf(notice, facts=facts), force=force)
    except Exception as error:
        _mark_failed(notice.pk, error)
        raise


def ensure_award_notice(*, application_id: int) -> AwardNotice | None:
    """Make sure an awarded application has a done notice printing its current facts; return the notice.

    Idempotent: the row and its verification code are created once; a render happens only when there is no done
    file or the facts changed (amount, organisation name, ...). Return None for an application that does not exist
    or is not awarded. A render error marks the notice ``failed`` with the error text and is re-raised.
    Not atomic as a whole on purpose: no lock is held while WeasyPrint renders.
    """
    notice, facts = _claim(application_id, force=False)
    if notice is None or facts is None:
        return notice
    return _render_and_store(notice, facts, force=False)


def regenerate_award_notice(*, application: Application, actor: User) -> AwardNotice:
    """Render an awarded application's notice again now, keeping its verification code (intake, approver, admin).

    Raise PermissionDenied for other users and Conflict "not_awarded" for an application that is not awarded.
    With unchanged facts the new file has the same bytes and SHA-256 as the old one.
    """
    if not any(user_has_role(actor, role) for role in REGENERATE_ROLES):
        raise PermissionDenied
    notice, facts = _claim(application.pk, force=True, actor=actor)
    if notice is None or facts is None:
        raise Conflict(_("只有已核准的申报才有资助通知书"), code=NoticeErrorCode.NOT_AWARDED)
    return _render_and_store(notice, facts, force=True)
