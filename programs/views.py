from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from programs.models import Direction
from programs.selectors import public_calls, public_program, public_programs


def program_list(request: HttpRequest) -> HttpResponse:
    """The catalogue of funding items, grouped by direction."""
    programs = list(public_programs())
    groups = [
        (label, [p for p in programs if p.direction == value])
        for value, label in Direction.choices
        if any(p.direction == value for p in programs)
    ]
    return render(request, "programs/program_list.html", {"groups": groups, "program_count": len(programs)})


def program_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One program: conditions, the amount rule in words, caps, materials, clause and contact."""
    program = public_program(code)
    calls = public_calls().filter(programs=program)
    return render(request, "programs/program_detail.html", {"program": program, "calls": calls})


def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One call: its window and the programs it covers."""
    call = get_object_or_404(public_calls(), pk=pk)
    return render(request, "programs/call_detail.html", {"call": call})


def home(request: HttpRequest) -> HttpResponse:
    """The public home page: open calls with the time left, then upcoming ones."""
    now = timezone.now()
    calls = list(public_calls().filter(closes_at__gt=now).order_by("closes_at"))
    return render(
        request,
        "core/home.html",
        {
            "open_calls": [c for c in calls if c.opens_at <= now],
            "upcoming_calls": [c for c in calls if c.opens_at > now],
        },
    )
