"""Template context for every page: the signed-in user's unread notification count (for the site header)."""

from django.http import HttpRequest

from applications.selectors import unread_notification_count


def notifications(request: HttpRequest) -> dict[str, int]:
    """Return ``{"unread_notifications": n}``; 0 without a query for anonymous visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": unread_notification_count(user)}
