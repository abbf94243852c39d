"""The stable error codes of the allocations app: what API clients, the admin and tests match on."""

from enum import StrEnum


class AllocationErrorCode(StrEnum):
    """Every code the allocations app raises; a member equals its string, so the API answers the same text."""

    ALLOCATION_FROZEN = "allocation_frozen"  # the call's publicity has opened: its amounts are locked
    ALLOCATION_RUNNING = "allocation_running"  # another run of the call is queued or running
    BUDGET_MISSING = "budget_missing"  # a program of the call has no budget for the year (the run fails)
