"""The application's detail page and timeline, its transitions (submit, withdraw), deletion, and attachments."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import ROLES
from applications import selectors, services, workflow
from applications.models import Application, ApplicationEvent
from applications.views.common import (
    FIX_BY_ERROR_CODE,
    _attachment_kinds,
    _checks,
    _error_item,
    _estimate,
    _fix_url,
    _form_data_rows,
    _own_application,
    _own_attachment,
    _unit_rows,
)
from applications.views.steps import submit_errors_key
from core.exceptions import Conflict
from core.uploads import download_response

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
    """The applicant's view of the history: internal steps (approval) left out, as the state label leaves them."""
    events = [event for event in application.events.all() if workflow.applicant_facing(event.name)]
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
    unit_rows = _unit_rows(application, assessment)
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
            "unit_rows": unit_rows,
            "estimate": _estimate(unit_rows) if assessment else application.standard_amount,
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
            # Back to the review page with every reason (post/redirect/get): the address stays the application's,
            # so a reload does not post again and the clerk is not left on /transitions/submit/.
            request.session[submit_errors_key(application.pk)] = items
            return redirect("applications:step", pk=application.pk, step="review")
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
    return download_response(attachment)


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
