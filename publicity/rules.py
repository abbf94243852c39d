"""Pure policy of publicity and objections (SPEC §4); no database access."""

import hashlib
import hmac
from collections.abc import Iterable
from datetime import date
from enum import StrEnum


class Outcome(StrEnum):
    CONFIRM = "confirm"
    HOLD = "hold"
    SKIP = "skip"


def accepts_objections(*, starts_on: date, ends_on: date, today: date) -> bool:
    """公示期内（含首尾两日）受理异议；期满后不再受理。"""
    return starts_on <= today <= ends_on


def entry_outcome(*, in_publicity: bool, objection_statuses: Iterable[str], notice_has_open_objection: bool) -> Outcome:
    """Decide what the closing job does with one entry after the period has ended.

    SPEC §4: applications without an open or upheld objection move to awarded. An entry no longer in publicity
    (revoked, or confirmed by an earlier run) is skipped. An open objection to the notice as a whole (no entry named)
    holds every entry of the notice until staff decide it.
    """
    if not in_publicity:
        return Outcome.SKIP
    statuses = set(objection_statuses)
    if notice_has_open_objection or statuses & {"open", "upheld"}:
        return Outcome.HOLD
    return Outcome.CONFIRM


def hash_ip(ip: str, *, key: str) -> str:
    """Return a keyed digest of an IP address, so that rate limits and abuse checks never store the address."""
    if not ip:
        return ""
    return hmac.new(key.encode(), f"objection-ip:{ip}".encode(), hashlib.sha256).hexdigest()


def default_notice_title(call_title: str) -> str:
    return f"{call_title}拟资助项目公示"
