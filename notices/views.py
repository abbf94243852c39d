"""Public verification of award notices and the applicant's download."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from core.money import format_yuan
from notices import selectors
from notices.services import chinese_date


def _private(response: HttpResponse) -> HttpResponse:
    # The code in the URL is the key to the facts: keep it out of caches, referrers and search engines.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Show the facts and SHA-256 of the notice with this code to anyone; 404 "未找到该资助通知书" otherwise."""
    notice = selectors.find_issued_notice(code)
    if notice is None:
        return _private(render(request, "notices/verify_not_found.html", status=404))
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
