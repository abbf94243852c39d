"""Pure rules about accounts: the 统一社会信用代码 (USCC) of GB 32100-2015, and the staff second factor."""

import re
import unicodedata
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.error_codes import AccountErrorCode

# GB 32100-2015 代码字符集: digits and upper-case letters without I, O, Z, S, V.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_LENGTH = 18
# 登记管理部门码: 1 机构编制, 5 民政, 9 工商, Y 其他; A (宗教) and N (农业) were added later.
USCC_REGISTRY_CODES = frozenset("123456789ANY")
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_VALUES = {char: value for value, char in enumerate(USCC_ALPHABET)}


def normalise_uscc(code: str) -> str:
    """Return the code as stored: surrounding whitespace removed, full-width characters folded, upper-case."""
    return unicodedata.normalize("NFKC", code).strip().upper()


def _has_valid_structure(body: str) -> bool:
    """Say whether the first 17 characters use the alphabet, a known registry code and a numeric region code."""
    return (
        len(body) == USCC_LENGTH - 1
        and all(char in _VALUES for char in body)
        and body[0] in USCC_REGISTRY_CODES
        and body[2:8].isascii()
        and body[2:8].isdigit()
    )


def uscc_check_character(body17: str) -> str:
    """Compute the 18th character for the first 17: alphabet[31 − (Σ value × weight mod 31)], where 31 → 0.

    The caller must pass 17 characters of the alphabet; a KeyError or ValueError follows otherwise.
    """
    if len(body17) != USCC_LENGTH - 1:
        raise ValueError(f"the USCC body must have 17 characters, got {len(body17)}")
    total = sum(_VALUES[char] * weight for char, weight in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str:
    """Check a 统一社会信用代码 against GB 32100-2015 and return it normalised (stripped, upper-case).

    GB 32100-2015《法人和其他组织统一社会信用代码编码规则》：代码由18位阿拉伯数字或大写英文字母组成，第18位为校验码。
    Raise ValidationError with code "uscc_invalid_format" (length, characters, registry or region code) or
    "uscc_invalid_check" (the 18th character does not match). Usable as a model field validator.
    """
    normalised = normalise_uscc(code) if isinstance(code, str) else ""
    if len(normalised) != USCC_LENGTH or any(char not in _VALUES for char in normalised):
        raise ValidationError(_("统一社会信用代码应为18位数字或大写字母"), code=AccountErrorCode.USCC_INVALID_FORMAT)
    if not _has_valid_structure(normalised[:-1]):
        raise ValidationError(
            _("统一社会信用代码格式不正确：第1位应为登记管理部门代码，第3至8位应为行政区划代码"),
            code=AccountErrorCode.USCC_INVALID_FORMAT,
        )
    if uscc_check_character(normalised[:-1]) != normalised[-1]:
        raise ValidationError(
            _("统一社会信用代码校验位不正确，请核对后重新输入"), code=AccountErrorCode.USCC_INVALID_CHECK
        )
    return normalised


def is_valid_uscc(code: str) -> bool:
    """Say whether the code is a valid 统一社会信用代码 (after stripping and upper-casing)."""
    try:
        validate_uscc(code)
    except ValidationError:
        return False
    return True


def build_uscc(body17: str) -> str:
    """Append the GB 32100-2015 check character to the first 17 characters, for factories and demo data.

    Raise ValueError when the body is not 17 valid characters with a registry code and a numeric region code.
    """
    body = normalise_uscc(body17)
    if not _has_valid_structure(body):
        raise ValueError(f"not a valid USCC body (17 characters of {USCC_ALPHABET}): {body17!r}")
    return body + uscc_check_character(body)


class SecondFactorStep(StrEnum):
    """What a staff member's request must do first under the staff second-factor rule."""

    NONE = "none"  # go on
    LOGIN = "login"  # the admin's own login page: sign in through the portal's login, which asks for the code
    ACTIVATE = "activate"  # a staff member without an authenticator: set one up
    VERIFY = "verify"  # an authenticator, but no code entered in this session (or for this token): enter one


# The API's error codes for the two refusals (the body of core.api: {"code", "detail", "fields"}).
MFA_SETUP_REQUIRED = AccountErrorCode.MFA_SETUP_REQUIRED.value
MFA_REQUIRED = AccountErrorCode.MFA_REQUIRED.value
SECOND_FACTOR_API_CODES = {SecondFactorStep.ACTIVATE: MFA_SETUP_REQUIRED, SecondFactorStep.VERIFY: MFA_REQUIRED}


def staff_second_factor_step(
    *,
    required: bool,
    is_staff: bool,
    has_authenticator: bool,
    verified: bool,
    is_admin_login_page: bool = False,
    is_exempt: bool = False,
) -> SecondFactorStep:
    """Return what a request needs before it may go on: THE rule for staff and their second factor.

    等保三级（GB/T 22239-2019 8.1.4.1 c）：应采用口令、密码技术、生物技术等两种或两种以上组合的鉴别技术
    对用户进行身份鉴别。
    With ``required`` (``settings.STAFF_MFA_REQUIRED``), a signed-in, active staff member (``is_staff``) whose
    session has not shown a second factor (``verified``; for an API token: the token was issued against a TOTP
    code) reaches nothing but the set-up/authenticate pages and logout (``is_exempt``): not site pages, not the
    admin, not the API. ``is_admin_login_page`` is the admin's own password form, closed for everyone. Anyone who
    is not staff is left to the usual permission checks. Applied by accounts.middleware (every request with a
    session) and accounts.auth.TokenAuthentication (every request with an API token).
    """
    if not required:
        return SecondFactorStep.NONE
    if is_admin_login_page:
        return SecondFactorStep.LOGIN
    if is_exempt or not is_staff or verified:
        return SecondFactorStep.NONE
    if not has_authenticator:
        return SecondFactorStep.ACTIVATE
    return SecondFactorStep.VERIFY


CNAPS_RE = re.compile(r"^[0-9]{12}$")


def validate_cnaps(code: str) -> str:
    """Check a 开户行联行号 (CNAPS bank code, 大额支付系统行号): 12 digits, of which the first three (行别代码) and
    the next four (城市代码) cannot be all zeros. Return it without surrounding spaces; raise ValidationError
    "cnaps_invalid" otherwise. An empty value passes (the field is optional until the organisation is paid)."""
    code = (code or "").strip()
    if code and (not CNAPS_RE.match(code) or code[:3] == "000" or code[3:7] == "0000"):
        raise ValidationError(
            _("开户行联行号应为12位数字（可向开户行查询，或见开户许可证、银行回单），例如 104584000003"),
            code=AccountErrorCode.CNAPS_INVALID,
        )
    return code
