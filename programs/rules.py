"""Pure award computation (SPEC §3): counted units, the organisation annual cap and the pro-rata allocation.

No database here: callers load programs, caps, budgets and earlier awards, pass plain values in and store the results.
Money is ``Decimal`` yuan with 2 places.
"""

import unicodedata
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Generic, TypeVar

from django.utils.translation import gettext_lazy as _

from core.money import format_yuan, to_wan

K = TypeVar("K", bound=Hashable)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
FACTOR_DIGITS = 6

REASON_YEARLY_CAP_REACHED = "yearly_cap_reached"
REASON_ALREADY_FUNDED = "already_funded"
REASON_CLAIM_MISSING = "claim_missing"
REASON_ORGANISATION_CAP_REACHED = "organisation_cap_reached"


def _money(amount: Decimal, what: str) -> Decimal:
    """Return a non-negative amount with 2 places; raise ValueError for a negative one or a finer one."""
    amount = Decimal(amount)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{what} must be a non-negative amount, got {amount}")
    cents = amount.quantize(CENT)
    if cents != amount:
        raise ValueError(f"{what} has more than 2 decimal places: {amount}")
    return cents


def _fen(amount: Decimal) -> int:
    return int(amount * 100)


def normalise_unit_key(key: str) -> str:
    """Return the form in which unit keys are compared: compatibility forms folded (NFKC: full-width letters,
    digits and dashes become ASCII), invisible format characters (zero-width spaces and joiners) dropped, inner
    whitespace collapsed, upper-case.

    Certificate numbers are typed by hand, often with a Chinese input method: "cnca-123 ", "ＣＮＣＡ－１２３" and
    "CNCA\u200b-123" are the same certificate as "CNCA-123".
    """
    if key.isascii():  # NFKC leaves ASCII as it is, and no ASCII character is a format character (Cf)
        return " ".join(key.split()).upper()
    folded = unicodedata.normalize("NFKC", key)
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split()).upper()


@dataclass(frozen=True, slots=True)
class UnitInput:
    """One unit of an application: a certificate, an accreditation, a matter, an honour, or the whole project.

    ``key`` identifies what may be funded only once (certificate or accreditation number, honour + year); "" for
    fixed programs. ``unit_amount`` is the tier amount or the program amount. ``tier_group`` is the group whose
    count cap applies; "" when the program caps per program.
    """

    key: str
    unit_amount: Decimal
    claim_amount: Decimal | None = None
    tier_group: str = ""

    def __post_init__(self) -> None:
        _money(self.unit_amount, "unit_amount")
        if self.claim_amount is not None and (not Decimal(self.claim_amount).is_finite() or self.claim_amount < 0):
            raise ValueError(f"claim_amount must be a non-negative amount, got {self.claim_amount}")


@dataclass(frozen=True, slots=True)
class CapPolicy:
    """How a program counts units: claims, the yearly count cap and once-per-key funding."""

    claim_required: bool  # award per unit = min(claim, unit_amount)
    max_units_per_year: int | None  # None = no count cap
    funded_once: bool  # a unit key is funded at most once ever

    def __post_init__(self) -> None:
        if self.max_units_per_year is not None and self.max_units_per_year < 0:
            raise ValueError(f"max_units_per_year must not be negative, got {self.max_units_per_year}")


@dataclass(frozen=True, slots=True)
class UnitResult:
    """What a unit counts towards the standard amount, and why not in full ("" codes mean counted)."""

    key: str
    counted_amount: Decimal
    reason_code: str = ""
    reason: str = ""

    @property
    def is_counted(self) -> bool:
        return self.reason_code == ""


def compute_units(
    units: Sequence[UnitInput],
    policy: CapPolicy,
    *,
    units_already_counted: Mapping[str, int] | None = None,
    funded_keys: Collection[str] = (),
) -> list[UnitResult]:
    """Count each unit of one application, in order, against claims, count caps and once-per-key funding.

    操作规程 第八条第三款：每获一张认证证书，予以不超过5万元资助，每家企业每年资助不超过3项；
    第九条第一款：每获得一个国家或国际机构认可资质，予以不超过30万元资助，每家企业每年资助不超过2项。

    ``units_already_counted`` maps a tier group ("" when the program caps per program) to the units the organisation
    already has counted this calendar year in its other applications that are not withdrawn or rejected.
    ``funded_keys`` are keys funded in earlier applications; keys compare after ``normalise_unit_key``.
    A unit counts 0 with reason code "claim_missing" (claim required but absent or zero), "already_funded" (key in
    ``funded_keys`` or earlier in ``units``, when the program funds a key once) or "yearly_cap_reached" (the count
    cap of its group is used up). Such units do not use up a place under the cap. A counted unit has reason code ""
    and counts ``min(claim, unit_amount)`` where claims are required, else ``unit_amount``.
    """
    already = dict(units_already_counted or {})
    counted_per_group: dict[str, int] = {}
    funded = {normalise_unit_key(key) for key in funded_keys}
    seen: set[str] = set()
    results: list[UnitResult] = []
    for unit in units:
        unit_amount = _money(unit.unit_amount, "unit_amount")
        key = normalise_unit_key(unit.key)
        if policy.claim_required and (unit.claim_amount is None or unit.claim_amount <= 0):
            results.append(UnitResult(unit.key, ZERO, REASON_CLAIM_MISSING, str(_("未填写实际发生费用，该项不予计算"))))
            continue
        if policy.funded_once and key:
            if key in funded:
                results.append(
                    UnitResult(unit.key, ZERO, REASON_ALREADY_FUNDED, str(_("该编号已获资助，同一事项不重复资助")))
                )
                continue
            if key in seen:
                results.append(
                    UnitResult(unit.key, ZERO, REASON_ALREADY_FUNDED, str(_("该编号在本申报中重复填报，只计算一次")))
                )
                continue
            seen.add(key)
        cap = policy.max_units_per_year
        used = already.get(unit.tier_group, 0) + counted_per_group.get(unit.tier_group, 0)
        if cap is not None and used >= cap:
            message = (
                _("超过每年最多%(cap)d项的上限") if not unit.tier_group else _("超过该类别每年最多%(cap)d项的上限")
            )
            results.append(UnitResult(unit.key, ZERO, REASON_YEARLY_CAP_REACHED, str(message) % {"cap": cap}))
            continue
        counted_per_group[unit.tier_group] = counted_per_group.get(unit.tier_group, 0) + 1
        amount = unit_amount
        if policy.claim_required:
            # "不超过"：按实际发生费用资助，最高不超过单项金额；费用只舍不入，不多付一分。
            amount = min(Decimal(unit.claim_amount).quantize(CENT, rounding=ROUND_DOWN), unit_amount)
        results.append(UnitResult(unit.key, amount))
    return results


def standard_amount(results: Sequence[UnitResult]) -> Decimal:
    """Sum the counted amounts of an application's units: its standard amount (核定标准金额) before caps."""
    return sum((result.counted_amount for result in results), ZERO).quantize(CENT)


@dataclass(frozen=True, slots=True)
class CappedAmount:
    """An application's amount after the organisation annual cap ("" reason code when not cut)."""

    amount: Decimal
    reason_code: str = ""
    reason: str = ""


def apply_organisation_cap(
    standards: Sequence[Decimal],
    *,
    cap: Decimal | None,
    already_awarded: Decimal = ZERO,
) -> list[CappedAmount]:
    """Cut an organisation's standard amounts of one year to its annual cap, in approval order.

    单位年度资助总额上限（可选，未设定则不限；深圳市另一专项资金定为120万元）。
    ``standards`` must be in approval order; ``already_awarded`` is what the organisation has been awarded this year
    across the whole fund. The application that would pass the cap is cut to the headroom, later ones get 0; both
    carry reason code "organisation_cap_reached". ``cap=None`` turns the cap off.
    """
    amounts = [_money(standard, "standard") for standard in standards]
    if cap is None:
        return [CappedAmount(amount) for amount in amounts]
    cap = _money(cap, "cap")
    headroom = max(cap - _money(already_awarded, "already_awarded"), ZERO)
    shown_cap = f"{to_wan(cap) if cap % 100 == 0 else format_yuan(cap)}元"
    reason = str(_("超过单位年度资助总额上限%(cap)s")) % {"cap": shown_cap}
    results: list[CappedAmount] = []
    for amount in amounts:
        if amount <= headroom:
            results.append(CappedAmount(amount))
            headroom -= amount
        else:
            results.append(CappedAmount(headroom, REASON_ORGANISATION_CAP_REACHED, reason))
            headroom = ZERO
    return results


@dataclass(frozen=True)
class Allocation(Generic[K]):
    """The outcome of one allocation run for a program and year (足额或折算)."""

    factor: Decimal | None  # None when fully funded; else budget / total standard truncated to 6 places, for display
    fully_funded: bool
    total_standard: Decimal
    total_allocated: Decimal
    amounts: dict[K, Decimal] = field(default_factory=dict)


def allocate(standards: Mapping[K, Decimal], budget: Decimal) -> Allocation[K]:
    """Share a program's annual budget among its approved applications: in full, or pro rata to the whole yuan.

    2023年申报指南：“按项目资助年度总额控制的原则，根据项目审核数量足额或折算分配”。
    When Σ standard ≤ budget every key gets its standard amount. Otherwise each gets
    floor(standard × budget / Σ standard) to the whole yuan, computed exactly in integers (never with ``factor``,
    which is truncated to 6 places for display), so the total never exceeds the budget; less than 1 yuan per
    application stays unallocated. Raise ValueError for a negative amount or one finer than a fen.
    """
    budget = _money(budget, "budget")
    checked = {key: _money(standard, "standard") for key, standard in standards.items()}
    total = sum(checked.values(), ZERO)
    if total <= budget:
        return Allocation(factor=None, fully_funded=True, total_standard=total, total_allocated=total, amounts=checked)
    budget_fen, total_fen = _fen(budget), _fen(total)
    amounts = {
        key: Decimal((_fen(standard) * budget_fen) // (total_fen * 100)).quantize(CENT)
        for key, standard in checked.items()
    }
    return Allocation(
        factor=Decimal(budget_fen * 10**FACTOR_DIGITS // total_fen).scaleb(-FACTOR_DIGITS),
        fully_funded=False,
        total_standard=total,
        total_allocated=sum(amounts.values(), ZERO),
        amounts=amounts,
    )
