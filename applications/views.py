"""The applicant's pages: dashboard, new application, the step-by-step form, detail, transitions, notifications.

Every page is for members of the applicant organisation only: an application of another organisation is a 404,
also for bureau staff (they work in the admin). Every write goes through ``applications.services``; a refused
write re-renders the page with what was typed, an error summary at the top and each error beside its field.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, prefetch_related_objects
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Membership
from accounts.roles import ROLES
from accounts.views import apply_service_errors
from applications import notification_services, selectors, services, workflow
from applications.forms import (
    DeclarationsForm,
    NewApplicationForm,
    ProgramFieldsForm,
    TargetFormSet,
    TargetRowForm,
    UnitFormSet,
    UnitRowForm,
)
from applications.models import Application, ApplicationEvent, Attachment, State
from core.exceptions import Conflict
from programs.models import Call, FieldType, Program

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

# Where the applicant fixes a failed check (by check code, and by the error code submission raises).
PROFILE = "profile"
FIX_BY_CHECK = {
    "E1": PROFILE,
    "E2": PROFILE,
    "E3": PROFILE,
    "E9": PROFILE,
    "E5": "units",
    "E6": "units",
    "U1": "units",
    "M1": "attachments",
    "E8": "declarations",
}
FIX_BY_ERROR_CODE = {
    "applicant_type_not_allowed": PROFILE,
    "not_registered_in_shenzhen": PROFILE,
    "too_recently_established": PROFILE,
    "uscc_invalid": PROFILE,
    "evidence_out_of_window": "units",
    "yearly_cap_reached": "units",
    "already_funded": "units",
    "incomplete": "units",
    "attachment_missing": "attachments",
    "declarations_missing": "declarations",
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


# --- Dashboard and new application -------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The organisation's applications, with what to do next and by when."""
    membership = _membership(request)
    if membership is None:
        return redirect("accounts:home")
    applications = selectors.applications_for_list(request.user).filter(organisation_id=membership.organisation_id)
    rows = [
        {"application": application, "next_step": selectors.next_step_for_applicant(application)}
        for application in applications
    ]
    return render(
        request,
        "applications/dashboard.html",
        {
            "rows": rows,
            "organisation": membership.organisation,
            "has_open_call": Call.objects.open_now().visible().exists(),
        },
    )


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """Choose an open call and one of its programs; create the draft and go to its first step."""
    membership = _membership(request)
    if membership is None:
        return redirect("accounts:home")
    calls = list(
        Call.objects.open_now()
        .visible()
        .order_by("closes_at")
        .prefetch_related(Prefetch("programs", queryset=Program.objects.active().prefetch_related("tiers")))
    )
    # Links from a program or call page preselect it: ?call=<pk>&program=<code or pk>.
    wanted_call, wanted_program = request.GET.get("call", ""), request.GET.get("program", "")
    initial = {}
    for call in calls:
        for program in call.programs.all():
            if str(call.pk) == wanted_call and wanted_program in (program.code, str(program.pk)):
                initial["choice"] = f"{call.pk}:{program.pk}"
    form = NewApplicationForm(_posted(request), calls=calls, initial=initial)
    if request.method == "POST" and form.is_valid():
        call, program = form.chosen
        try:
            application = services.create_application(actor=request.user, call=call, program=program)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("已创建申报草稿 %(ref)s。请按步骤填写，每一步都会保存，可随时回来继续。")
                % {"ref": application.reference},
            )
            return redirect("applications:step", pk=application.pk, step=STEP_NAMES[0])
    existing = {
        (row["call_id"], row["program_id"]): row["n"]
        for row in selectors.visible_applications(request.user)
        .filter(organisation_id=membership.organisation_id, call__in=calls)
        .exclude(state__in=(State.WITHDRAWN, State.REJECTED))
        .order_by()
        .values("call_id", "program_id")
        .annotate(n=Count("pk"))
    }
    chosen = str(form["choice"].value() or "")
    groups = []
    for call in calls:
        options = []
        for program in call.programs.all():
            value = f"{call.pk}:{program.pk}"
            options.append(
                {
                    # The first radio carries the id the error summary links to.
                    "id": f"id_choice_{sum(len(g['options']) for g in groups) + len(options)}",
                    "value": value,
                    "program": program,
                    "tiers": list(program.tiers.all()),
                    "checked": chosen == value,
                    "existing": existing.get((call.pk, program.pk), 0),
                }
            )
        groups.append({"call": call, "options": options})
    return render(request, "applications/new.html", {"form": form, "groups": groups})


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
    return redirect("applications:step", pk=application.pk, step=step)


def _error_item(text: str, anchor: str = "") -> dict[str, str]:
    return {"text": str(text), "anchor": anchor}


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


def _review_step(request: HttpRequest, application: Application) -> HttpResponse | dict[str, Any]:
    return {}


STEP_HANDLERS = {
    "units": _units_step,
    "fields": _fields_step,
    "targets": _targets_step,
    "attachments": _attachments_step,
    "declarations": _declarations_step,
    "review": _review_step,
}


def _unit_rows(application: Application, assessment: services.Assessment | None) -> list[dict[str, Any]]:
    """Each unit with what it counts now (live while editable, as stored once submitted) and why not in full."""
    units = sorted(application.units.all(), key=lambda u: (u.position, u.pk))
    if assessment is not None and len(assessment.unit_results) == len(units):
        results = [(r.counted_amount, r.reason) for r in assessment.unit_results]
    else:
        results = [(u.counted_amount, u.reason) for u in units]
    return [
        {"unit": unit, "counted_amount": counted, "reason": reason}
        for unit, (counted, reason) in zip(units, results, strict=True)
    ]


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
        {"check": c, "fix_url": "" if c.passed else _fix_url(application, FIX_BY_CHECK.get(c.code))}
        for c in assessment.checks
    ]


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
    checks_by_code = {c.code: c for c in assessment.checks}
    done = {
        "units": bool(assessment.unit_results),
        "fields": not _missing_form_fields(application),
        "targets": bool(application.targets.all()),
        "attachments": checks_by_code["M1"].passed,
        "declarations": checks_by_code["E8"].passed,
        "review": False,
    }
    index = names.index(step)
    checks = _checks(application, assessment)
    unit_rows = _unit_rows(application, assessment)
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


# --- Detail, transitions, deletion, attachments ---------------------------------------------


def _actor(event: ApplicationEvent, application: Application) -> tuple[str, bool]:
    """Who acted, as the applicant may see it, and whether it was one of their own members.

    Staff appear by role name, never by their email address.
    """
    actor = event.actor
    if actor is None:
        return _("系统"), False
    membership = getattr(actor, "membership", None)
    if membership is not None and membership.organisation_id == application.organisation_id:
        return _("申报单位（%(name)s）") % {"name": actor.get_full_name()}, True
    if actor.is_staff:
        group_names = {g.name for g in actor.groups.all()}
        for role in ROLES:
            if role.group_name in group_names:
                return role.group_name, False
        return _("工作人员"), False
    return _("申报单位"), False


def _timeline(application: Application) -> list[dict[str, Any]]:
    events = list(application.events.all())
    prefetch_related_objects([e.actor for e in events if e.actor is not None], "groups", "membership")
    timeline = []
    for event in events:
        label, own = _actor(event, application)
        shown = workflow.gives_reason(event.name) or own
        timeline.append({"event": event, "actor": label, "comment": event.comment if shown else ""})
    return timeline


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything the applicant gave, where it stands, what happened and what they can do now."""
    application = _own_application(request, pk, detail=True)
    assessment = services.assess(application) if application.is_editable else None
    transitions = [
        name for name in services.available_transitions(application, request.user) if name in workflow.APPLICANT_STEPS
    ]
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "program": application.program,
            "assessment": assessment,
            "checks": _checks(application, assessment) if assessment else [],
            "unit_rows": _unit_rows(application, assessment),
            "form_data_rows": _form_data_rows(application),
            "attachment_kinds": _attachment_kinds(application),
            "timeline": _timeline(application),
            "transitions": transitions,
            "next_step": selectors.next_step_for_applicant(application),
        },
    )


@login_required
@require_POST
def transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Submit or withdraw; a refused submission shows the review page with every reason at the top.

    A stage-driven step (publish, confirm, disburse, ...) is refused by the service with the place where it
    happens, and nothing changes; a staff step is not a page of the applicant's (404).
    """
    step = workflow.BY_NAME.get(name)
    if step is None or (step.person_driven and name not in workflow.APPLICANT_STEPS):
        raise Http404
    application = _own_application(request, pk)
    comment = request.POST.get("comment", "").strip()[:1000]
    try:
        services.run_transition(application=application, actor=request.user, name=name, comment=comment)
    except ValidationError as error:
        if name == "submit" and application.is_editable:
            items = [
                _error_item(e.messages[0], "") | {"fix_url": _fix_url(application, FIX_BY_ERROR_CODE.get(e.code))}
                for e in (error.error_list if not hasattr(error, "error_dict") else [error])
            ]
            return _render_step(request, application, "review", {"submit_errors": items})
        messages.error(request, "；".join(error.messages))
    except Conflict as conflict:
        messages.error(request, conflict.message)
    else:
        if name == "submit":
            messages.success(
                request,
                _("申报 %(ref)s 已提交。受理结果会在站内通知并发送邮件。") % {"ref": application.reference},
            )
        else:
            messages.success(request, _("申报 %(ref)s 已撤回。") % {"ref": application.reference})
    return redirect("applications:detail", pk=application.pk)


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a draft (a submitted one is withdrawn instead)."""
    application = _own_application(request, pk)
    reference = application.reference
    try:
        services.delete_application(application=application, actor=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect(application)
    messages.success(request, _("草稿 %(ref)s 已删除。") % {"ref": reference})
    return redirect("applications:dashboard")


@login_required
def download_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """Serve an attachment of the user's own organisation as a download, never rendered inline."""
    attachment = _own_attachment(request, pk, attachment_pk)
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(stored, as_attachment=True, filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    attachment = _own_attachment(request, pk, attachment_pk)
    application = attachment.application
    try:
        services.delete_attachment(attachment=attachment, actor=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect(application)
    messages.success(request, _("已删除材料：%(name)s") % {"name": attachment.original_name})
    return redirect("applications:step", pk=application.pk, step="attachments")


# --- Notifications ---------------------------------------------------------------------------


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notices, newest first; unread ones are highlighted, and opening the page marks them read."""
    notices = list(selectors.notifications_for(request.user)[:200])
    unread = sum(1 for n in notices if n.read_at is None)
    notification_services.mark_notifications_read(user=request.user)
    return render(request, "applications/notifications.html", {"notices": notices, "unread": unread})
