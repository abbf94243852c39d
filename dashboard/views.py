"""The staff dashboard: where each call stands, the live pro-rata forecast and who gets the money, with every
chart's figures downloadable as CSV; and the decision pack (决策材料) of an allocation run."""

import csv
import io
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import ADMINISTRATOR, APPROVER, FINANCE, INTAKE, user_has_role
from allocations.models import AllocationRun, RunStatus
from applications.models import State
from core.csv import safe_row
from dashboard.charts import Series, bar_chart, funnel_chart, line_chart
from dashboard.concentration import Concentration, call_concentration, share
from dashboard.decision_pack import may_download_pack
from dashboard.forecast import Forecast, call_forecast
from dashboard.models import DecisionPack, ForecastAlert
from dashboard.selectors import Overview, call_overview
from dashboard.services import (
    estimated_pack_seconds,
    may_set_threshold,
    pack_progress,
    request_decision_pack,
    set_forecast_threshold,
    threshold_of,
)
from programs.models import Call

DASHBOARD_ROLES = (INTAKE, APPROVER, FINANCE, ADMINISTRATOR)
CSV_NAMES = {
    "funnel": "进度",
    "programs": "分项目金额",
    "forecast": "折算预测",
    "forecast-trend": "折算预测走势",
    "concentration": "资助集中度",
    "top10": "前十名单位",
    "districts": "分区金额",
    "org-types": "分单位类型金额",
}


class ThresholdForm(forms.Form):
    threshold = forms.CharField(
        label=gettext_lazy("折算系数预警阈值"),
        max_length=10,
        help_text=gettext_lazy("某项目的预计折算系数低于该值时，通知审定人（站内通知和邮件），每次跌破只通知一次。"),
    )


def _may_see(request: HttpRequest) -> None:
    if not any(user_has_role(request.user, role) for role in DASHBOARD_ROLES):
        raise PermissionDenied


def _call(call_id: int | None) -> Call:
    if call_id is not None:
        return get_object_or_404(Call, pk=call_id)
    return get_object_or_404(Call.objects.order_by("-year", "-opens_at")[:1])


def _factor(value: Decimal) -> str:
    return f"{value:.6f}"


def _context(request: HttpRequest, call: Call, form: ThresholdForm | None = None) -> dict:
    overview = call_overview(call)
    forecast = call_forecast(call)
    concentration = call_concentration(call)
    threshold = threshold_of(call)
    names = [f"{row.program.code} {row.program.name}" for row in overview.programs]
    amounts = bar_chart(
        names,
        [
            Series(_("年度预算"), [row.budget for row in overview.programs]),
            Series(_("申报金额"), [row.requested for row in overview.programs]),
            Series(_("标准金额"), [row.standard for row in overview.programs]),
            Series(_("核定金额"), [row.allocated for row in overview.programs]),
        ],
        title=_("分项目：预算、申报、标准与核定金额"),
        width=900,
    )
    asking = [row for row in forecast.programs if row.projected or row.budget]
    forecast_bars = bar_chart(
        [f"{row.program.code} {row.program.name}" for row in asking],
        [
            Series(_("可用预算"), [row.budget for row in asking]),
            Series(_("已提交"), [row.submitted for row in asking]),
            Series(_("草稿与已提交"), [row.projected for row in asking]),
        ],
        title=_("折算预测：可用预算与申报标准金额"),
        width=900,
    )
    trend_programs = [row for row in forecast.programs if row.projected]
    trend_svg = line_chart(
        [f"{d.month}/{d.day}" for d in forecast.days],
        [Series(row.program.code, [p.factor for p in forecast.trend[row.program.pk]]) for row in trend_programs],
        title=_("预计折算系数走势（自开始申报起按日）"),
        maximum=Decimal(1),
        reference=threshold,
        reference_label=_("预警值 %(t)s") % {"t": threshold},
        width=900,
    )
    alerts = {
        a.program_id: a for a in ForecastAlert.objects.filter(call=call, is_below=True).only("program_id", "is_below")
    }
    if form is None:
        form = ThresholdForm(initial={"threshold": f"{threshold:.2f}"})
    return {
        **admin.site.each_context(request),
        "title": _("统计看板"),
        "overview": overview,
        "forecast": forecast,
        "forecast_rows": [
            {
                "row": row,
                "factor_submitted": _factor(row.factor_submitted),
                "factor_projected": _factor(row.factor_projected),
                "below": row.factor_projected < threshold,
                "notified": row.program.pk in alerts,
            }
            for row in forecast.programs
        ],
        "notified_any": bool(alerts),
        "threshold": threshold,
        "threshold_form": form,
        "may_set_threshold": may_set_threshold(request.user),
        "concentration": concentration,
        "calls": Call.objects.order_by("-year", "-opens_at"),
        "funnel_svg": funnel_chart(overview.funnel, title=_("申报进度漏斗")),
        "amounts_svg": amounts,
        "forecast_svg": forecast_bars if asking else "",
        "trend_svg": trend_svg if trend_programs and forecast.days else "",
        "districts_svg": bar_chart(
            [name for name, _ in concentration.districts],
            [Series(_("资助金额"), [total for _, total in concentration.districts])],
            title=_("分区资助金额"),
        ),
        "org_types_svg": bar_chart(
            [name for name, _ in concentration.org_types],
            [Series(_("资助金额"), [total for _, total in concentration.org_types])],
            title=_("分单位类型资助金额"),
        ),
        "top_svg": bar_chart(
            [a.name for a in concentration.top],
            [Series(_("资助金额"), [a.amount for a in concentration.top])],
            title=_("资助金额前十名单位"),
            width=900,
        ),
        "state_rows": [(State(s).label, n) for s, n in sorted(overview.states.items())],
    }


@staff_member_required
def dashboard(request: HttpRequest, call_id: int | None = None) -> HttpResponse:
    _may_see(request)
    return render(request, "dashboard/dashboard.html", _context(request, _call(call_id)))


@staff_member_required
@require_POST
def set_threshold(request: HttpRequest, call_id: int) -> HttpResponse:
    """Set the call's forecast threshold (审定人, 系统管理员); errors beside the field, the typed value kept."""
    _may_see(request)
    call = _call(call_id)
    if not may_set_threshold(request.user):
        raise Http404
    form = ThresholdForm(request.POST)
    if form.is_valid():
        try:
            set_forecast_threshold(call=call, threshold=form.cleaned_data["threshold"], actor=request.user)
        except ValidationError as error:
            form.add_error("threshold", error)
        else:
            messages.success(request, _("预警阈值已保存。"))
            return HttpResponseRedirect(reverse("dashboard:call", args=[call.pk]) + "#forecast")
    return render(request, "dashboard/dashboard.html", _context(request, call, form), status=400)


def _forecast_rows(forecast: Forecast, chart: str) -> tuple[list[str], list[list[object]]]:
    if chart == "forecast":
        header = [
            _("项目编号"),
            _("项目名称"),
            _("可用预算（元）"),
            _("草稿数"),
            _("草稿标准金额（元）"),
            _("已提交数"),
            _("已提交标准金额（元）"),
            _("按已提交的折算系数"),
            _("含草稿的预计折算系数"),
        ]
        rows = [
            [
                r.program.code,
                r.program.name,
                r.budget,
                r.draft_count,
                r.drafts,
                r.submitted_count,
                r.submitted,
                r.factor_submitted,
                r.factor_projected,
            ]
            for r in forecast.programs
        ]
        return header, rows
    header = [
        _("日期"),
        _("项目编号"),
        _("可用预算（元）"),
        _("草稿与已提交（元）"),
        _("已提交（元）"),
        _("预计折算系数"),
    ]
    rows = [
        [point.day, r.program.code, r.budget, point.projected, point.submitted, point.factor]
        for r in forecast.programs
        for point in forecast.trend[r.program.pk]
    ]
    return header, rows


def _concentration_rows(c: Concentration, chart: str) -> tuple[list[str], list[list[object]]]:
    if chart == "concentration":
        header = [_("指标"), _("单位数"), _("占单位数比例（%）"), _("金额（元）"), _("占金额比例（%）")]
        rows = [
            [_("获资助单位"), c.count, share(c.count, c.count), c.total, share(c.total, c.total)],
            [
                _("首次获资助单位"),
                c.first_time_count,
                c.first_time_share,
                c.first_time_amount,
                share(c.first_time_amount, c.total),
            ],
            [
                _("近三年内曾获资助单位"),
                c.repeat_count,
                c.repeat_share,
                c.repeat_amount,
                share(c.repeat_amount, c.total),
            ],
            [_("资助金额前十名单位"), len(c.top), share(len(c.top), c.count), c.top_amount, c.top_share],
        ]
        return header, rows
    if chart == "top10":
        header = [_("名次"), _("申报单位"), _("区"), _("资助金额（元）"), _("占金额比例（%）")]
        return header, [
            [i, a.name, a.district_label, a.amount, share(a.amount, c.total)] for i, a in enumerate(c.top, start=1)
        ]
    groups = c.districts if chart == "districts" else c.org_types
    first = _("区") if chart == "districts" else _("单位类型")
    return [first, _("资助金额（元）"), _("占金额比例（%）")], [
        [name, total, share(total, c.total)] for name, total in groups
    ]


def _csv_rows(call: Call, chart: str) -> tuple[list[str], list[list[object]]]:
    if chart in ("funnel", "programs"):
        overview: Overview = call_overview(call)
        if chart == "funnel":
            return [_("阶段"), _("申报数")], [[label, count] for label, count in overview.funnel]
        header = [
            _("项目编号"),
            _("项目名称"),
            _("年度预算（元）"),
            _("申报金额（元）"),
            _("标准金额（元）"),
            _("核定金额（元）"),
            _("已拨付（元）"),
        ]
        rows = [
            [r.program.code, r.program.name, r.budget, r.requested, r.standard, r.allocated, r.disbursed]
            for r in overview.programs
        ]
        return header, rows
    if chart in ("forecast", "forecast-trend"):
        return _forecast_rows(call_forecast(call), chart)
    if chart in ("concentration", "top10", "districts", "org-types"):
        return _concentration_rows(call_concentration(call), chart)
    raise Http404


@staff_member_required
def chart_csv(request: HttpRequest, call_id: int, chart: str) -> HttpResponse:
    """The figures behind one chart as CSV (UTF-8 with BOM, for Excel)."""
    _may_see(request)
    if chart not in CSV_NAMES:
        raise Http404
    call = _call(call_id)
    header, rows = _csv_rows(call, chart)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(safe_row(header))
    # Program and organisation names are typed by people: a name starting with "=" must stay text (formula injection).
    writer.writerows(safe_row(row) for row in rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{call.title}-{CSV_NAMES[chart]}.csv")
    return response


def _finished_run(request: HttpRequest, run_id: int) -> AllocationRun:
    if not may_download_pack(request.user):
        raise Http404
    run = get_object_or_404(AllocationRun.objects.select_related("call", "started_by", "cap_sweep"), pk=run_id)
    if run.status != RunStatus.DONE:
        raise Http404
    return run


def _pack_file_response(pack: DecisionPack) -> FileResponse:
    response = FileResponse(pack.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"决策材料-{pack.run.call.title}-资金分配第{pack.run_id}号.pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@staff_member_required
def decision_pack(request: HttpRequest, run_id: int) -> HttpResponse:
    """The decision pack (决策材料) of a finished allocation run as PDF: 审定人 and 系统管理员 only, 404 for others.

    The pack of the run's current facts: served at once when stored or small, else rendered by a job while the
    approver watches its progress page."""
    run = _finished_run(request, run_id)
    pack = request_decision_pack(run=run, actor=request.user)
    if pack.is_done:
        return _pack_file_response(pack)
    return HttpResponseRedirect(reverse("dashboard:decision_pack_status", args=[run.pk, pack.pk]))


@staff_member_required
def decision_pack_status(request: HttpRequest, run_id: int, pack_id: int) -> HttpResponse:
    """The progress of a pack being rendered, refreshed every two seconds; its download once done."""
    run = _finished_run(request, run_id)
    pack = get_object_or_404(DecisionPack.objects.select_related("run__call"), pk=pack_id, run=run)
    if pack.is_done and request.GET.get("download"):
        return _pack_file_response(pack)
    context = {
        **admin.site.each_context(request),
        "title": _("决策材料"),
        "run": run,
        "pack": pack,
        "progress": pack_progress(pack),
        "estimate": estimated_pack_seconds(pack),
    }
    return render(request, "dashboard/decision_pack_status.html", context)
