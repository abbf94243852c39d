"""Applicant pages of performance evaluation: the report form and its private attachments."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import Conflict
from core.uploads import download_response
from evaluations import selectors, services
from evaluations.forms import ReportForm


def _error_items(form: ReportForm) -> list[dict[str, str]]:
    items = []
    for name, errors in form.errors.items():
        anchor = form[name].auto_id if name in form.fields else ""
        items.extend({"text": str(error), "anchor": anchor} for error in errors)
    return items


def _apply_service_error(form: ReportForm, error: ValidationError) -> None:
    """Put a service error beside the field it concerns (``target_<id>`` → that target's fields)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.error_dict.items():
        field = key
        if key.startswith("target_"):
            target_id = key.removeprefix("target_")
            field = f"achieved_{target_id}"
            if form.cleaned_data.get(field):
                field = f"explanation_{target_id}"
        if field not in form.fields:
            field = None
        for item in errors:
            form.add_error(field, item)


@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """Fill in and submit the performance report of application ``pk`` (editable until graded)."""
    report = selectors.report_for_member(request.user, pk)
    application = report.application
    targets = list(application.targets.all())
    initial: dict[str, Any] = {}
    for result in report.results.all():
        initial[f"achieved_{result.target_id}"] = result.achieved
        initial[f"explanation_{result.target_id}"] = result.explanation
    form = ReportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        targets=targets,
        initial=initial,
    )
    if request.method == "POST" and report.is_editable and form.is_valid():
        try:
            with transaction.atomic():
                services.submit_report(report=report, actor=request.user, results=form.results())
                if form.cleaned_data.get("file"):
                    services.add_report_attachment(
                        report=report, actor=request.user, uploaded_file=form.cleaned_data["file"]
                    )
        except ValidationError as error:
            _apply_service_error(form, error)
        except Conflict as conflict:
            messages.error(request, conflict.message)
            return redirect("evaluations:report", pk=application.pk)
        else:
            messages.success(request, _("绩效报告已提交。评价结果会在站内通知并发送邮件。"))
            return redirect("evaluations:report", pk=application.pk)
    elif request.method == "POST" and not report.is_editable:
        messages.error(request, _("绩效报告已评价，不能再修改"))
        return redirect("evaluations:report", pk=application.pk)
    return render(
        request,
        "evaluations/report.html",
        {
            "application": application,
            "report": report,
            "form": form,
            "rows": form.target_rows(),
            "results": list(report.results.all()),
            "attachments": list(report.attachments.all()),
            "error_items": _error_items(form) if form.is_bound else [],
        },
    )


@login_required
def download_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """Serve a report attachment of the user's own organisation as a download, never inline."""
    attachment = selectors.report_attachment_for_member(request.user, pk, attachment_pk)
    response = download_response(attachment)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    attachment = selectors.report_attachment_for_member(request.user, pk, attachment_pk)
    try:
        services.delete_report_attachment(attachment=attachment, actor=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
    else:
        messages.success(request, _("已删除附件：%(name)s") % {"name": attachment.original_name})
    return redirect("evaluations:report", pk=pk)
