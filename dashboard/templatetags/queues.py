"""``{% my_queues as queues %}``: the admin index's 我的待办 (dashboard.queues)."""

from django import template

from dashboard.queues import QueueCount, queue_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def my_queues(context: template.Context) -> list[QueueCount]:
    request = context.get("request")
    return queue_counts(request.user) if request is not None else []
