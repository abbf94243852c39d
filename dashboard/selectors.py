"""The figures of the bureau's dashboard for one call, each from one aggregate query."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import District
from applications.models import APPROVED_STATES, FINANCE_STATES, Application, State
from programs.models import Call, Program, ProgramBudget

ZERO = Decimal("0.00")
DISBURSED_STATES = (State.DISBURSED, State.EVALUATED, State.CLAWBACK, State.CLOSED)
ACCEPTED_STATES = (State.ACCEPTED, *APPROVED_STATES)

# (label, condition) in workflow order: each stage counts the applications that reached it.
FUNNEL = (
    ("已提交", Q(submitted_at__isnull=False)),
    ("已受理", Q(state__in=ACCEPTED_STATES)),
    ("拟资助", Q(state__in=APPROVED_STATES)),
    ("已核准", Q(state__in=FINANCE_STATES)),
    ("已拨付", Q(state__in=DISBURSED_STATES)),
)


# What an award is worth: its allocated amount, or its standard amount where no allocation ran.
AWARD = Coalesce("allocated_amount", "standard_amount")


def _money_sum(expression: object, condition: Q) -> Coalesce:
    return Coalesce(
        Sum(expression, filter=condition), Value(ZERO), output_field=DecimalField(max_digits=16, decimal_places=2)
    )


@dataclass
class ProgramRow:
    program: Program
    budget: Decimal
    requested: Decimal
    standard: Decimal
    allocated: Decimal
    disbursed: Decimal


@dataclass
class Overview:
    call: Call
    funnel: list[tuple[str, int]]
    states: dict[str, int]
    programs: list[ProgramRow]
    districts: list[tuple[str, Decimal]]
    disbursed_total: Decimal
    clawed_back_total: Decimal
    overdue: dict[str, int] = field(default_factory=dict)


def call_overview(call: Call) -> Overview:
    """Everything the dashboard shows for a call, in a fixed number of queries."""
    applications = Application.objects.filter(call=call)
    funnel_counts = applications.aggregate(**{f"s{i}": Count("pk", filter=q) for i, (_, q) in enumerate(FUNNEL)})
    funnel = [(label, funnel_counts[f"s{i}"]) for i, (label, _) in enumerate(FUNNEL)]
    states = dict(applications.values_list("state").annotate(n=Count("pk")))

    submitted = Q(submitted_at__isnull=False) & ~Q(state__in=(State.WITHDRAWN,))
    per_program = {
        row["program_id"]: row
        for row in applications.values("program_id").annotate(
            requested=_money_sum("claimed_amount", submitted),
            standard=_money_sum("standard_amount", Q(state__in=APPROVED_STATES)),
            allocated=_money_sum("allocated_amount", Q(state__in=APPROVED_STATES)),
            disbursed=_money_sum(AWARD, Q(state__in=DISBURSED_STATES)),
        )
    }
    budgets = dict(ProgramBudget.objects.filter(year=call.year).values_list("program_id", "amount"))
    programs = [
        ProgramRow(
            program=program,
            budget=budgets.get(program.pk, ZERO),
            requested=per_program.get(program.pk, {}).get("requested", ZERO),
            standard=per_program.get(program.pk, {}).get("standard", ZERO),
            allocated=per_program.get(program.pk, {}).get("allocated", ZERO),
            disbursed=per_program.get(program.pk, {}).get("disbursed", ZERO),
        )
        for program in call.programs.order_by("sort_order", "code")
    ]
    labels = dict(District.choices)
    districts = [
        (str(labels.get(code, code)), total)
        for code, total in applications.filter(state__in=FINANCE_STATES)
        .values_list("organisation__district")
        .annotate(total=_money_sum(AWARD, Q()))
        .order_by("-total")
    ]
    clawed_back = ZERO
    overdue = {
        "returned": applications.filter(state=State.RETURNED, return_due_on__lt=timezone.localdate()).count(),
        "reports": 0,
        "objections": 0,
    }
    if apps.is_installed("evaluations"):
        clawback = apps.get_model("evaluations", "Clawback")
        report = apps.get_model("evaluations", "PerformanceReport")
        clawed_back = clawback.objects.filter(application__call=call).aggregate(t=_money_sum("amount", Q()))["t"]
        overdue["reports"] = report.objects.filter(application__call=call, status="overdue").count()
    if apps.is_installed("publicity"):
        objection = apps.get_model("publicity", "Objection")
        overdue["objections"] = objection.objects.filter(notice__call=call, status="open").count()
    return Overview(
        call=call,
        funnel=funnel,
        states=states,
        programs=programs,
        districts=districts,
        disbursed_total=sum((p.disbursed for p in programs), ZERO),
        clawed_back_total=clawed_back,
        overdue=overdue,
    )
