"""The user's notifications."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from applications import notification_services, selectors

# --- Notifications ---------------------------------------------------------------------------


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notices, newest first; unread ones are highlighted, and opening the page marks them read."""
    notices = list(selectors.notifications_for(request.user)[:200])
    unread = sum(1 for n in notices if n.read_at is None)
    notification_services.mark_notifications_read(user=request.user)
    return render(request, "applications/notifications.html", {"notices": notices, "unread": unread})
