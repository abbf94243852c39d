"""Reads of the public catalogue."""

from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from programs.models import AttachmentRequirement, Call, Program, ProgramBudget, Tier


def public_programs() -> QuerySet[Program]:
    """Active programs with their tiers and attachment requirements, in catalogue order."""
    return Program.objects.active().prefetch_related(
        Prefetch("tiers", queryset=Tier.objects.order_by("sort_order", "pk")),
        Prefetch("attachment_requirements", queryset=AttachmentRequirement.objects.order_by("sort_order", "pk")),
    )


def public_program(code: str) -> Program:
    """One active program by code; 404 otherwise."""
    return get_object_or_404(public_programs(), code=code)


def public_calls() -> QuerySet[Call]:
    """Published calls with their programs, newest first."""
    return Call.objects.visible().prefetch_related(
        Prefetch("programs", queryset=Program.objects.order_by("sort_order", "code"))
    )


def call_with_programs(pk: int) -> tuple[Call, list[dict[str, Any]]]:
    """A published call and one row per program it covers: the program (tiers and materials prefetched) and its
    budget for the call's year (None when none is set); 404 for an unknown or unpublished call.

    Four queries whatever the number of programs: the call, its active programs with their budgets, tiers, materials.
    """
    call = get_object_or_404(Call.objects.visible(), pk=pk)
    budgets = ProgramBudget.objects.filter(program=OuterRef("pk"), year=call.year)
    programs = (
        call.programs.filter(is_active=True)
        .order_by("sort_order", "code")
        .annotate(year_budget=Subquery(budgets.values("amount")[:1]))
        .prefetch_related(
            Prefetch("tiers", queryset=Tier.objects.order_by("sort_order", "pk")),
            Prefetch("attachment_requirements", queryset=AttachmentRequirement.objects.order_by("sort_order", "pk")),
        )
    )
    return call, [{"program": p, "budget": p.year_budget} for p in programs]
