from django import template

from applications.models import Application
from notices.selectors import award_notice_url

register = template.Library()


@register.filter(name="award_notice_url")
def award_notice_url_filter(application: Application) -> str | None:
    """The award notice's download URL once it is ready (no query with ``select_related("award_notice")``)."""
    return award_notice_url(application)
