"""Verifying every application against its event chain and the last chain heads; writing the heads.

``applications.audit`` checks that each chain hangs together. This module checks what a chain alone cannot see:

* an application's ``state`` must be its last event's ``to_state`` (a draft without events is fine);
* later stages register checks of what they record about an application (``register_check``; allocations checks
  ``allocated_amount`` against its allocation lines), so ``applications`` imports no later stage;
* the heads (event count and last hash of every chain) are written to an append-only table
  (``AuditHeadSnapshot``/``AuditHead``, refused UPDATE and DELETE by triggers on PostgreSQL) and a log line of
  logger ``portal.audit`` that the operator ships off the box; the latest snapshot must still be a prefix of every
  chain, so a deleted tail or a deleted chain is found and named.

Each finding has a ``kind``: edited, deleted_middle, recomputed, deleted_tail, deleted_chain, unrecorded_change,
heads_tampered.
"""

import hmac
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import groupby
from operator import attrgetter
from typing import Any

from django.db import connection, transaction

from applications import audit
from applications.audit import chain_key
from applications.models import Application, ApplicationEvent, AuditHead, AuditHeadSnapshot, State

logger = logging.getLogger("portal.audit")

CHUNK = 2000
EVENT_FIELDS = (
    "application_id",
    "prev_hash",
    "hash",
    "name",
    "from_state",
    "to_state",
    "actor_id",
    "at",
    "comment",
    "data",
)


class Kind(StrEnum):
    EDITED = "edited"  # an event's content or hash was changed
    DELETED_MIDDLE = "deleted_middle"  # an event before this one was deleted (or one inserted)
    RECOMPUTED = "recomputed"  # hashes recomputed without the key, or the chain differs from its recorded head
    DELETED_TAIL = "deleted_tail"  # the newest events are gone: fewer events than the last heads snapshot
    DELETED_CHAIN = "deleted_chain"  # every event of an application is gone
    UNRECORDED_CHANGE = "unrecorded_change"  # state or allocated amount differs from what the record says
    HEADS_TAMPERED = "heads_tampered"  # the heads snapshot does not match its own HMAC


LINK_KINDS = {"hash": Kind.EDITED, "prev_hash": Kind.DELETED_MIDDLE, "rehashed": Kind.RECOMPUTED}


@dataclass(frozen=True)
class Finding:
    kind: Kind
    application_id: int
    reference: str
    detail: str
    link: audit.BrokenLink | None = None

    def line(self) -> str:
        where = f"{self.reference or '-'} (application {self.application_id})"
        if self.link is not None:
            link = self.link
            return (
                f"BROKEN {where}: event {link.event_id}, {link.problem} expected {link.expected}, stored "
                f"{link.stored or '(empty)'} [{self.kind}] {self.detail}"
            )
        return f"TAMPERED {where}: [{self.kind}] {self.detail}"


Check = Callable[[Sequence[Application]], Iterable[Finding]]
_checks: list[Check] = []


def register_check(check: Check) -> Check:
    """Add a check run on each chunk of applications (a later stage's ``AppConfig.ready``); idempotent."""
    if check not in _checks:
        _checks.append(check)
    return check


def legacy_until() -> int | None:
    """The last event id sealed with plain SHA-256 (recorded by the cut-over snapshot), or None: all keyed."""
    first = AuditHeadSnapshot.objects.order_by("pk").values_list("legacy_until", flat=True).first()
    return first


def snapshot_digest(snapshot_fields: tuple[Any, int, int], heads: Iterable[tuple[int, int, str]], key: bytes) -> str:
    legacy, applications, events = snapshot_fields
    return audit.heads_digest(heads, key, header=f"{'' if legacy is None else legacy}|{applications}|{events}")


@dataclass
class Report:
    applications: int = 0
    events: int = 0
    findings: list[Finding] = field(default_factory=list)
    heads: list[tuple[int, str, int, str]] = field(default_factory=list)  # (id, reference, count, head)
    snapshot: AuditHeadSnapshot | None = None

    @property
    def broken(self) -> int:
        return len({f.application_id for f in self.findings})

    @property
    def summary(self) -> str:
        return (
            f"{self.applications} applications checked, {self.events} events checked, {self.broken} broken chains, "
            f"{len(self.findings)} findings"
        )


def _grouped(rows: Iterator[Any], key: str) -> Iterator[tuple[int, list[Any]]]:
    for k, group in groupby(rows, key=attrgetter(key)):
        yield k, list(group)


def _next(iterator: Iterator[tuple[int, Any]]) -> tuple[int, Any] | None:
    return next(iterator, None)


def verify_all(application: Application | None = None, *, collect_heads: bool = False) -> Report:
    """Check every application (or one) against its chain, the registered checks and the latest heads snapshot.

    Reads applications, events and heads as three streams in application id order (constant memory, apart from
    one chunk of applications for the registered checks); on PostgreSQL in one REPEATABLE READ transaction, so a
    transition committed meanwhile is not half seen.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        _repeatable_read(outermost)
        return _verify(application, collect_heads)


def _repeatable_read(outermost: bool) -> None:
    """On PostgreSQL, read one snapshot of the whole database (only possible as a transaction's first statement)."""
    if outermost and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def _verify(application: Application | None, collect_heads: bool) -> Report:
    key = chain_key()
    legacy = legacy_until()
    report = Report()
    latest = AuditHeadSnapshot.objects.order_by("-pk").first()
    applications = Application.objects.order_by("pk").only("pk", "reference", "state", "allocated_amount")
    events = ApplicationEvent.objects.order_by("application_id", "pk").only(*EVENT_FIELDS)
    heads = AuditHead.objects.filter(snapshot=latest).order_by("application_id")
    if latest is not None:
        rows = heads.values_list("application_id", "event_count", "head").iterator(chunk_size=CHUNK)
        fields = (latest.legacy_until, latest.application_count, latest.event_count)
        if not hmac.compare_digest(snapshot_digest(fields, rows, key), latest.digest):
            report.findings.append(
                Finding(
                    Kind.HEADS_TAMPERED,
                    0,
                    "-",
                    f"heads snapshot #{latest.pk} of {latest.at:%Y-%m-%d %H:%M} does not match its HMAC",
                )
            )
    if application is not None:
        applications = applications.filter(pk=application.pk)
        events = events.filter(application_id=application.pk)
        heads = heads.filter(application_id=application.pk)
    app_stream = ((a.pk, a) for a in applications.iterator(chunk_size=CHUNK))
    event_stream = _grouped(events.iterator(chunk_size=CHUNK), "application_id")
    head_stream = ((h.application_id, h) for h in heads.iterator(chunk_size=CHUNK))
    current = [_next(app_stream), _next(event_stream), _next(head_stream)]
    streams = (app_stream, event_stream, head_stream)
    chunk: list[Application] = []
    while any(current):
        pk = min(item[0] for item in current if item)
        found: list[Any] = [None, None, None]
        for i, item in enumerate(current):
            if item and item[0] == pk:
                found[i] = item[1]
                current[i] = _next(streams[i])
        app, chain, head = found[0], found[1] or [], found[2]
        report.events += len(chain)
        report.applications += 1
        report.findings.extend(_check_one(pk, app, chain, head, latest, key, legacy))
        if collect_heads and chain:
            report.heads.append((pk, app.reference if app else "-", len(chain), chain[-1].hash))
        if app is not None:
            chunk.append(app)
            if len(chunk) >= CHUNK:
                report.findings.extend(_run_checks(chunk))
                chunk = []
    report.findings.extend(_run_checks(chunk))
    return report


def _run_checks(chunk: Sequence[Application]) -> list[Finding]:
    return [finding for check in _checks for finding in check(chunk)] if chunk else []


def _check_one(
    pk: int,
    app: Application | None,
    chain: list[ApplicationEvent],
    head: AuditHead | None,
    snapshot: AuditHeadSnapshot | None,
    key: bytes,
    legacy: int | None,
) -> list[Finding]:
    reference = (app.reference if app else None) or "-"
    findings = []
    check = audit.verify_chain(chain, key, legacy)
    if check.broken:
        link = check.broken
        explain = {
            "hash": "this event's content or hash was changed",
            "prev_hash": "the event before it was deleted or changed, or this one was inserted",
            "rehashed": "its hash is the plain SHA-256 of its content: the chain was recomputed without the key",
        }[link.problem]
        findings.append(Finding(LINK_KINDS[link.problem], pk, reference, explain, link))
    if head is not None:
        taken = f"snapshot #{snapshot.pk} of {snapshot.at:%Y-%m-%d %H:%M}" if snapshot else "the last snapshot"
        if not chain:
            gone = "; the application row is gone too" if app is None else ""
            findings.append(
                Finding(
                    Kind.DELETED_CHAIN,
                    pk,
                    reference,
                    f"{taken} recorded {head.event_count} events ending {head.head}; none are left{gone}",
                )
            )
        elif len(chain) < head.event_count:
            findings.append(
                Finding(
                    Kind.DELETED_TAIL,
                    pk,
                    reference,
                    f"{taken} recorded {head.event_count} events ending {head.head}; {len(chain)} are left, "
                    f"the last {head.event_count - len(chain)} deleted",
                )
            )
        elif chain[head.event_count - 1].hash != head.head:
            findings.append(
                Finding(
                    Kind.RECOMPUTED,
                    pk,
                    reference,
                    f"event {chain[head.event_count - 1].pk} should be the head {head.head} recorded by {taken}, "
                    f"its hash is {chain[head.event_count - 1].hash}: the chain was rewritten",
                )
            )
    if app is not None:
        last = chain[-1] if chain else None
        if last is None and app.state != State.DRAFT:
            findings.append(
                Finding(
                    Kind.UNRECORDED_CHANGE, pk, reference, f"state is {app.state} but the application has no events"
                )
            )
        elif last is not None and last.to_state != app.state:
            findings.append(
                Finding(
                    Kind.UNRECORDED_CHANGE,
                    pk,
                    reference,
                    f"state is {app.state} but its last event {last.pk} ({last.name}) left it {last.to_state}",
                )
            )
    return findings


def write_snapshot() -> AuditHeadSnapshot:
    """Record every chain's head (event count, last hash) in a new snapshot and log it on ``portal.audit``.

    Holds the heads in memory (three small values per application) to compute the HMAC before the row is written.
    """
    key = chain_key()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        _repeatable_read(outermost)
        heads = current_heads(ApplicationEvent)
        events = sum(count for _, count, _ in heads)
        digest = snapshot_digest((None, len(heads), events), heads, key)
        snapshot = AuditHeadSnapshot.objects.create(application_count=len(heads), event_count=events, digest=digest)
        AuditHead.objects.bulk_create(
            (AuditHead(snapshot=snapshot, application_id=a, event_count=c, head=h) for a, c, h in heads),
            batch_size=CHUNK,
        )
    logger.info(
        "AUDIT HEADS snapshot=%s at=%s applications=%s events=%s digest=%s",
        snapshot.pk,
        snapshot.at.isoformat(),
        snapshot.application_count,
        snapshot.event_count,
        snapshot.digest,
    )
    return snapshot


def current_heads(event_model: Any) -> list[tuple[int, int, str]]:
    """(application id, event count, last hash) of every chain, in application id order (also for migrations)."""
    rows = event_model.objects.order_by("application_id", "pk").values_list("application_id", "hash")
    heads = []
    for application_id, group in groupby(rows.iterator(chunk_size=CHUNK), key=lambda row: row[0]):
        count, last = 0, ""
        for _, value in group:
            count, last = count + 1, value
        heads.append((application_id, count, last))
    return heads
