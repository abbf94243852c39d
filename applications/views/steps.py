"""The step-by-step application form: units, fields, targets, attachments, declarations, review."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.views import apply_service_errors, next_url_after_save
from applications import services
from applications.forms import (
    DeclarationsForm,
    ProgramFieldsForm,
    TargetFormSet,
    TargetRowForm,
    UnitFormSet,
    UnitRowForm,
)
from applications.models import Application
from applications.views.common import (
    STEP_NAMES,
    STEPS,
    Step,
    _attachment_kinds,
    _checks,
    _error_item,
    _estimate,
    _form_data_rows,
    _own_application,
    _posted,
    _unit_rows,
)
from core.exceptions import Conflict
from programs.rules import REASON_CLAIM_MISSING

# --- The step-by-step form -------------------------------------------------------------------


def _steps(application: Application) -> list[Step]:
    """The steps of this application; "fields" only when its program asks extra questions."""
    has_fields = bool(application.program.form_fields.all())
    return [s for s in STEPS if s.name != "fields" or has_fields]


def _next_step(steps: list[Step], current: str) -> str:
    names = [s.name for s in steps]
    return names[min(names.index(current) + 1, len(names) - 1)]


def _missing_form_fields(application: Application) -> list[str]:
    return [
        f.label
        for f in application.program.form_fields.all()
        if f.is_required and application.form_data.get(f.name) in (None, "")
    ]


def _saved(request: HttpRequest, application: Application, step: str) -> HttpResponse:
    """After a successful save: on to the next step ("保存并继续") or back to this one ("保存")."""
    steps = _steps(application)
    if request.POST.get("action") == "next":
        return redirect("applications:step", pk=application.pk, step=_next_step(steps, step))
    messages.success(request, _("已保存。"))
    next_url = next_url_after_save(request)
    if next_url:  # saved on the way to a step tab, 上一步 or a menu link: on to where the clerk was going
        return redirect(next_url)
    return redirect("applications:step", pk=application.pk, step=step)


def _form_error_items(form: Form, *, row: int | None = None) -> list[dict[str, str]]:
    """Summary lines for a form's errors, each linking to its field; rows prefix "第n项"."""
    items = [_error_item(e) for e in form.non_field_errors()]
    prefix = _("第%(n)s项") % {"n": row + 1} if row is not None else ""
    for field in form:
        for error in field.errors:
            text = error if prefix and error.startswith(prefix) else f"{prefix}{field.label}：{error}"
            items.append(_error_item(text, field.id_for_label))
    return items


def _formset_error_items(formset: Any, page_errors: list[str]) -> list[dict[str, str]]:
    items = [_error_item(e) for e in [*formset.non_form_errors(), *page_errors]]
    for index, form in enumerate(formset.forms):
        items += _form_error_items(form, row=index)
    return items


def _units_step(request: HttpRequest, application: Application) -> HttpResponse | dict[str, Any]:
    program = application.program
    units = application.units.select_related("tier").order_by("position", "pk")
    kwargs = {
        "prefix": "units",
        "initial": [UnitRowForm.initial_for(u) for u in units],
        "form_kwargs": {"program": program},
    }
    page_errors: list[str] = []
    if request.method == "POST":
        formset = UnitFormSet(request.POST, **kwargs)
        if formset.is_valid():
            try:
                services.update_application(application=application, actor=request.user, data={"units": formset.rows()})
            except ValidationError as error:
                page_errors = formset.place_service_error(error)
            else:
                return _saved(request, application, "units")
    else:
        formset = UnitFormSet(**kwargs)
    return {
        "formset": formset,
        "page_errors": page_errors,
        "error_items": _formset_error_items(formset, page_errors) if request.method == "POST" else [],
    }


def _fields_step(request: HttpRequest, application: Application) -> HttpResponse | dict[str, Any]:
    program = application.program
    form = ProgramFieldsForm(_posted(request), program=program, initial=application.form_data)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_application(
                application=application, actor=request.user, data={"form_data": form.form_data()}
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _saved(request, application, "fields")
    return {"form": form, "error_items": _form_error_items(form) if form.is_bound else []}


def _targets_step(request: HttpRequest, application: Application) -> HttpResponse | dict[str, Any]:
    kwargs = {"prefix": "targets", "initial": [TargetRowForm.initial_for(t) for t in application.targets.all()]}
    page_errors: list[str] = []
    if request.method == "POST":
        formset = TargetFormSet(request.POST, **kwargs)
        if formset.is_valid():
            try:
                services.update_application(
                    application=application, actor=request.user, data={"targets": formset.rows()}
                )
            except ValidationError as error:
                page_errors = formset.place_service_error(error)
            else:
                return _saved(request, application, "targets")
    else:
        formset = TargetFormSet(**kwargs)
    return {
        "formset": formset,
        "page_errors": page_errors,
        "error_items": _formset_error_items(formset, page_errors) if request.method == "POST" else [],
    }


def _attachments_step(request: HttpRequest, application: Application) -> HttpResponse | dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        uploaded = []
        for kind in [k["kind"] for k in _attachment_kinds(application)]:
            for uploaded_file in request.FILES.getlist(f"file-{kind}"):
                try:
                    services.add_attachment(
                        application=application, actor=request.user, kind=kind, uploaded_file=uploaded_file
                    )
                except ValidationError as error:
                    errors.setdefault(kind, []).extend(f"{uploaded_file.name}：{message}" for message in error.messages)
                else:
                    uploaded.append(uploaded_file.name)
        if uploaded:
            messages.success(request, _("已上传：%(files)s") % {"files": "、".join(uploaded)})
        if not errors:
            if next_url_after_save(request):
                return redirect(next_url_after_save(request))
            if request.POST.get("action") == "next":
                return redirect(
                    "applications:step", pk=application.pk, step=_next_step(_steps(application), "attachments")
                )
            if not uploaded:
                messages.info(request, _("没有选择文件。请先点“选择文件”，再点“上传”。"))
            return redirect("applications:step", pk=application.pk, step="attachments")
    kinds = _attachment_kinds(application)
    for k in kinds:
        k["errors"] = errors.get(k["kind"], [])
    error_items = [
        _error_item(f"{k['name']}：{message}", f"id_file-{k['kind']}") for k in kinds for message in k["errors"]
    ]
    return {
        "kinds": kinds,
        "error_items": error_items,
        "upload_limit_mb": settings.FILE_UPLOAD_MAX_BYTES // (1024 * 1024),
        "upload_max_bytes": settings.FILE_UPLOAD_MAX_BYTES,
    }


def _declarations_step(request: HttpRequest, application: Application) -> HttpResponse | dict[str, Any]:
    initial = {
        "truthful": application.declaration_truthful,
        "no_duplicate_funding": application.declaration_no_duplicate_funding,
        "accept_adjustment": application.declaration_accept_adjustment,
    }
    form = DeclarationsForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_application(
                application=application, actor=request.user, data={"declarations": form.cleaned_data}
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _saved(request, application, "declarations")
    return {"form": form, "error_items": _form_error_items(form) if form.is_bound else []}


def submit_errors_key(pk: int) -> str:
    """Where a refused submission leaves its reasons for the review page it redirects to."""
    return f"applications:submit_errors:{pk}"


def _review_step(request: HttpRequest, application: Application) -> HttpResponse | dict[str, Any]:
    submit_errors = request.session.pop(submit_errors_key(application.pk), None) if request.method == "GET" else None
    return {"submit_errors": submit_errors} if submit_errors else {}


STEP_HANDLERS = {
    "units": _units_step,
    "fields": _fields_step,
    "targets": _targets_step,
    "attachments": _attachments_step,
    "declarations": _declarations_step,
    "review": _review_step,
}


def _render_step(
    request: HttpRequest,
    application: Application,
    step: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    prefetch_related_objects([application], "units__tier", "targets", "attachments")
    assessment = services.assess(application)
    steps = _steps(application)
    names = [s.name for s in steps]
    passed = {c.number: c.passed for c in assessment.checks}
    unit_rows = _unit_rows(application, assessment)
    done = {
        # ✓ only when the rows pass what submit checks of them: each complete (number, tier, claimed cost), dated
        # within the window (E5) and within the caps (E6); a row with a problem shows it and counts 0.
        "units": bool(unit_rows)
        and not any(row["problems"] for row in unit_rows)
        and not any(r.reason_code == REASON_CLAIM_MISSING for r in assessment.unit_results)
        and passed["E5"]
        and passed["E6"],
        "fields": not _missing_form_fields(application),
        "targets": bool(application.targets.all()),
        "attachments": passed["M1"],
        "declarations": passed["E8"],
        "review": False,
    }
    index = names.index(step)
    checks = _checks(application, assessment)
    formset = context.get("formset")
    if step == "units" and formset is not None and not formset.is_bound:
        for form, row in zip(formset.forms, unit_rows, strict=False):
            form.result = row  # what the saved row counts now, shown under it
    return render(
        request,
        f"applications/step_{step}.html",
        {
            "application": application,
            "program": application.program,
            "call": application.call,
            "step": steps[index],
            "steps": [
                {"step": s, "done": done[s.name], "current": s.name == step, "number": i + 1}
                for i, s in enumerate(steps)
            ],
            "step_number": index + 1,
            "step_count": len(steps),
            "previous_step": names[index - 1] if index > 0 else "",
            "next_step": names[index + 1] if index + 1 < len(names) else "",
            "assessment": assessment,
            "checks": checks,
            "failed_checks": [c for c in checks if not c["check"].passed],
            "unit_rows": unit_rows,
            "estimate": _estimate(unit_rows),
            "form_data_rows": _form_data_rows(application),
            "attachment_kinds": _attachment_kinds(application),
            "zero_units": [r for r in unit_rows if not r["counted_amount"]],
            **context,
        },
        status=status,
    )


@login_required
def step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One step of the application form; every step saves the draft and can be left and resumed."""
    if step not in STEP_NAMES:
        raise Http404
    application = _own_application(request, pk)
    if not application.is_editable:
        messages.info(
            request,
            _("申报当前状态为“%(s)s”，不能修改。") % {"s": application.applicant_state_label},
        )
        return redirect(application)
    steps = _steps(application)
    if step not in [s.name for s in steps]:
        return redirect("applications:step", pk=application.pk, step=_next_step(list(STEPS), step))
    try:
        result = STEP_HANDLERS[step](request, application)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect(application)
    if isinstance(result, HttpResponse):
        return result
    return _render_step(request, application, step, result)
