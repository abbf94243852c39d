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
        "PORTAL_FOOTER": {
            "organiser": settings.PORTAL_ORGANISER,
            "department": settings.PORTAL_CONTACT_DEPARTMENT,
            "phone": settings.PORTAL_CONTACT_PHONE,
            "hours": settings.PORTAL_CONTACT_HOURS,
            "address": settings.PORTAL_CONTACT_ADDRESS,
            "icp": settings.PORTAL_ICP_NUMBER,
        },
        "current_organisation": organisation,
    }
