"""Reads of the public catalogue."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from programs.models import AttachmentRequirement, Call, Program, Tier


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
