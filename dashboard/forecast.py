"""The live pro-rata forecast of an open call: per program, what the drafts and submitted applications ask for
against the budget, the factor that implies now, and its trend by day since the call opened.

Standard amounts are those the rules (``programs.rules.compute_units`` through the assessment) stored on each
application's last write; the factor is ``programs.rules.allocate``'s, the one the allocation run will use. The
trend is recomputed from the creation and submission dates of the call's live applications (no snapshot table):
a withdrawn or rejected application leaves the past days too. A fixed number of queries, whatever the rows.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from applications.models import Application, State
from programs.models import Call, Program, ProgramBudget
from programs.rules import allocate

ZERO = Decimal("0.00")
ONE = Decimal("1")
# Asked for, for the forecast: a draft may still be submitted; withdrawn and rejected ones ask for nothing.
NOT_ASKING = (State.WITHDRAWN, State.REJECTED)
# Already frozen elsewhere in the year: on public notice or later (allocations.services.FROZEN_STATES).
FROZEN_STATES = (
    State.IN_PUBLICITY,
    State.AWARDED,
    State.DISBURSED,
    State.EVALUATED,
    State.CLAWBACK,
    State.CLOSED,
)
MAX_TREND_DAYS = 400


def implied_factor(total: Decimal, budget: Decimal) -> Decimal:
    """The pro-rata factor ``allocate`` would apply to ``total`` under ``budget``: 1 when fully funded.

    2023年申报指南：“根据项目审核数量足额或折算分配”。
    """
    allocation = allocate({0: total}, max(budget, ZERO))
    return ONE if allocation.fully_funded else allocation.factor


@dataclass(frozen=True)
class ProgramForecast:
    program: Program
    budget: Decimal  # the year's budget less what other calls of the year have frozen
    drafts: Decimal
    submitted: Decimal
    draft_count: int
    submitted_count: int

    @property
    def projected(self) -> Decimal:
        return self.drafts + self.submitted

    @property
    def factor_submitted(self) -> Decimal:
        """The factor if only what is submitted now were approved."""
        return implied_factor(self.submitted, self.budget)

    @property
    def factor_projected(self) -> Decimal:
        """The factor if every draft were submitted too: the one the notice watches."""
        return implied_factor(self.projected, self.budget)


@dataclass(frozen=True)
class TrendPoint:
    day: date
    projected: Decimal
    submitted: Decimal
    factor: Decimal


@dataclass(frozen=True)
class Forecast:
    call: Call
    programs: list[ProgramForecast]
    days: list[date]
    trend: dict[int, list[TrendPoint]]  # program id → one point per day


def _money_sum(condition: Q) -> Coalesce:
    return Coalesce(
        Sum("standard_amount", filter=condition),
        Value(ZERO),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


def _available_budgets(call: Call, program_ids: list[int]) -> dict[int, Decimal]:
    budgets = dict(
        ProgramBudget.objects.filter(year=call.year, program_id__in=program_ids).values_list("program_id", "amount")
    )
    frozen = dict(
        Application.objects.filter(program_id__in=program_ids, call__year=call.year, state__in=FROZEN_STATES)
        .exclude(call=call)
        .values("program_id")
        .annotate(total=Sum(Coalesce("allocated_amount", "standard_amount")))
        .values_list("program_id", "total")
    )
    return {pk: max(budgets.get(pk, ZERO) - (frozen.get(pk) or ZERO), ZERO) for pk in program_ids}


def _days(call: Call, today: date) -> list[date]:
    first = timezone.localdate(call.opens_at)
    last = min(today, timezone.localdate(call.closes_at))
    if last < first:
        return []
    count = min((last - first).days + 1, MAX_TREND_DAYS)
    return [last - timedelta(days=count - 1 - i) for i in range(count)]


def call_forecast(call: Call, *, today: date | None = None) -> Forecast:
    """The forecast of every program of a call, now and by day since opening, in 4 queries."""
    today = today or timezone.localdate()
    programs = list(call.programs.order_by("sort_order", "code"))
    program_ids = [p.pk for p in programs]
    budgets = _available_budgets(call, program_ids)
    live = Application.objects.filter(call=call).exclude(state__in=NOT_ASKING)
    tz = timezone.get_current_timezone()
    rows = (
        live.annotate(created_on=TruncDate("created_at", tzinfo=tz), submitted_on=TruncDate("submitted_at", tzinfo=tz))
        .values("program_id", "created_on", "submitted_on", "state")
        .annotate(total=_money_sum(Q()), n=Count("pk"))
        .order_by()
    )
    drafts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    submitted: dict[int, Decimal] = defaultdict(lambda: ZERO)
    counts: dict[tuple[int, bool], int] = defaultdict(int)
    # Per program, money that became "asked for" (created) and "submitted" on each day.
    created_on: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    submitted_on: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in rows:
        program_id, total, is_draft = row["program_id"], row["total"], row["state"] == State.DRAFT
        (drafts if is_draft else submitted)[program_id] += total
        created_on[program_id][row["created_on"]] += total
        counts[(program_id, is_draft)] += row["n"]
        if not is_draft and row["submitted_on"] is not None:
            submitted_on[program_id][row["submitted_on"]] += total
    forecasts = [
        ProgramForecast(
            program=p,
            budget=budgets[p.pk],
            drafts=drafts[p.pk],
            submitted=submitted[p.pk],
            draft_count=counts[(p.pk, True)],
            submitted_count=counts[(p.pk, False)],
        )
        for p in programs
    ]
    days = _days(call, today)
    trend: dict[int, list[TrendPoint]] = {}
    for p in programs:
        points: list[TrendPoint] = []
        first = days[0] if days else today
        # Whatever was dated before the first day shown (e.g. a draft begun before opening) counts from it.
        asked = sum((v for d, v in created_on[p.pk].items() if d < first), ZERO)
        sent = sum((v for d, v in submitted_on[p.pk].items() if d < first), ZERO)
        for day in days:
            asked += created_on[p.pk].get(day, ZERO)
            sent += submitted_on[p.pk].get(day, ZERO)
            points.append(TrendPoint(day, asked, sent, implied_factor(asked, budgets[p.pk])))
        trend[p.pk] = points
    return Forecast(call=call, programs=forecasts, days=days, trend=trend)
