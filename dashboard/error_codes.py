"""The stable error codes of the dashboard: what the forecast form and tests match on."""

from enum import StrEnum


class DashboardErrorCode(StrEnum):
    """Every code the dashboard raises; a member equals its string."""

    THRESHOLD_INVALID = "forecast_threshold_invalid"  # not a number between 0.01 and 1.00
    RUN_NOT_DONE = "decision_pack_run_not_done"  # the allocation run has not finished
