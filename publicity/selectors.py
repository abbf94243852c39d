"""Reads of publicity: what the public may see, and the objections staff may see."""

from datetime import date

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from publicity.models import Objection, PublicityEntry, PublicityNotice
from publicity.services import may_manage_publicity


def current_notices(today: date | None = None) -> QuerySet[PublicityNotice]:
    """Notices in their publicity period today, with their entries (the public API and list page)."""
    return (
        PublicityNotice.objects.open_on(today or timezone.localdate())
        .unclosed()
        .with_entries()
        .order_by("-starts_on", "-pk")
    )


def past_notices(today: date | None = None) -> QuerySet[PublicityNotice]:
    """Notices whose period has ended or that were closed, newest first."""
    today = today or timezone.localdate()
    return (
        PublicityNotice.objects.filter(Q(ends_on__lt=today) | Q(closed_at__isnull=False))
        .with_entries()
        .order_by("-ends_on", "-pk")
    )


def get_public_notice(pk: int) -> PublicityNotice:
    """Return a notice with its entries; raise Http404 when there is none."""
    notice = PublicityNotice.objects.with_entries().filter(pk=pk).first()
    if notice is None:
        raise Http404(_("未找到该公示"))
    return notice


def find_entry(notice: PublicityNotice, entry_id: object) -> PublicityEntry | None:
    """Return the notice's entry with this id, or None when the id is empty; raise ValueError for a foreign id."""
    if entry_id in (None, ""):
        return None
    try:
        pk = int(entry_id)
    except (TypeError, ValueError):
        raise ValueError(entry_id) from None
    entry = PublicityEntry.objects.filter(notice=notice, pk=pk).first()
    if entry is None:
        raise ValueError(entry_id)
    return entry


def objections_visible_to(user: object) -> QuerySet[Objection]:
    """Objections with the objector's identity: staff managing publicity only (others see none)."""
    queryset = Objection.objects.select_related("notice", "entry", "decided_by")
    if getattr(user, "is_staff", False) and (may_manage_publicity(user) or user.has_perm("publicity.view_objection")):
        return queryset
    return queryset.none()
