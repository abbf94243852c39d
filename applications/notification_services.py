"""Writes for in-portal notifications (kept apart from ``services/``, which holds the application workflow)."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from applications.models import Notification


@transaction.atomic
def mark_notifications_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` as read now; return how many were marked."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
