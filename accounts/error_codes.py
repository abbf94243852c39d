"""The stable error codes of the accounts app: what API clients and tests match on, never the Chinese text."""

from enum import StrEnum


class AccountErrorCode(StrEnum):
    """Every code the accounts app raises; a member equals its string, so the API answers the same text."""

    # 统一社会信用代码 (accounts.rules.validate_uscc, registration, the database constraint)
    USCC_INVALID_FORMAT = "uscc_invalid_format"
    USCC_INVALID_CHECK = "uscc_invalid_check"
    USCC_TAKEN = "uscc_taken"
    USCC_IMMUTABLE = "uscc_immutable"
    # The other registration fields (单位类型, 成立日期): only staff correct them, in the admin.
    REGISTRATION_FIELD_LOCKED = "registration_field_locked"
    # The profile
    PHONE_INVALID = "phone_invalid"
    BANK_ACCOUNT_INVALID = "bank_account_invalid"
    CNAPS_INVALID = "cnaps_invalid"  # 开户行联行号 not 12 digits
    ACCOUNT_NAME_MISMATCH = "account_name_mismatch"
    # Memberships and invitations
    ALREADY_MEMBER = "already_member"
    ROLE_INVALID = "role_invalid"
    INVITATION_INVALID = "invitation_invalid"
    LAST_ADMIN = "last_admin"
    # Sanctions
    SANCTION_DATES_INVALID = "sanction_dates_invalid"
    # Signing in: the API token endpoint, the login lockout and the staff second factor
    INVALID_CREDENTIALS = "invalid_credentials"
    LOCKED_OUT = "locked_out"
    MFA_SETUP_REQUIRED = "mfa_setup_required"
    MFA_REQUIRED = "mfa_required"  # a staff session or token without a TOTP code entered
    MFA_LOCKED = "mfa_locked"
    MFA_CODE_REQUIRED = "mfa_code_required"
    MFA_CODE_INVALID = "mfa_code_invalid"
