"""The client's address, the same way everywhere (login lockout, DRF throttles, objection rate limits).

Without a proxy (the embedded demo, a bare gunicorn) only ``REMOTE_ADDR`` counts: ``X-Forwarded-For`` is written
by the client and could be anything. Behind the deployment's reverse proxy (``BEHIND_PROXY=true``), which
overwrites ``X-Forwarded-For`` with the address it saw, the last entry of that header is the client.
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "") or ""
