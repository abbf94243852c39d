"""Public verification (award notices and printed 申报书), the applicant's downloads and the per-program templates."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from applications.selectors import get_application
from core.money import format_yuan
from notices import documents, selectors
from notices.models import CODE_LENGTH, normalise_code
from notices.services import chinese_date
from programs.selectors import public_program

# Longer than any code we print: anything past this is not a code, whatever it is.
MAX_CODE_INPUT = 80


def _private(response: HttpResponse) -> HttpResponse:
    # The code in the URL is the key to the facts: keep it out of caches, referrers and search engines.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _pdf_response(document: documents.PrintedDocument, *, private: bool = True) -> HttpResponse:
    response = HttpResponse(document.content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, document.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store" if private else "no-cache"
    return response


def _verify_form(request: HttpRequest, *, code: str = "", error: str = "", status: int = 200) -> HttpResponse:
    return _private(render(request, "notices/verify_form.html", {"code": code, "error": error}, status=status))


def _form_check(request: HttpRequest, form: dict) -> HttpResponse:
    status = 200 if form["matches"] else 404
    return _private(render(request, "notices/verify_application_form.html", {"form": form}, status=status))


@require_GET
def verify_index(request: HttpRequest) -> HttpResponse:
    """The box to type a code in (GET ?code=…): an award notice's code or a printed 申报书's check code."""
    if "code" not in request.GET:
        return _verify_form(request)
    typed = request.GET.get("code", "").strip()
    if not typed:
        return _verify_form(request, error=_("请输入验证码。"), status=400)
    if len(typed) > MAX_CODE_INPUT:
        return _verify_form(request, code=typed[:MAX_CODE_INPUT], error=_("验证码过长，请核对后重新输入。"), status=400)
    form = documents.find_application_form(typed)
    if form is not None:
        return _form_check(request, form)
    code = normalise_code(typed)
    if len(code) != CODE_LENGTH or not code.isalnum():
        return _verify_form(
            request,
            code=typed,
            error=_(
                "验证码格式不正确：资助通知书的验证码为20位字母和数字（印在通知书底部）；"
                "申报书的校验码以 SB- 开头（印在二维码旁）。"
            ),
            status=400,
        )
    if selectors.find_issued_notice(code) is None:
        return _verify_form(
            request, code=typed, error=_("未找到该验证码对应的资助通知书，请核对是否输入正确。"), status=404
        )
    return redirect("notices:verify", code=code)


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Show the facts and SHA-256 of the notice with this code to anyone; 404 "未找到该资助通知书" otherwise.

    A printed 申报书's check code (SB-…) shows whether that copy still matches the application.
    """
    form = documents.find_application_form(code) if len(code) <= MAX_CODE_INPUT else None
    if form is not None:
        return _form_check(request, form)
    notice = selectors.find_issued_notice(code)
    if notice is None:
        return _private(render(request, "notices/verify_not_found.html", {"code": code[:MAX_CODE_INPUT]}, status=404))
    facts = selectors.verification_facts(notice)
    facts["amount_figures"] = format_yuan(notice.amount) if notice.amount is not None else facts["amount"]
    facts["awarded_on_text"] = chinese_date(facts["awarded_on"])
    return _private(render(request, "notices/verify.html", {"notice": facts}))


@login_required
@require_GET
def download(request: HttpRequest, pk: int) -> FileResponse:
    """Serve an application's award notice as a PDF download to those who may see the application."""
    notice = selectors.get_downloadable_notice(request.user, pk)
    reference = notice.application.reference or str(notice.application.pk)
    response = FileResponse(notice.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"资助通知书-{reference}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def application_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The application's 申报书 as a PDF to print, sign and stamp; for its organisation's members and the staff who
    may see it (404 for everyone else)."""
    application = get_application(request.user, pk)
    return _pdf_response(documents.render_application_form(application))


def _organisation_of(request: HttpRequest):
    user = request.user
    return user.organisation if user.is_authenticated else None


@require_GET
def commitment_template(request: HttpRequest, code: str) -> HttpResponse:
    """A program's 申报承诺书 template: the organisation's name and USCC filled in when logged in with one."""
    program = public_program(code)
    organisation = _organisation_of(request)
    return _pdf_response(documents.render_commitment(program, organisation), private=organisation is not None)


@require_GET
def checklist(request: HttpRequest, code: str) -> HttpResponse:
    """A program's 申报材料清单 (PDF)."""
    program = public_program(code)
    organisation = _organisation_of(request)
    return _pdf_response(documents.render_checklist(program, organisation), private=organisation is not None)
