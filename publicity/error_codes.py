"""The stable error codes of the publicity app: what API clients, the admin and tests match on."""

from enum import StrEnum


class PublicityErrorCode(StrEnum):
    """Every code the publicity app raises; a member equals its string, so the API answers the same text."""

    # Opening a notice
    ALLOCATION_RUNNING = "allocation_running"  # an allocation run of the call is in progress (as allocations says)
    # No finished allocation run of the call, or an application approved after the last one
    ALLOCATION_MISSING = "allocation_missing"
    NOTHING_TO_PUBLISH = "nothing_to_publish"  # the call has no approved application
    # Filing an objection (real name only); the letter's file codes come from core.uploads
    PUBLICITY_CLOSED = "publicity_closed"  # outside the publicity period
    ANONYMOUS_REFUSED = "anonymous_refused"  # neither a name nor a phone number
    REQUIRED = "required"  # name, phone or content missing
    TOO_LONG = "too_long"  # name, organisation or content past its length
    PHONE_INVALID = "phone_invalid"  # not a mainland mobile or landline number (publicity.models.phone_validator)
    ENTRY_INVALID = "entry_invalid"  # the objected entry is not in this notice
    # Deciding an objection
    ALREADY_DECIDED = "already_decided"
    REASON_REQUIRED = "reason_required"
    ENTRY_REQUIRED = "entry_required"  # uphold an objection that names no application
