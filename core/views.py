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


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """``GET /favicon.ico``, which browsers ask for whatever the page links: the portal's SVG icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
