from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from programs.selectors import public_calls


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
