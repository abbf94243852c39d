"""The hash chain over each application's event log: pure functions, no database.

Every ``ApplicationEvent`` stores ``prev_hash`` (the ``hash`` of the application's previous event, or
``GENESIS_HASH`` for its first) and ``hash``, the SHA-256 of a canonical JSON of its own content and ``prev_hash``.
Editing an event's content breaks its own hash; deleting or inserting one breaks the ``prev_hash`` of the event
after it. Chains are per application, in insertion (primary key) order.

The chain cannot tell on its own that the newest events were cut off, or that a well-forged one was appended at
the end by someone who can write to the database; that needs the chain heads kept somewhere else
(``manage.py verify_audit_chain --heads`` prints them, e.g. for a signed daily report). The canonical form below
is frozen: the data migration that hashed the events written before the chain existed uses it too.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

GENESIS_HASH = "0" * 64


class ChainedEvent(Protocol):
    """What the chain reads from an event (``ApplicationEvent`` has these attributes)."""

    pk: Any
    application_id: int
    prev_hash: str
    hash: str
    name: str
    from_state: str
    to_state: str
    actor_id: int | None
    at: dt.datetime
    comment: str
    data: Mapping[str, Any]


def canonical_payload(
    *,
    application_id: int,
    prev_hash: str,
    name: str,
    from_state: str,
    to_state: str,
    actor_id: int | None,
    at: dt.datetime,
    comment: str,
    data: Mapping[str, Any] | None,
) -> bytes:
    """Return the bytes that are hashed: sorted-key compact JSON, UTF-8, ``at`` in UTC to the microsecond.

    Raise ValueError for a naive ``at``: the same moment must always give the same text.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("event time must be timezone-aware")
    payload = {
        "application": application_id,
        "prev": prev_hash,
        "name": name,
        "from": from_state,
        "to": to_state,
        "actor": actor_id,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "comment": comment,
        "data": data or {},
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def compute_hash(event: ChainedEvent, prev_hash: str) -> str:
    """Return the SHA-256 (64 hex digits) of the event's content chained to ``prev_hash``."""
    payload = canonical_payload(
        application_id=event.application_id,
        prev_hash=prev_hash,
        name=event.name,
        from_state=event.from_state,
        to_state=event.to_state,
        actor_id=event.actor_id,
        at=event.at,
        comment=event.comment,
        data=event.data,
    )
    return hashlib.sha256(payload).hexdigest()


def seal(event: ChainedEvent, prev_hash: str) -> ChainedEvent:
    """Set ``prev_hash`` and ``hash`` on an unsaved event (in memory only) and return it."""
    event.prev_hash = prev_hash
    event.hash = compute_hash(event, prev_hash)
    return event


@dataclass(frozen=True)
class BrokenLink:
    """The first event of a chain whose stored hashes do not match what its content and predecessor give.

    ``problem`` is "prev_hash" (an event before it was deleted, inserted or changed its hash) or "hash" (this
    event's content or hash was changed). ``expected`` and ``stored`` are the values of that field.
    """

    event_id: Any
    application_id: int
    problem: str
    expected: str
    stored: str


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of walking one chain: the first broken link (or None), events read, and the last hash read."""

    broken: BrokenLink | None
    events: int
    head: str


def verify_chain(events: Iterable[ChainedEvent]) -> ChainCheck:
    """Walk one application's events in insertion order and stop at the first broken link.

    Reads the iterable once and keeps only the previous hash, so it runs in constant memory.
    """
    expected_prev = GENESIS_HASH
    count = 0
    for event in events:
        count += 1
        if event.prev_hash != expected_prev:
            broken = BrokenLink(event.pk, event.application_id, "prev_hash", expected_prev, event.prev_hash)
            return ChainCheck(broken, count, expected_prev)
        expected_hash = compute_hash(event, event.prev_hash)
        if event.hash != expected_hash:
            broken = BrokenLink(event.pk, event.application_id, "hash", expected_hash, event.hash)
            return ChainCheck(broken, count, expected_prev)
        expected_prev = event.hash
    return ChainCheck(None, count, expected_prev)
