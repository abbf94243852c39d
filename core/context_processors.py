from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    """Expose the portal's name and the user's organisation to every template."""
    organisation = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        membership = getattr(user, "membership", None)
        organisation = membership.organisation if membership else None
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "BUREAU_NAME": settings.BUREAU_NAME,
        "current_organisation": organisation,
    }
