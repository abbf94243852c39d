"""The applicant's dashboard and the new-application page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.views import apply_service_errors
from applications import selectors, services
from applications.forms import NewApplicationForm
from applications.models import State
from applications.views.common import STEP_NAMES, _membership, _posted
from programs.models import Call, Program

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
