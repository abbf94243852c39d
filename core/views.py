from django.http import HttpRequest, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.health import run_checks


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """``GET /healthz``: 200 when the database and the broker answer, 503 naming the part that does not."""
    healthy, parts = run_checks()
    return JsonResponse({"status": "ok" if healthy else "unavailable", **parts}, status=200 if healthy else 503)


# The load benchmark's floor: what a request costs that does nothing (no database, no cache), through the same
# gunicorn, middleware and settings as the API. Served only when ``LOAD_BENCHMARK_FLOOR`` is set.
FLOOR_BODY = {"id": 1, "state": "draft", "reference": "ZLPP-2026-000001", "eligibility": {"eligible": True}}


@never_cache
@require_safe
def load_floor(request: HttpRequest) -> JsonResponse:
    """``GET /load-floor``: a constant JSON body (benchmarks/load.py measures it beside the API)."""
    return JsonResponse(FLOOR_BODY)


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """``GET /favicon.ico``, which browsers ask for whatever the page links: the portal's SVG icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
