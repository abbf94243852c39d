"""Helpers the applicant's pages share: who may see what, the steps of the form, where a failed check is fixed,
error-summary lines, and what an application shows (on the review step and on the detail page).

Names keep their leading underscore: they are for the modules of this package only, not for other apps.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership
from applications import rules, selectors, services
from applications.error_codes import ApplicationErrorCode
from applications.models import Application, Attachment
from programs.models import AmountRule, FieldType

OTHER_KIND = "other"


@dataclass(frozen=True)
class Step:
    name: str
    label: str


STEPS = (
    Step("units", gettext_lazy("申报事项")),
    Step("fields", gettext_lazy("项目信息")),
    Step("targets", gettext_lazy("绩效目标")),
    Step("attachments", gettext_lazy("申报材料")),
    Step("declarations", gettext_lazy("申报承诺")),
    Step("review", gettext_lazy("核对提交")),
)
STEP_NAMES = tuple(s.name for s in STEPS)

# Where the applicant fixes a failed check, by the check's code (the one a refused submission raises too).
PROFILE = "profile"
FIX_BY_ERROR_CODE = {
    ApplicationErrorCode.APPLICANT_TYPE_NOT_ALLOWED: PROFILE,
    ApplicationErrorCode.NOT_REGISTERED_IN_SHENZHEN: PROFILE,
    ApplicationErrorCode.TOO_RECENTLY_ESTABLISHED: PROFILE,
    ApplicationErrorCode.USCC_INVALID: PROFILE,
    ApplicationErrorCode.EVIDENCE_OUT_OF_WINDOW: "units",
    ApplicationErrorCode.YEARLY_CAP_REACHED: "units",
    ApplicationErrorCode.ALREADY_FUNDED: "units",
    ApplicationErrorCode.INCOMPLETE: "units",
    ApplicationErrorCode.ATTACHMENT_MISSING: "attachments",
    ApplicationErrorCode.DECLARATIONS_MISSING: "declarations",
}


# --- Who may see what ------------------------------------------------------------------------


def _membership(request: HttpRequest) -> Membership | None:
    return getattr(request.user, "membership", None)


def _own_application(request: HttpRequest, pk: int, *, detail: bool = False) -> Application:
    """An application of the user's own organisation; 404 for anything else (missing, another's, staff access)."""
    membership = _membership(request)
    if membership is None:
        raise Http404
    queryset = (
        selectors.application_detail_queryset(request.user)
        if detail
        else selectors.applications_for_list(request.user).select_related("created_by")
    )
    application = queryset.filter(pk=pk, organisation_id=membership.organisation_id).first()
    if application is None:
        raise Http404
    return application


def _own_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> Attachment:
    application = _own_application(request, pk)
    attachment = Attachment.objects.filter(application=application, pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    attachment.application = application
    return attachment


def _posted(request: HttpRequest) -> Any:
    """The POST data when the request is a POST (even an empty one), else None: the form is bound exactly then."""
    return request.POST if request.method == "POST" else None


def _fix_url(application: Application, target: str | None) -> str:
    if target == PROFILE:
        return reverse("accounts:organisation")
    if target and application.is_editable:
        return reverse("applications:step", kwargs={"pk": application.pk, "step": target})
    return ""


def _error_item(text: str, anchor: str = "") -> dict[str, str]:
    return {"text": str(text), "anchor": anchor}


# --- What an application shows (review step and detail page) ------------------------------


def _attachment_kinds(application: Application) -> list[dict[str, Any]]:
    """The program's attachment kinds plus "other", each with its uploaded files."""
    kinds = [
        {"kind": r.kind, "name": r.name, "help": r.help_text, "required": r.is_required, "files": []}
        for r in application.program.attachment_requirements.all()
    ]
    kinds.append(
        {
            "kind": OTHER_KIND,
            "name": _("其他材料"),
            "help": _("其他能证明申报事项的材料（选填）。"),
            "required": False,
            "files": [],
        }
    )
    by_kind = {k["kind"]: k for k in kinds}
    for attachment in application.attachments.all():
        by_kind.get(attachment.kind, by_kind[OTHER_KIND])["files"].append(attachment)
    return kinds


def _row_problems(application: Application, unit: Any, today: Any) -> list[str]:
    """What the submit check (U1, E5) refuses in this one row: the row counts 0 on the page while any holds."""
    program = application.program
    problems = []
    if program.funded_once and not unit.key:
        problems.append(_("未填写%(key)s") % {"key": program.unit_key_label or _("编号")})
    if program.amount_rule == AmountRule.PER_TIER and not unit.tier_id:
        problems.append(_("未选择档次"))
    window, years, year = program.evidence_window, program.evidence_years, application.call.year
    if unit.issued_on is None:
        if window != rules.WINDOW_NONE:
            problems.append(_("未填写取得/发布日期"))
    elif not rules.evidence_in_window(unit.issued_on, window=window, years=years, call_year=year, today=today):
        allowed = rules.allowed_dates_text(window=window, years=years, call_year=year, today=today)
        problems.append(_("日期不在要求范围内（应为%(allowed)s）") % {"allowed": allowed})
    return problems


def _unit_rows(application: Application, assessment: services.Assessment | None) -> list[dict[str, Any]]:
    """Each unit with what it counts now (live while editable, as stored once submitted) and why not in full.

    While the application is assessed live, a row the submit check would refuse (no certificate number, a date out
    of the window) counts 0 here with the reason, so that 计入金额 and the estimate agree with what submit accepts.
    """
    units = sorted(application.units.all(), key=lambda u: (u.position, u.pk))
    live = assessment is not None and len(assessment.unit_results) == len(units)
    if live:
        results = [(r.counted_amount, r.reason) for r in assessment.unit_results]
    else:
        results = [(u.counted_amount, u.reason) for u in units]
    today = timezone.localdate()
    rows = []
    for unit, (counted, reason) in zip(units, results, strict=True):
        problems = _row_problems(application, unit, today) if live else []
        if problems:
            counted, reason = Decimal("0.00"), "；".join([*problems, *([reason] if reason else [])])
        rows.append({"unit": unit, "counted_amount": counted, "reason": reason, "problems": problems})
    return rows


def _estimate(unit_rows: list[dict[str, Any]]) -> Decimal:
    """The standard amount the page shows: the sum of what each row counts as shown (rows counting 0 add 0)."""
    return sum((row["counted_amount"] or Decimal("0.00") for row in unit_rows), Decimal("0.00"))


def _form_data_rows(application: Application) -> list[tuple[str, str, bool]]:
    rows = []
    for field in application.program.form_fields.all():
        value = application.form_data.get(field.name)
        if field.field_type == FieldType.BOOLEAN and value not in (None, ""):
            value = _("是") if value else _("否")
        rows.append((field.label, "" if value is None else str(value), field.is_required))
    return rows


def _checks(application: Application, assessment: services.Assessment) -> list[dict[str, Any]]:
    return [
        {"check": c, "fix_url": "" if c.passed else _fix_url(application, FIX_BY_ERROR_CODE.get(c.code))}
        for c in assessment.checks
    ]
