"""The policy simulator in the admin (审定人 and 系统管理员 only): start a simulation, read and export it."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from applications.models import State
from programs.models import Call, RuleSet
from simulator import charts
from simulator.exports import write_xlsx
from simulator.models import Simulation, SimulationLine, SimulationStatus
from simulator.services import (
    DEFAULT_STATES,
    SIMULATED_STATES,
    current_progress,
    default_budgets,
    live_organisation_cap,
    may_simulate,
    organisation_comparison,
    program_comparison,
    start_simulation,
)

LINES_PER_PAGE = 50
TOP_ORGANISATIONS = 10


class SimulationForm(forms.Form):
    """Which applications, which candidate rule set; once both are chosen, the candidate's budgets."""

    call = forms.ModelChoiceField(
        label=_("申报批次"),
        queryset=Call.objects.select_related("rule_set").order_by("-year", "-opens_at"),
        help_text=_("模拟该批次的真实申报，按现行规则与候选规则分别计算，不改动任何申报。"),
    )
    candidate = forms.ModelChoiceField(
        label=_("候选规则集"),
        queryset=RuleSet.objects.order_by("effective_on", "pk"),
        help_text=_("可选择复制后修改过的规则集；申报按项目的“对应项目”归入候选规则集的项目。"),
    )
    states = forms.MultipleChoiceField(
        label=_("纳入的申报状态"),
        choices=[(s, State(s).label) for s in SIMULATED_STATES],
        initial=list(DEFAULT_STATES),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请选择至少一种申报状态")},
    )
    organisation_cap = forms.DecimalField(
        label=_("候选单位年度资助上限（元）"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("留空表示不设上限；初始值为该年度现行上限。"),
    )

    def __init__(self, *args: object, call: Call | None = None, candidate: RuleSet | None = None, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.budget_fields: list[str] = []
        if call is None or candidate is None:
            return
        if "organisation_cap" not in self.initial:
            self.fields["organisation_cap"].initial = live_organisation_cap(call.year)
        defaults = default_budgets(call, candidate)
        for program in candidate.programs.order_by("sort_order", "code"):
            name = f"budget_{program.pk}"
            flag = _("（金额为暂定默认值）") if program.amounts_are_defaults else ""
            self.fields[name] = forms.DecimalField(
                label=f"{program.code} {program.name}{flag}",
                required=False,
                min_value=0,
                max_digits=14,
                decimal_places=2,
                initial=defaults.get(program.pk),
                help_text=_("年度资助总额（元），留空表示不限额（按标准金额足额分配）。"),
            )
            self.budget_fields.append(name)

    def budgets(self) -> dict[int, Decimal | None]:
        return {int(name.removeprefix("budget_")): self.cleaned_data.get(name) for name in self.budget_fields}


@admin.register(Simulation)
class SimulationAdmin(admin.ModelAdmin):
    list_display = ("number", "call", "candidate_rule_set", "status", "total", "started_by", "started_at")
    list_filter = ("status", "call", "candidate_rule_set")
    list_select_related = ("call", "candidate_rule_set", "started_by")

    @admin.display(description=_("编号"), ordering="pk")
    def number(self, obj) -> str:
        # The call has its own column: the first column stays short enough not to wrap at 1366 px.
        return f"#{obj.pk}"

    # Only approvers and administrators see the simulator, whatever permissions a group carries.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_simulate(request.user)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return may_simulate(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_simulate(request.user)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_urls(self) -> list:
        urls = [
            path(
                "<int:pk>/export/",
                self.admin_site.admin_view(self.export_view),
                name="simulator_simulation_export",
            )
        ]
        return urls + super().get_urls()

    def _context(self, request: HttpRequest, title: str) -> dict:
        return {**self.admin_site.each_context(request), "title": title, "opts": self.model._meta}

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        """Choose the call and the candidate rule set, then the budgets; start the simulation and show its page."""
        if not may_simulate(request.user):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else (request.GET or None)
        chooser = SimulationForm(data)
        chooser.is_valid()
        call = chooser.cleaned_data.get("call") if data else None
        candidate = chooser.cleaned_data.get("candidate") if data else None
        form = SimulationForm(data, call=call, candidate=candidate)
        if request.method != "POST":
            form = SimulationForm(
                initial={"call": call, "candidate": candidate} if data else None, call=call, candidate=candidate
            )
        elif call is not None and candidate is not None and form.is_valid():
            try:
                simulation = start_simulation(
                    call=call,
                    candidate=candidate,
                    actor=request.user,
                    states=form.cleaned_data["states"],
                    budgets=form.budgets(),
                    organisation_cap=form.cleaned_data["organisation_cap"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, _("已开始政策模拟。"), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:simulator_simulation_change", args=[simulation.pk]))
        context = {
            **self._context(request, _("政策模拟")),
            "form": form,
            "ready": call is not None and candidate is not None,
            "call": call,
            "candidate": candidate,
            "budget_fields": [form[name] for name in form.budget_fields],
        }
        return TemplateResponse(request, "admin/simulator/simulation/start.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        """The comparison: per program, per organisation (who gains, who loses), per application, and charts."""
        if not may_simulate(request.user):
            raise PermissionDenied
        if not object_id.isdigit():
            raise Http404
        simulation = get_object_or_404(
            Simulation.objects.select_related("call", "base_rule_set", "candidate_rule_set", "started_by"),
            pk=int(object_id),
        )
        context = {**self._context(request, _("政策模拟结果")), "simulation": simulation}
        context["progress"] = current_progress(simulation)
        if simulation.status == SimulationStatus.DONE:
            context.update(self._results(request, simulation))
        return TemplateResponse(request, "admin/simulator/simulation/result.html", context)

    def _results(self, request: HttpRequest, simulation: Simulation) -> dict:
        programs = program_comparison(simulation)
        organisations = organisation_comparison(simulation)
        gainers = list(organisations.filter(delta__gt=0).order_by("-delta", "organisation__name")[:TOP_ORGANISATIONS])
        losers = list(organisations.filter(delta__lt=0).order_by("delta", "organisation__name")[:TOP_ORGANISATIONS])
        counts = {
            "gainers": organisations.filter(delta__gt=0).count(),
            "losers": organisations.filter(delta__lt=0).count(),
            "organisations": organisations.count(),
        }
        unmapped = _("（无对应项目）")
        program_chart = charts.paired_bars(
            [
                (
                    f"{r['candidate_program__code']} {r['candidate_program__name']}"
                    if r["candidate_program_id"]
                    else str(unmapped),
                    r["base"] or Decimal(0),
                    r["candidate"] or Decimal(0),
                )
                for r in programs
            ],
            title=str(_("按候选项目：现行与候选核定金额")),
            labels=(str(_("现行规则")), str(_("候选规则"))),
        )
        movers = [(o["organisation__name"], o["delta"]) for o in gainers] + [
            (o["organisation__name"], o["delta"]) for o in reversed(losers)
        ]
        organisation_chart = charts.gains_and_losses(movers, title=str(_("增减最多的单位"))) if movers else ""
        lines = SimulationLine.objects.filter(simulation=simulation).select_related(
            "application", "organisation", "base_program", "candidate_program"
        )
        program_filter = request.GET.get("program", "")
        if program_filter.isdigit():
            lines = lines.filter(candidate_program_id=int(program_filter))
        elif program_filter == "none":
            lines = lines.filter(candidate_program__isnull=True)
        if request.GET.get("changed") == "1":
            lines = lines.exclude(delta=0)
        page = Paginator(lines.order_by("position"), LINES_PER_PAGE).get_page(request.GET.get("page"))
        base = {p["program_id"]: p for p in simulation.summary.get("base", [])}
        candidate = {p["program_id"]: p for p in simulation.summary.get("candidate", [])}
        return {
            "programs": programs,
            "base_summary": simulation.summary.get("base", []),
            "candidate_summary": simulation.summary.get("candidate", []),
            "mapping": simulation.summary.get("mapping", {}),
            "totals": {k: Decimal(v) for k, v in simulation.summary.get("totals", {}).items()},
            "gainers": gainers,
            "losers": losers,
            "counts": counts,
            "program_chart": program_chart,
            "organisation_chart": organisation_chart,
            "page": page,
            "program_filter": program_filter,
            "changed_only": request.GET.get("changed") == "1",
            "base_factors": {pid: p["factor"] for pid, p in base.items()},
            "candidate_factors": {pid: p["factor"] for pid, p in candidate.items()},
        }

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not may_simulate(request.user):
            raise PermissionDenied
        simulation = get_object_or_404(Simulation, pk=pk, status=SimulationStatus.DONE)
        response = HttpResponse(
            write_xlsx(simulation),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = content_disposition_header(True, f"政策模拟-{simulation.pk}.xlsx")
        response["X-Content-Type-Options"] = "nosniff"
        return response
