"""The stable error codes of the programs app (the catalogue): what the admin, API clients and tests match on."""

from enum import StrEnum


class ProgramErrorCode(StrEnum):
    """Every code the programs app raises; a member equals its string, so the API answers the same text."""

    # Amounts (the field validator and the database constraints of programs, tiers, budgets and caps)
    NEGATIVE_AMOUNT = "negative_amount"
    # Programs
    APPLICANT_TYPES_INVALID = "applicant_types_invalid"  # no applicant type chosen, or an unknown one
    UNIT_AMOUNT_REQUIRED = "unit_amount_required"  # a fixed or per-unit program without its unit amount
    # a 评审制 program without its pass mark (S105: a code, not a password)
    PASS_MARK_REQUIRED = "pass_mark_required"  # noqa: S105
    CLAIM_NOT_ALLOWED_FOR_FIXED = "claim_not_allowed_for_fixed"  # a fixed-amount program asking for claimed costs
    TIERS_REQUIRED = "tiers_required"  # a per-tier program saved without a tier (admin)
    CHOICES_REQUIRED = "choices_required"  # a choice form field without options
    VERIFICATION_ITEM_EXISTS = "verification_item_exists"  # the same checklist text twice in a program
    # Calls and budgets
    CALL_CLOSES_BEFORE_OPENS = "call_closes_before_opens"
    CALL_EXISTS = "call_exists"  # cloning a call to a year that has a call of the same title
    BUDGET_EXISTS = "budget_exists"  # a second budget for a program and year
    # Rule sets
    COUNTERPART_SAME_RULE_SET = "counterpart_same_rule_set"  # a program naming a counterpart in its own rule set
    PROGRAM_OUTSIDE_RULE_SET = "program_outside_rule_set"  # a call covering a program of another rule set
    RULE_SET_CODE_TOO_LONG = "rule_set_code_too_long"  # a copy whose program codes would pass 20 characters
