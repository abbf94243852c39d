"""Staff views behind the admin: attachment download, the per-application transition form and bulk transitions.

``ApplicationAdmin.get_urls`` mounts these under /admin/ through ``admin_site.admin_view``, so every one of them
needs a staff login. Each write calls ``services.run_transition``, which takes only person-driven steps
(``applications.workflow``); the service decides who may do what.
"""

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications import selectors, services, workflow
from applications.error_codes import ApplicationErrorCode
from applications.models import Application, Attachment
from core import calendar
from core.exceptions import Conflict
from core.uploads import download_response, stored_content_type

if TYPE_CHECKING:
    from applications.admin import ApplicationAdmin


def staff_transitions(application: Application, user: object) -> list[str]:
    """The transitions this user may start from the application's admin page now: the person-driven steps of
    staff (the applicant's own submit and withdraw, and every stage-driven step, never show here)."""
    return [name for name in services.available_transitions(application, user) if name in workflow.STAFF_STEPS]


# Ready-made reasons per step, supplied by a stage above applications (review registers the 退回补正 presets that
# staff keep in the admin): step name → a function returning the texts in order.
REASON_PRESETS: dict[str, Callable[[], list[str]]] = {}


def register_reason_presets(name: str, source: Callable[[], list[str]]) -> None:
    """Offer the texts ``source()`` returns as ready-made reasons on the ``name`` form."""
    workflow.step(name)  # KeyError for a name that is not a transition
    REASON_PRESETS[name] = source


def default_due_on(application: Application | None, *, today: date | None = None) -> date:
    """The proposed correction due date: the call's correction period in working days, counted from tomorrow.

    Never in the past; public holidays and the admin's overrides are skipped (``core.calendar``).
    """
    today = today or timezone.localdate()
    days = getattr(getattr(application, "call", None), "correction_working_days", None) or DEFAULT_CORRECTION_DAYS
    due_on, _provisional = calendar.add_working_days(
        today + timedelta(days=1), days, overrides=calendar.registered_overrides
    )
    return due_on


DEFAULT_CORRECTION_DAYS = 10


class TransitionForm(forms.Form):
    """Comment for every transition; a reason where the applicant must be told why; a due date for a return.

    Where presets are registered for the step, the officer ticks ready-made reasons and may add to them; the
    reason sent is the ticked ones and the text, joined.
    """

    presets = forms.MultipleChoiceField(
        label=gettext_lazy("常用原因"), required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(
        label=gettext_lazy("原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )
    due_on = forms.DateField(
        label=gettext_lazy("补正截止日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    comment = forms.CharField(
        label=gettext_lazy("意见"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    def __init__(
        self,
        *args: object,
        name: str,
        with_comment: bool = True,
        application: Application | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.name = name
        params = workflow.step(name).params
        presets = REASON_PRESETS[name]() if name in REASON_PRESETS and workflow.Param.REASON in params else []
        if presets:
            self.fields["presets"].choices = [(text, text) for text in presets]
            self.fields["reason"].required = False
            self.fields["reason"].help_text = _("可勾选常用原因并补充说明，二者至少填一项。")
        else:
            del self.fields["presets"]
        if workflow.Param.REASON not in params:
            del self.fields["reason"]
        if workflow.Param.DUE_ON not in params:
            del self.fields["due_on"]
        else:
            self.fields["reason"].label = _("退回原因")
            proposed = default_due_on(application)
            self.fields["due_on"].initial = proposed
            days = getattr(getattr(application, "call", None), "correction_working_days", None)
            self.fields["due_on"].help_text = _("已按%(n)d个工作日建议为 %(d)s，可修改为今天或以后的日期。") % {
                "n": days or DEFAULT_CORRECTION_DAYS,
                "d": proposed.isoformat(),
            }
        if not with_comment:
            del self.fields["comment"]

    def clean_due_on(self) -> object:
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate():
            raise ValidationError(_("请填写今天或以后的补正截止日期"), code=ApplicationErrorCode.DUE_DATE_INVALID)
        return due_on

    def clean(self) -> dict:
        cleaned = super().clean()
        if "presets" in self.fields:
            parts = [*cleaned.get("presets", []), (cleaned.get("reason") or "").strip()]
            cleaned["reason"] = "；".join(part for part in parts if part)
            if not cleaned["reason"] and "reason" not in self.errors:
                self.add_error(
                    "reason", ValidationError(_("请勾选常用原因或填写原因"), code=ApplicationErrorCode.REASON_REQUIRED)
                )
        return cleaned

    def params(self) -> dict[str, object]:
        return {key: value for key, value in self.cleaned_data.items() if key != "presets" and value not in (None, "")}

    def add_service_error(self, error: ValidationError) -> None:
        """Put a service's ValidationError on the field it names, or on the form."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error.messages)


def error_text(error: Exception) -> str:
    """One line saying why a service refused: the ValidationError messages, the Conflict message or 无权操作."""
    if isinstance(error, ValidationError):
        return "；".join(error.messages)
    if isinstance(error, Conflict):
        return error.message
    return _("无权执行该操作")


# What a browser shows in the page itself; anything else is always a download.
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


def download_attachment(request: HttpRequest, object_id: str, attachment_pk: int) -> FileResponse:
    """Serve an attachment of an application the staff user may see; 404 otherwise.

    A download by default; with ``?inline=1`` a PDF or image is served to be shown in the page (Content-Disposition
    inline, framable by the portal's own pages only), still behind the same permission check.
    """
    try:
        application_pk = int(object_id)
    except ValueError:
        raise Http404 from None
    attachment = selectors.get_attachment(request.user, application_pk, attachment_pk)
    if request.GET.get("inline") == "1" and stored_content_type(attachment) in INLINE_TYPES:
        return inline_response(attachment)
    return download_response(attachment)


def inline_response(attachment: Attachment) -> FileResponse:
    """The stored file to show in the page: its stored type, nosniff, private, framed by the portal only."""
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        stored, as_attachment=False, filename=attachment.original_name, content_type=stored_content_type(attachment)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Content-Security-Policy"] = "frame-ancestors 'self'"
    response["Cache-Control"] = "private, no-store"
    return response


def transition(model_admin: "ApplicationAdmin", request: HttpRequest, object_id: str, name: str) -> HttpResponse:
    """Show the short form for one transition and, on POST, take it through the service.

    Refusals (ValidationError, Conflict, PermissionDenied) become form errors; success redirects to the
    application with a message.
    """
    step = workflow.BY_NAME.get(name)
    if step is None or (name not in workflow.STAFF_STEPS and step.person_driven):
        raise Http404  # not a transition, or the applicant's own (submit, withdraw)
    application = model_admin.get_object(request, object_id)
    if application is None:
        raise Http404
    change_url = reverse("admin:applications_application_change", args=[application.pk])
    label = str(step.label)
    if not step.person_driven:
        # Publicity, payouts and evaluations own these: say where, change nothing (on GET and POST alike).
        messages.error(request, _("“%(t)s”不能在此直接操作，%(where)s。") % {"t": label, "where": step.where})
        return HttpResponseRedirect(change_url)
    if request.method != "POST" and name not in staff_transitions(application, request.user):
        messages.error(request, _("当前状态“%(s)s”下您不能%(t)s。") % {"s": application.staff_state_label, "t": label})
        return HttpResponseRedirect(change_url)
    form = TransitionForm(request.POST if request.method == "POST" else None, name=name, application=application)
    if form.is_valid():
        try:
            services.run_transition(application=application, actor=request.user, name=name, **form.params())
        except ValidationError as error:
            form.add_service_error(error)
        except (Conflict, PermissionDenied) as error:
            form.add_error(None, error_text(error))
        else:
            model_admin.message_user(
                request, _("%(ref)s：已%(t)s。") % {"ref": application.reference, "t": label}, messages.SUCCESS
            )
            return HttpResponseRedirect(change_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("%(t)s：%(ref)s") % {"t": label, "ref": application.reference},
        "opts": model_admin.model._meta,
        "original": application,
        "application": application,
        "transition_label": label,
        "form": form,
        "change_url": change_url,
    }
    return TemplateResponse(request, "admin/applications/application/transition.html", context)


def unseen_selection(request: HttpRequest, applications: list[Application]) -> list[str]:
    """Selected ids the user may not see (or that do not exist): the admin drops them from the queryset silently."""
    if request.POST.get("select_across") == "1":
        return []
    seen = {str(application.pk) for application in applications}
    return sorted(set(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)) - seen, key=lambda pk: (len(pk), pk))


def run_for_rows(
    model_admin: "ApplicationAdmin",
    request: HttpRequest,
    applications: Iterable[Application],
    name: str,
    *,
    unseen: Iterable[str] = (),
    **params: object,
) -> str:
    """Take one transition on each application, each in its own transaction; say what succeeded and what failed."""
    done = 0
    failed = [f"#{pk}：{_('无权查看该申报或申报不存在')}" for pk in unseen]
    for application in applications:
        try:
            with transaction.atomic():
                services.run_transition(application=application, actor=request.user, name=name, **params)
        except (ValidationError, Conflict, PermissionDenied) as error:
            failed.append(f"{application.reference}：{error_text(error)}")
        else:
            done += 1
    summary = _("%(t)s：%(n)d 成功；%(m)d 失败") % {"t": workflow.label(name), "n": done, "m": len(failed)}
    if failed:
        summary += "：" + "；".join(failed)
    level = messages.ERROR if failed and not done else messages.WARNING if failed else messages.SUCCESS
    model_admin.message_user(request, summary, level)
    return summary


def bulk_transition(
    model_admin: "ApplicationAdmin", request: HttpRequest, queryset: Iterable[Application], name: str
) -> HttpResponse | None:
    """An admin action for ``name``: ask for a reason (and due date) on an intermediate page where needed, then run.

    Return None to go back to the changelist (the admin shows the messages), or the intermediate page.
    """
    applications = list(queryset)
    unseen = unseen_selection(request, applications)
    if workflow.Param.REASON not in workflow.step(name).params:
        run_for_rows(model_admin, request, applications, name, unseen=unseen)
        return None
    form = TransitionForm(
        request.POST if "apply" in request.POST else None,
        name=name,
        with_comment=False,
        application=applications[0] if applications else None,
    )
    if form.is_valid():
        run_for_rows(model_admin, request, applications, name, unseen=unseen, **form.params())
        return None
    label = workflow.label(name)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("批量%(t)s") % {"t": label},
        "opts": model_admin.model._meta,
        "applications": applications,
        "selected_ids": [str(application.pk) for application in applications] + unseen,
        "unseen_count": len(unseen),
        "form": form,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "transition_label": label,
    }
    return TemplateResponse(request, "admin/applications/application/bulk_transition.html", context)
