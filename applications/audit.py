"""The hash chain over each application's event log: pure functions, no database (``chain_key`` reads settings).

Every ``ApplicationEvent`` stores ``prev_hash`` (the ``hash`` of the application's previous event, or
``GENESIS_HASH`` for its first) and ``hash``, a digest of a canonical JSON of its own content and ``prev_hash``.
Editing an event's content breaks its own hash; deleting or inserting one breaks the ``prev_hash`` of the event
after it. Chains are per application, in insertion (primary key) order.

Two schemes, told apart by the event id: events up to the recorded cut-over (``AuditHeadSnapshot.legacy_until``,
written by migration 0010) were sealed with plain SHA-256 (``key=None``); every later one is sealed with
HMAC-SHA256 under ``settings.AUDIT_CHAIN_KEY``, so that a chain rewritten with recomputed hashes by someone without
the key fails. Cutting the newest events off, or deleting a whole chain, needs the chain heads kept elsewhere:
``applications.audit_heads`` writes them nightly to an append-only table and compares. The canonical form below is
frozen: the data migration that hashed the events written before the chain existed uses it too.
"""

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

GENESIS_HASH = "0" * 64


def chain_key() -> bytes:
    """The HMAC key: ``settings.AUDIT_CHAIN_KEY``, or (local and test settings) one derived from SECRET_KEY."""
    configured = getattr(settings, "AUDIT_CHAIN_KEY", "")
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"portal.audit-chain", hashlib.sha256).digest()


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


def compute_hash(event: ChainedEvent, prev_hash: str, key: bytes | None = None) -> str:
    """Return the digest (64 hex digits) of the event's content chained to ``prev_hash``.

    HMAC-SHA256 under ``key``; without a key the plain SHA-256 of the events sealed before the cut-over.
    """
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
    if key is None:
        return hashlib.sha256(payload).hexdigest()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def seal(event: ChainedEvent, prev_hash: str, key: bytes | None = None) -> ChainedEvent:
    """Set ``prev_hash`` and ``hash`` on an unsaved event (in memory only) and return it."""
    event.prev_hash = prev_hash
    event.hash = compute_hash(event, prev_hash, key)
    return event


@dataclass(frozen=True)
class BrokenLink:
    """The first event of a chain whose stored hashes do not match what its content and predecessor give.

    ``problem`` is "prev_hash" (an event before it was deleted, inserted or changed its hash), "hash" (this
    event's content or hash was changed) or "rehashed" (the stored hash is the plain SHA-256 of the content where
    the keyed one was due: the chain was recomputed by someone without the key). ``expected`` and ``stored`` are
    the values of that field.
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


def verify_chain(
    events: Iterable[ChainedEvent], key: bytes | None = None, legacy_until: int | None = None
) -> ChainCheck:
    """Walk one application's events in insertion order and stop at the first broken link.

    With a ``key``, events whose id is above ``legacy_until`` (None: every event) must carry the keyed digest;
    the others, and every event without a key, the plain SHA-256. Reads the iterable once and keeps only the
    previous hash, so it runs in constant memory.
    """
    expected_prev = GENESIS_HASH
    count = 0
    for event in events:
        count += 1
        if event.prev_hash != expected_prev:
            broken = BrokenLink(event.pk, event.application_id, "prev_hash", expected_prev, event.prev_hash)
            return ChainCheck(broken, count, expected_prev)
        keyed = key is not None and (legacy_until is None or event.pk > legacy_until)
        expected_hash = compute_hash(event, event.prev_hash, key if keyed else None)
        if event.hash != expected_hash:
            problem = "rehashed" if keyed and event.hash == compute_hash(event, event.prev_hash) else "hash"
            broken = BrokenLink(event.pk, event.application_id, problem, expected_hash, event.hash)
            return ChainCheck(broken, count, expected_prev)
        expected_prev = event.hash
    return ChainCheck(None, count, expected_prev)


def heads_digest(heads: Iterable[tuple[int, int, str]], key: bytes, header: str = "") -> str:
    """HMAC-SHA256 over a header line and (application id, event count, head hash) rows in the given order."""
    mac = hmac.new(key, f"{header}\n".encode(), hashlib.sha256)
    for application_id, events, head in heads:
        mac.update(f"{application_id}|{events}|{head}\n".encode())
    return mac.hexdigest()


def seal_chains(events: Iterable[ChainedEvent], heads: Mapping[int, str], key: bytes | None = None) -> None:
    """Seal unsaved events in the order given, each chained to its application's head (``heads``: application id
    to the hash of its last stored event; GENESIS_HASH when absent), then to the one sealed before it."""
    last = dict(heads)
    for event in events:
        seal(event, last.get(event.application_id, GENESIS_HASH), key)
        last[event.application_id] = event.hash
