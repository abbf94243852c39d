"""Who gets the money of a call: first-time and repeat awardees, the top-10 share, money by district and by
organisation type. Two queries, whatever the number of awards.

An award here is an application approved (拟资助) or later and not rejected, worth its allocated amount (its standard
amount before an allocation run). Earlier awards are those actually awarded (已核准 or later) in earlier years.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, Max, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import District, OrganisationType
from applications.models import APPROVED_STATES, FINANCE_STATES, Application
from programs.models import Call

ZERO = Decimal("0.00")
REPEAT_YEARS = 3
TOP_N = 10


def share(part: Decimal | int, whole: Decimal | int) -> Decimal:
    """``part / whole`` as a percentage with one decimal (0 when the whole is 0)."""
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Awardee:
    organisation_id: int
    name: str
    district: str
    org_type: str
    amount: Decimal
    applications: int
    first_time: bool
    repeat: bool  # also awarded in one of the three previous years

    @property
    def district_label(self) -> str:
        return str(dict(District.choices).get(self.district, self.district))


@dataclass(frozen=True)
class Concentration:
    call: Call
    awardees: list[Awardee]  # largest amount first
    total: Decimal
    first_time_count: int
    first_time_amount: Decimal
    repeat_count: int
    repeat_amount: Decimal
    top: list[Awardee]
    top_amount: Decimal
    districts: list[tuple[str, Decimal]]
    org_types: list[tuple[str, Decimal]]

    @property
    def count(self) -> int:
        return len(self.awardees)

    @property
    def first_time_share(self) -> Decimal:
        return share(self.first_time_count, self.count)

    @property
    def repeat_share(self) -> Decimal:
        return share(self.repeat_count, self.count)

    @property
    def top_share(self) -> Decimal:
        return share(self.top_amount, self.total)


def _grouped(awardees: list[Awardee], attribute: str, labels: dict[str, str]) -> list[tuple[str, Decimal]]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for awardee in awardees:
        totals[getattr(awardee, attribute)] += awardee.amount
    return [
        (str(labels.get(code, code or "—")), amount)
        for code, amount in sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    ]


def call_concentration(call: Call) -> Concentration:
    """The concentration figures of a call's awards."""
    rows = (
        Application.objects.filter(call=call, state__in=APPROVED_STATES)
        .values("organisation_id", "organisation__name", "organisation__district", "organisation__org_type")
        .annotate(
            total=Coalesce(
                Sum(Coalesce("allocated_amount", "standard_amount")),
                Value(ZERO),
                output_field=DecimalField(max_digits=16, decimal_places=2),
            ),
            n=Sum(Value(1)),
        )
        .order_by()
    )
    rows = list(rows)
    latest_earlier = dict(
        Application.objects.filter(
            organisation_id__in=[r["organisation_id"] for r in rows],
            state__in=FINANCE_STATES,
            call__year__lt=call.year,
        )
        .values("organisation_id")
        .annotate(latest=Max("call__year"))
        .values_list("organisation_id", "latest")
        .order_by()
    )
    awardees = sorted(
        (
            Awardee(
                organisation_id=r["organisation_id"],
                name=r["organisation__name"],
                district=r["organisation__district"],
                org_type=r["organisation__org_type"],
                amount=r["total"],
                applications=r["n"],
                first_time=r["organisation_id"] not in latest_earlier,
                repeat=latest_earlier.get(r["organisation_id"], 0) >= call.year - REPEAT_YEARS,
            )
            for r in rows
        ),
        key=lambda a: (-a.amount, a.name, a.organisation_id),
    )
    first = [a for a in awardees if a.first_time]
    repeat = [a for a in awardees if a.repeat]
    top = awardees[:TOP_N]
    return Concentration(
        call=call,
        awardees=awardees,
        total=sum((a.amount for a in awardees), ZERO),
        first_time_count=len(first),
        first_time_amount=sum((a.amount for a in first), ZERO),
        repeat_count=len(repeat),
        repeat_amount=sum((a.amount for a in repeat), ZERO),
        top=top,
        top_amount=sum((a.amount for a in top), ZERO),
        districts=_grouped(awardees, "district", dict(District.choices)),
        org_types=_grouped(awardees, "org_type", dict(OrganisationType.choices)),
    )
