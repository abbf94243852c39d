from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.health import run_checks
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


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """``GET /healthz``: 200 when the database and the broker answer, 503 naming the part that does not."""
    healthy, parts = run_checks()
    return JsonResponse({"status": "ok" if healthy else "unavailable", **parts}, status=200 if healthy else 503)
