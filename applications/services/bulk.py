"""Set-based transitions for stages that move many applications at once (the bank's result file of a payout batch).

The same rows as the one-by-one services write (state, ``state_changed_at``, one chained event each, the
applicant's notification), in a number of statements that does not grow with the number of applications: one lock,
one UPDATE, one read of the chain heads, one insert of the events (COPY on PostgreSQL) and the notification tasks,
queued after commit, one per group of organisations (``notification_groups``).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applications import audit, workflow
from applications.error_codes import ApplicationErrorCode
from applications.models import Application, ApplicationEvent, State
from applications.tasks import notify_applicant_events_task
from core.db import bulk_insert
from core.exceptions import Conflict

# Events per notification task queued by a bulk transition (each organisation's events stay in one task).
NOTIFY_EVENTS_PER_TASK = 200

EVENT_FIELDS = ("id", "application", "name", "from_state", "to_state", "actor", "at", "comment", "data")


def _new_ids(count: int) -> list[int]:
    """Reserve ``count`` ids of the event table's sequence in one statement (PostgreSQL), so COPY can write them."""
    table = ApplicationEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]


@transaction.atomic
def transition_in_bulk(
    *, name: str, comments: Mapping[int, str], actor: User | None, at: datetime | None = None
) -> list[ApplicationEvent]:
    """Take the stage-driven transition ``name`` for every application in ``comments`` (id → the event's comment).

    Lock the rows in id order, refuse with Conflict "transition_not_allowed" (nothing changes) when one is not in a
    source state of the step, set the target state, write one event per application chained to its head, and queue
    one notification task per organisation after commit. Return the events written, in id order.
    """
    step = workflow.step(name)
    ids = sorted(comments)
    if not ids:
        return []
    at = at or timezone.now()
    rows = list(
        Application.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "state", "organisation_id")
    )
    wrong = [pk for pk, state, _organisation in rows if state not in step.sources]
    if wrong or len(rows) != len(ids):
        raise Conflict(
            _("%(n)s件申报的当前状态不能%(t)s") % {"n": len(wrong) + len(ids) - len(rows), "t": step.verb},
            code=ApplicationErrorCode.TRANSITION_NOT_ALLOWED,
        )
    Application.objects.filter(pk__in=ids).update(state=step.target, state_changed_at=at, updated_at=at)
    last_ids = ApplicationEvent.objects.filter(application_id__in=ids).values("application_id").annotate(m=Max("pk"))
    heads = dict(ApplicationEvent.objects.filter(pk__in=last_ids.values("m")).values_list("application_id", "hash"))
    events = [
        ApplicationEvent(
            application_id=pk,
            name=name,
            from_state=state,
            to_state=State(step.target),
            actor=actor,
            at=at,
            comment=comments[pk],
            data={},
        )
        for pk, state, _organisation in rows
    ]
    audit.seal_chains(events, heads, key=audit.chain_key())
    if connection.vendor == "postgresql":
        for event, pk in zip(events, _new_ids(len(events)), strict=True):
            event.pk = pk
        bulk_insert(ApplicationEvent, events, (*EVENT_FIELDS, "prev_hash", "hash"))
    else:
        ApplicationEvent.objects.bulk_create(events, batch_size=500)
    if step.applicant_facing:
        for event_ids in notification_groups(
            (organisation, event.pk) for (_pk, _state, organisation), event in zip(rows, events, strict=True)
        ):
            notify_applicant_events_task.delay_on_commit(event_ids=event_ids)
    return events


def notification_groups(pairs: Iterable[tuple[int, int]], size: int | None = None) -> list[list[int]]:
    """Group (organisation, event id) pairs into the event ids of one notification task each: an organisation's
    events always in one task, organisations added to a task until it holds ``size`` events (at least one
    organisation per task). Queueing a task costs about a millisecond, so a bank file of 20,000 lines queues
    about 100 tasks instead of 20,000."""
    size = size or NOTIFY_EVENTS_PER_TASK
    by_organisation: dict[int, list[int]] = defaultdict(list)
    for organisation, event_id in pairs:
        by_organisation[organisation].append(event_id)
    groups: list[list[int]] = []
    for event_ids in by_organisation.values():
        if groups and len(groups[-1]) + len(event_ids) <= size:
            groups[-1].extend(event_ids)
        else:
            groups.append(list(event_ids))
    return groups
