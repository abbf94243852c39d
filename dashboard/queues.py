"""我的待办: the work queues of the admin index, one count and one link per queue of the user's roles.

Each count is taken from the same scoped queryset and filter as the list its link opens, so the number on the index
is the number of rows of that list. One COUNT query per queue, whatever the number of rows.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.roles import APPROVER, user_has_role
from applications.admin import queue_url, queues_for
from applications.selectors import visible_applications
from payouts.models import BatchStatus
from payouts.selectors import batches_visible_to, may_pay
from publicity.models import ObjectionStatus
from publicity.selectors import objections_visible_to
from review.admin import is_expert_only
from review.selectors import visible_assignments


@dataclass(frozen=True)
class QueueCount:
    label: str
    count: int
    url: str


def queue_counts(user: object) -> list[QueueCount]:
    """The user's queues with their counts and the filtered lists they open."""
    rows = [
        QueueCount(str(queue.label), visible_applications(user).filter(queue.condition(user)).count(), queue_url(queue))
        for queue in queues_for(user)
    ]
    if is_expert_only(user):
        url = reverse("admin:review_expertassignment_changelist") + "?progress=pending"
        pending = visible_assignments(user).filter(submitted_at__isnull=True)
        rows.append(QueueCount(str(_("待评审")), pending.count(), url))
    if user_has_role(user, APPROVER):
        objections = objections_visible_to(user).filter(status=ObjectionStatus.OPEN)
        url = reverse("admin:publicity_objection_changelist") + f"?status__exact={ObjectionStatus.OPEN}"
        rows.append(QueueCount(str(_("异议待处理")), objections.count(), url))
    if may_pay(user):
        drafts = batches_visible_to(user).filter(status=BatchStatus.DRAFT)
        url = reverse("admin:payouts_payoutbatch_changelist") + f"?status__exact={BatchStatus.DRAFT}"
        rows.append(QueueCount(str(_("待复核批次")), drafts.count(), url))
    return rows
