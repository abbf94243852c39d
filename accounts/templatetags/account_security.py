from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def staff_mfa_required() -> bool:
    """Say whether staff need a second factor for the admin (``settings.STAFF_MFA_REQUIRED``)."""
    return bool(settings.STAFF_MFA_REQUIRED)
