"""The stable error codes of the evaluations app: what API clients, the admin and tests match on."""

from enum import StrEnum


class EvaluationErrorCode(StrEnum):
    """Every code the evaluations app raises; a member equals its string, so the API answers the same text."""

    # The report: asked for, filled in, its attachments (their file codes come from core.uploads)
    NOT_DISBURSED = "not_disbursed"  # a report for an application that has not been paid
    REPORT_REQUIRED = "report_required"  # finish without a report where the program asks for one
    REPORT_GRADED = "report_graded"  # change, attach to or grade a report already graded
    REPORT_NOT_SUBMITTED = "report_not_submitted"  # grade a report the applicant has not submitted
    TARGET_UNKNOWN = "target_unknown"  # a result for a target that is not the application's
    TARGET_MISSING = "target_missing"  # a declared target left without achieved value or explanation
    # Grading
    GRADE_INVALID = "grade_invalid"
    COMMENT_REQUIRED = "comment_required"  # a failing grade without the comment told to the applicant
    # Clawbacks and sanctions
    NOT_AWARDED = "not_awarded"  # a clawback for fraud before the award
    REASON_REQUIRED = "reason_required"  # a clawback for fraud without the violation found
    AMOUNT_INVALID = "amount_invalid"  # a clawback amount of 0 or less
    SANCTION_DATES_INVALID = "sanction_dates_invalid"  # a sanction ending today or earlier (as accounts says)
    ALREADY_REPAID = "already_repaid"
