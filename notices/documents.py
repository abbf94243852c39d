"""The documents an applicant prints: the 申报书 of an application, and per program the 申报承诺书 and 申报材料清单.

Rendering only (WeasyPrint, as the award notice): nothing here writes to the database or to storage. Layout lives in
``templates/pdf/``; this module gathers the facts each document prints.

The 申报书 carries a check code and a QR code: the code is an HMAC of the facts the document prints, so the public
verify page can tell whether a printed, signed and stamped copy still matches the application in the portal.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from applications import services as application_services
from applications.forms import DECLARATION_TEXTS
from applications.models import Application, Attachment
from applications.workflow import APPLICANT_LABELS
from core.money import format_yuan, to_chinese_capitals
from notices.services import qr_code_data_url, render_html_to_pdf
from programs.models import FieldType, MaterialTemplate, Program

# Printed before the application's reference: 申报书 check codes never look like an award notice's code.
FORM_CODE_PREFIX = "SB"
FORM_CODE_DIGITS = 12
OTHER_KIND_NAME = "其他材料"


@dataclass(frozen=True)
class PrintedDocument:
    """A rendered PDF and the file name it downloads under."""

    content: bytes
    filename: str


# --- The 申报书 --------------------------------------------------------------------------------


def _sha256_of(attachment: Attachment) -> str:
    """The SHA-256 of a stored material, read in chunks; "" when the file is gone."""
    digest = hashlib.sha256()
    try:
        with default_storage.open(attachment.file.name, "rb") as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def _form_value(field_type: str, value: Any) -> str:
    if value in (None, ""):
        return ""
    if field_type == FieldType.BOOLEAN:
        return _("是") if value else _("否")
    return str(value)


def application_form_facts(application: Application) -> dict[str, Any]:
    """Everything the 申报书 prints about an application, as JSON-ready values (the check code covers them all).

    Eligibility results are printed but not part of the facts: they depend on the clock (the call's window).
    """
    organisation = application.organisation
    program = application.program
    requirements = {r.kind: r.name for r in program.attachment_requirements.all()}
    # The signed and stamped copy of this very document is not listed in it: uploading it changes nothing printed.
    signed_kinds = {
        r.kind for r in program.attachment_requirements.all() if r.template == MaterialTemplate.APPLICATION_FORM
    }
    tiers = {t.pk: t.name for t in program.tiers.all()}
    units = [
        {
            "position": number,
            "key": unit.key,
            "tier": tiers.get(unit.tier_id, "") if unit.tier_id else "",
            "claim_amount": str(unit.claim_amount) if unit.claim_amount is not None else "",
            "issued_on": unit.issued_on.isoformat() if unit.issued_on else "",
            "description": unit.description,
            "counted_amount": str(unit.counted_amount),
            "reason": unit.reason,
        }
        for number, unit in enumerate(application.units.order_by("position", "pk"), start=1)
    ]
    targets = [
        {"indicator": t.indicator, "target": t.target, "unit": t.unit}
        for t in application.targets.order_by("position", "pk")
    ]
    form_fields = [
        {"label": f.label, "value": _form_value(f.field_type, application.form_data.get(f.name))}
        for f in program.form_fields.all()
    ]
    materials = [
        {
            "kind": a.kind,
            "kind_name": requirements.get(a.kind, OTHER_KIND_NAME),
            "name": a.original_name,
            "size": a.size,
            "sha256": _sha256_of(a),
        }
        for a in application.attachments.order_by("kind", "uploaded_at", "pk")
        if a.kind not in signed_kinds
    ]
    return {
        "reference": application.reference or "",
        "call": application.call.title,
        "year": application.call.year,
        "program": program.code,
        "program_name": program.name,
        "clause": program.clause,
        "review_track": program.get_review_track_display(),
        "amount_rule": program.amount_rule_text(),
        "organisation": {
            "name": organisation.name,
            "uscc": organisation.uscc,
            "type": organisation.get_org_type_display(),
            "district": organisation.get_district_display(),
            "address": organisation.registered_address,
            "founded_on": organisation.founded_on.isoformat() if organisation.founded_on else "",
            "legal_representative": organisation.legal_representative,
            "contact_person": organisation.contact_person,
            "contact_phone": organisation.contact_phone,
            "contact_email": organisation.contact_email,
            "bank_name": organisation.bank_name,
            "bank_account": organisation.masked_bank_account,
        },
        "unit_label": program.unit_label,
        "unit_key_label": program.unit_key_label,
        "units": units,
        "targets": targets,
        "form_fields": form_fields,
        "materials": materials,
        "declarations": {
            "truthful": application.declaration_truthful,
            "no_duplicate_funding": application.declaration_no_duplicate_funding,
            "accept_adjustment": application.declaration_accept_adjustment,
        },
        "claimed_amount": str(application.claimed_amount),
        "standard_amount": str(application.standard_amount),
    }


# Computed by the portal, not given by the applicant: a cap sweep may change them without the copy being wrong.
COMPUTED_UNIT_FACTS = ("counted_amount", "reason")
COMPUTED_FACTS = ("standard_amount", "amount_rule", "review_track")


def _digest(facts: dict[str, Any]) -> str:
    given = {name: value for name, value in facts.items() if name not in COMPUTED_FACTS}
    given["units"] = [
        {name: value for name, value in unit.items() if name not in COMPUTED_UNIT_FACTS} for unit in facts["units"]
    ]
    canonical = json.dumps(given, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    key = f"application-form:{settings.SECRET_KEY}".encode()
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()[:FORM_CODE_DIGITS].upper()


def application_form_code(facts: dict[str, Any]) -> str:
    """The check code printed on a 申报书: SB-<reference>-<12 hex digits of the facts' HMAC>."""
    return f"{FORM_CODE_PREFIX}-{facts['reference']}-{_digest(facts)}"


def verify_url_for(code: str) -> str:
    """The public verify page of a code, absolute (printed under the QR code)."""
    return settings.SITE_URL.rstrip("/") + reverse("notices:verify", args=[code])


def _checks(application: Application) -> tuple[list[dict[str, Any]], str]:
    """The eligibility results to print, and a line for an application checked when it was submitted."""
    if not application.is_editable:
        submitted = timezone.localtime(application.submitted_at) if application.submitted_at else None
        line = (
            _("%(at)s 提交时已通过全部资格检查。") % {"at": submitted.strftime("%Y-%m-%d %H:%M")} if submitted else ""
        )
        return [], line
    assessment = application_services.assess(application)
    return [
        {"number": c.number, "name": c.name, "passed": c.passed, "message": c.message} for c in assessment.checks
    ], ""


def render_application_form(application: Application) -> PrintedDocument:
    """Render an application's 申报书 as it stands now (any state), with its check code and QR code."""
    facts = application_form_facts(application)
    code = application_form_code(facts)
    url = verify_url_for(code)
    checks, checked_line = _checks(application)
    now = timezone.localtime()
    declarations = [
        {"text": DECLARATION_TEXTS[name], "ticked": facts["declarations"][name]} for name in DECLARATION_TEXTS
    ]
    html = render_to_string(
        "pdf/application_form.html",
        {
            "facts": facts,
            "org": facts["organisation"],
            "code": code,
            "verify_url": url,
            "qr_data_url": qr_code_data_url(url),
            "state_label": APPLICANT_LABELS[application.state],
            "is_draft": application.is_editable,
            "checks": checks,
            "checked_line": checked_line,
            "declarations": declarations,
            "claimed_figures": format_yuan(application.claimed_amount),
            "standard_figures": format_yuan(application.standard_amount),
            "standard_capitals": to_chinese_capitals(application.standard_amount),
            "printed_at": now.strftime("%Y-%m-%d %H:%M"),
            "bureau": str(settings.BUREAU_NAME),
            "portal_name": str(settings.PORTAL_NAME),
        },
    )
    return PrintedDocument(render_html_to_pdf(html), f"申报书-{facts['reference']}.pdf")


def find_application_form(code: str) -> dict[str, Any] | None:
    """What the verify page shows for a 申报书 check code; None when the text is not shaped like one.

    The facts are shown only when the application still holds exactly what the printed copy was made from: a wrong
    digest (a typo, a copy printed before a change, or a guess at a reference) shows nothing of the application,
    and an unknown reference answers the same, so the page tells no one which references exist.
    """
    parts = code.strip().upper().replace(" ", "").split("-")
    # SB-ZLPP-2026-000123-<digest>: the reference itself contains hyphens.
    if len(parts) < 3 or parts[0] != FORM_CODE_PREFIX:
        return None
    reference, digest = "-".join(parts[1:-1]), parts[-1]
    shown = {"code": f"{FORM_CODE_PREFIX}-{reference}-{digest}", "matches": False}
    application = (
        Application.objects.select_related("organisation", "call", "program").filter(reference=reference).first()
        if reference
        else None
    )
    if application is None or not hmac.compare_digest(_digest(application_form_facts(application)), digest):
        return shown
    return {
        **shown,
        "matches": True,
        "reference": reference,
        "organisation": application.organisation.name,
        "uscc": application.organisation.uscc,
        "program": f"{application.program.code} {application.program.name}",
        "call": application.call.title,
        "state_label": APPLICANT_LABELS[application.state],
    }


# --- Per-program templates --------------------------------------------------------------------


def _organisation_facts(organisation: Organisation | None) -> dict[str, str]:
    if organisation is None:
        return {"name": "", "uscc": "", "legal_representative": "", "address": ""}
    return {
        "name": organisation.name,
        "uscc": organisation.uscc,
        "legal_representative": organisation.legal_representative,
        "address": organisation.registered_address,
    }


def _program_context(program: Program, organisation: Organisation | None) -> dict[str, Any]:
    return {
        "program": program,
        "org": _organisation_facts(organisation),
        "bureau": str(settings.BUREAU_NAME),
        "portal_name": str(settings.PORTAL_NAME),
        "year": timezone.localdate().year,
    }


def render_commitment(program: Program, organisation: Organisation | None) -> PrintedDocument:
    """Render a program's 申报承诺书, with the organisation's name and USCC filled in (blank lines without one).

    It states the three declarations of the application form (truthfulness, no duplicate funding, acceptance of
    the pro-rata adjustment), word for word.
    """
    context = _program_context(program, organisation)
    context["declarations"] = [str(text) for text in DECLARATION_TEXTS.values()]
    html = render_to_string("pdf/commitment.html", context)
    return PrintedDocument(render_html_to_pdf(html), f"申报承诺书-{program.code}.pdf")


def material_rows(program: Program) -> list[dict[str, Any]]:
    """The program's materials as the checklist and the guide list them, with the template each one comes with."""
    rows = [
        {
            "name": _("在线填写的申报信息"),
            "help": _("在本系统逐步填写：申报事项、绩效目标、项目专项信息和申报承诺。"),
            "required": True,
            "template": "",
        }
    ]
    rows += [
        {"name": r.name, "help": r.help_text, "required": r.is_required, "template": r.template}
        for r in program.attachment_requirements.all()
    ]
    return rows


def render_checklist(program: Program, organisation: Organisation | None) -> PrintedDocument:
    """Render a program's 申报材料清单: each material, whether it is required and where its template is."""
    context = _program_context(program, organisation)
    context["rows"] = material_rows(program)
    context["template_labels"] = {
        MaterialTemplate.COMMITMENT: _("模板：本系统“下载申报承诺书模板”"),
        MaterialTemplate.APPLICATION_FORM: _("由本系统生成：申报页面“下载申报书”"),
    }
    html = render_to_string("pdf/checklist.html", context)
    return PrintedDocument(render_html_to_pdf(html), f"申报材料清单-{program.code}.pdf")


__all__ = [
    "PrintedDocument",
    "application_form_code",
    "application_form_facts",
    "find_application_form",
    "material_rows",
    "render_application_form",
    "render_checklist",
    "render_commitment",
]
