"""The stable error codes of the payouts app: what API clients, the admin and tests match on."""

from enum import StrEnum


class PayoutErrorCode(StrEnum):
    """Every code the payouts app raises or reports; a member equals its string, so the API answers the same text."""

    # Building a batch: the batch is refused ...
    SELECTION_REQUIRED = "selection_required"  # neither applications nor a call or program
    NOTHING_TO_PAY = "nothing_to_pay"  # every candidate was skipped (the 400 body lists them)
    # ... or an application is skipped, with a code reported per application ("skipped")
    NOT_AWARDED = "not_awarded"  # not awarded (awaiting payment), or no such application; also approve_batch
    ALREADY_IN_BATCH = "already_in_batch"  # already in a live (not failed) line; also the partial unique index
    NOT_ALLOCATED = "not_allocated"  # no allocated amount yet
    BANK_ACCOUNT_INCOMPLETE = "bank_account_incomplete"  # payee bank, number or name missing, or name ≠ organisation
    BANK_ACCOUNT_INVALID = "bank_account_invalid"  # the account number is not 8–30 digits
    # The organisation annual cap's headroom is below the allocated amount (as applications says); the caps
    # re-check's own codes (yearly_cap_reached, already_funded, organisation_cap_reached) are passed on as they are
    ORGANISATION_CAP_REACHED = "organisation_cap_reached"
    INVALID = "invalid"  # a refusal that carried no code of its own
    # Approving and exporting
    BATCH_IMMUTABLE = "batch_immutable"  # the batch is already approved
    SAME_OFFICER = "same_officer"  # the approver built the batch
    FORMAT_INVALID = "format_invalid"  # export format other than xlsx or csv
    BATCH_NOT_APPROVED = "batch_not_approved"  # export or record results of a draft batch
    # export of an approved batch whose lines no longer give its checksum, line count or total (finance is alerted)
    BATCH_CHECKSUM_MISMATCH = "batch_checksum_mismatch"
    # Recording results, line by line or from the bank's file (a row's code in the import outcome)
    RESULTS_REQUIRED = "results_required"  # the API call carries neither lines nor a file
    VOUCHER_REQUIRED = "voucher_required"
    PAID_ON_REQUIRED = "paid_on_required"
    REASON_REQUIRED = "reason_required"  # a failed line without its reason
    STATUS_INVALID = "status_invalid"  # a result other than paid or failed
    LINE_ALREADY_PAID = "line_already_paid"
    LINE_ALREADY_FAILED = "line_already_failed"
    FILE_INVALID = "file_invalid"  # unreadable, empty, or without the reference and status columns
    UNKNOWN_REFERENCE = "unknown_reference"  # a row of the bank's file whose reference is not in the batch
