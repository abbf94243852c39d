"""The stable error codes of the notices app: what API clients, the admin and tests match on."""

from enum import StrEnum


class NoticeErrorCode(StrEnum):
    """Every code the notices app raises; a member equals its string, so the API answers the same text."""

    NOT_AWARDED = "not_awarded"  # render a notice again for an application that is not awarded
    NOT_FOUND = "not_found"  # the public verification: no issued notice has this code
