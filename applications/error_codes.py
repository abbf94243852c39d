"""The stable error codes of the applications app: what API clients, tests and the applicant pages match on."""

from enum import StrEnum


class ApplicationErrorCode(StrEnum):
    """Every code the applications app raises; a member equals its string, so the API answers the same text."""

    # The eligibility checks (applications.rules.check_eligibility): each check's code, which submission raises
    # while the check fails. The number in brackets is the check's number shown to people (Check.number).
    APPLICANT_TYPE_NOT_ALLOWED = "applicant_type_not_allowed"  # E1 申报主体类型
    NOT_REGISTERED_IN_SHENZHEN = "not_registered_in_shenzhen"  # E2 在深圳市注册
    TOO_RECENTLY_ESTABLISHED = "too_recently_established"  # E3 成立年限
    SANCTIONED = "sanctioned"  # E4 失信惩戒 in force
    EVIDENCE_OUT_OF_WINDOW = "evidence_out_of_window"  # E5 证明材料时间: a date outside the window, or missing
    # E6 数量上限 (a unit past the yearly count cap); also the caps re-check at approval and payout
    YEARLY_CAP_REACHED = "yearly_cap_reached"
    # E6 同一事项只资助一次 (a key funded before, and no unit past the cap); also the caps re-check
    ALREADY_FUNDED = "already_funded"
    # E7 申报时间 (window closed, or the call does not take the program); also a new draft outside the window
    CALL_CLOSED = "call_closed"
    DECLARATIONS_MISSING = "declarations_missing"  # E8 申报承诺
    USCC_INVALID = "uscc_invalid"  # E9 统一社会信用代码
    ATTACHMENT_MISSING = "attachment_missing"  # M1 申报材料: a required kind not uploaded
    INCOMPLETE = "incomplete"  # U1 申报内容: no unit, a key, tier, claim or required form field missing
    # The organisation annual cap left no headroom (approval; a payout skips the application with it)
    ORGANISATION_CAP_REACHED = "organisation_cap_reached"

    # Drafts: the write body, field by field
    INVALID = "invalid"  # a unit, target, form data or declarations that is not an object
    INVALID_AMOUNT = "invalid_amount"  # not a number, more than 2 decimals or too large
    NEGATIVE_AMOUNT = "negative_amount"
    INVALID_DATE = "invalid_date"
    TOO_MANY_UNITS = "too_many_units"
    TIER_INVALID = "tier_invalid"  # a tier of another program
    DUPLICATE_UNIT_KEY = "duplicate_unit_key"  # two units with the same key once normalised
    FORM_FIELD_UNKNOWN = "form_field_unknown"
    FORM_FIELD_INVALID = "form_field_invalid"  # a value not of the field's type, or not one of its choices
    TOO_MANY_TARGETS = "too_many_targets"
    TARGET_INCOMPLETE = "target_incomplete"  # a performance target without indicator or target value
    PROGRAM_NOT_IN_CALL = "program_not_in_call"  # a new draft for a program the call does not take (or inactive)
    NOT_EDITABLE = "not_editable"  # change, upload or delete an attachment outside draft/returned
    NOT_DELETABLE = "not_deletable"  # delete an application that is no longer a draft
    ATTACHMENT_KIND_INVALID = "attachment_kind_invalid"  # a kind of material the program does not ask for

    # Transitions
    TRANSITION_NOT_ALLOWED = "transition_not_allowed"  # not from the current state (also core's Conflict default)
    TRANSITION_UNKNOWN = "transition_unknown"
    TRANSITION_DRIVEN_BY_STAGE = "transition_driven_by_stage"  # publish, confirm, revoke, …: only their stage
    REASON_REQUIRED = "reason_required"  # return, reject, revoke, claw back without a reason
    DUE_DATE_INVALID = "due_date_invalid"  # return without a correction due date, or one in the past

    # The audit chain: a second event appended after the same previous one (the unique constraint on events)
    AUDIT_CHAIN_FORK = "audit_chain_fork"
