"""The stable error codes of the policy simulator."""

from enum import StrEnum


class SimulatorErrorCode(StrEnum):
    STATES_INVALID = "states_invalid"  # no state chosen, or a draft
    BUDGET_NEGATIVE = "budget_negative"  # a negative candidate budget or organisation cap
