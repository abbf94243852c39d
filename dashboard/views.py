"""The staff dashboard: where each call stands, with every chart's figures downloadable as CSV."""

import csv
import io

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from accounts.roles import ADMINISTRATOR, APPROVER, FINANCE, INTAKE, user_has_role
from applications.models import State
from core.csv import safe_row
from dashboard.charts import Series, bar_chart, funnel_chart
from dashboard.selectors import Overview, call_overview
from programs.models import Call

DASHBOARD_ROLES = (INTAKE, APPROVER, FINANCE, ADMINISTRATOR)
CSV_NAMES = {"funnel": "进度", "programs": "分项目金额", "districts": "分区金额"}


def _may_see(request: HttpRequest) -> None:
    if not any(user_has_role(request.user, role) for role in DASHBOARD_ROLES):
        raise PermissionDenied


def _call(call_id: int | None) -> Call:
    if call_id is not None:
        return get_object_or_404(Call, pk=call_id)
    return get_object_or_404(Call.objects.order_by("-year", "-opens_at")[:1])


@staff_member_required
def dashboard(request: HttpRequest, call_id: int | None = None) -> HttpResponse:
    _may_see(request)
    overview = call_overview(_call(call_id))
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
    districts = bar_chart(
        [name for name, _ in overview.districts],
        [Series(_("核准金额"), [total for _, total in overview.districts])],
        title=_("分区核准金额"),
    )
    context = {
        **admin.site.each_context(request),
        "title": _("统计看板"),
        "overview": overview,
        "calls": Call.objects.order_by("-year", "-opens_at"),
        "funnel_svg": funnel_chart(overview.funnel, title=_("申报进度漏斗")),
        "amounts_svg": amounts,
        "districts_svg": districts,
        "state_rows": [(State(s).label, n) for s, n in sorted(overview.states.items())],
    }
    return render(request, "dashboard/dashboard.html", context)


def _csv_rows(overview: Overview, chart: str) -> tuple[list[str], list[list[object]]]:
    if chart == "funnel":
        return [_("阶段"), _("申报数")], [[label, count] for label, count in overview.funnel]
    if chart == "programs":
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
    if chart == "districts":
        return [_("区"), _("核准金额（元）")], [[name, total] for name, total in overview.districts]
    raise PermissionDenied


@staff_member_required
def chart_csv(request: HttpRequest, call_id: int, chart: str) -> HttpResponse:
    """The figures behind one chart as CSV (UTF-8 with BOM, for Excel)."""
    _may_see(request)
    overview = call_overview(_call(call_id))
    header, rows = _csv_rows(overview, chart)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(safe_row(header))
    # Program names and the like are typed by staff: a name starting with "=" must stay text (formula injection).
    writer.writerows(safe_row(row) for row in rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{overview.call.title}-{CSV_NAMES[chart]}.csv")
    return response
