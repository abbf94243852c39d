"""The applicant's pages (being built)."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

from applications import selectors


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    applications = selectors.applications_for_list(request.user)
    return render(request, "applications/dashboard.html", {"applications": applications})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.get_application(request.user, pk)
    return render(request, "applications/detail.html", {"application": application})


@login_required
def download_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    attachment = selectors.get_attachment(request.user, pk, attachment_pk)
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
