"""Hooks that connect django-axes (login lockout) with allauth and the API token view."""

import binascii
from hmac import compare_digest

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import exceptions

from accounts.error_codes import AccountErrorCode
from core.compiled import CompiledQuery


def axes_username(request: HttpRequest, credentials: dict | None) -> str:
    """Return the username an authentication attempt is for: allauth's ``login``/``email`` or ``username``."""
    credentials = credentials or {}
    for key in ("username", "email", "login"):
        value = credentials.get(key) or request.POST.get(key)
        if value:
            return str(value).strip().lower()
    return ""


def lockout_response(request: HttpRequest, response: object = None, credentials: dict | None = None) -> object:
    """Tell a locked-out user, in Chinese, that logins are paused for this account and address."""
    message = _("登录失败次数过多，该账号已被暂时锁定，请15分钟后再试或联系管理员。")
    if request.path.startswith("/api/"):
        return JsonResponse({"code": AccountErrorCode.LOCKED_OUT, "detail": message, "fields": {}}, status=429)
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)


# --- The second factor on the API token endpoint ------------------------------------------------------------

# Wrong codes accepted per staff account before the token endpoint stops checking codes for a while.
API_CODE_FAILURES_ALLOWED = 10
API_CODE_FAILURE_WINDOW_SECONDS = 5 * 60


class SecondFactorRefused(Exception):
    """A staff member asked for an API token without a valid second factor; ``status`` and ``code`` say why."""

    def __init__(self, status: int, code: str, message: str, field: str = "") -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def check_api_second_factor(user: object, code: str) -> bool:
    """With ``STAFF_MFA_REQUIRED``, a staff member gets an API token only with a current TOTP code.

    Otherwise a password alone would open every staff endpoint the admin guards with a second factor.
    Raise SecondFactorRefused: 403 "mfa_setup_required" (no authenticator yet), 400 "mfa_code_required" or
    "mfa_code_invalid", 429 "mfa_locked" after too many wrong codes for the account. Return whether a valid
    code was checked (recorded on the token: accounts.auth.TokenAuthentication wants it for staff).
    """
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.conf import settings
    from django.core.cache import cache

    if not (getattr(settings, "STAFF_MFA_REQUIRED", False) and getattr(user, "is_staff", False)):
        return False
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        raise SecondFactorRefused(
            403,
            AccountErrorCode.MFA_SETUP_REQUIRED,
            _("工作人员须先登录管理后台设置动态验证码（TOTP），才能获取接口令牌。"),
        )
    failures_key = f"api-token-mfa-failures:{user.pk}"
    if (cache.get(failures_key) or 0) >= API_CODE_FAILURES_ALLOWED:
        raise SecondFactorRefused(429, AccountErrorCode.MFA_LOCKED, _("动态验证码错误次数过多，请5分钟后再试。"))
    code = (code or "").strip()
    if not code:
        raise SecondFactorRefused(
            400, AccountErrorCode.MFA_CODE_REQUIRED, _("请填写身份验证器上的6位动态验证码。"), "code"
        )
    if not TOTP(authenticator).validate_code(code):
        if not cache.add(failures_key, 1, timeout=API_CODE_FAILURE_WINDOW_SECONDS):
            try:
                cache.incr(failures_key)
            except ValueError:  # expired between add and incr
                cache.add(failures_key, 1, timeout=API_CODE_FAILURE_WINDOW_SECONDS)
        raise SecondFactorRefused(
            400, AccountErrorCode.MFA_CODE_INVALID, _("动态验证码不正确或已使用，请输入最新的验证码。"), "code"
        )
    cache.delete(failures_key)
    return True


# --- API tokens -----------------------------------------------------------------------------------------------


def _tokens_with_user(token_key: str) -> QuerySet:
    from accounts.models import ApiToken

    return ApiToken.objects.select_related("user", "user__membership").filter(token_key=token_key)


# Every API request reads its token this way: composed once (core.compiled), the three-table select cost more to
# compose than to run.
TOKENS_WITH_USER = CompiledQuery(_tokens_with_user, "token-key")


class TokenAuthentication(KnoxTokenAuthentication):
    """django-rest-knox's token authentication (``Authorization: Token <key>``), in one query, with the staff rule.

    * The token's user and membership come with the token in one query: every applicant request needs the
      membership (which organisation's applications are visible). knox's own lookup also reads all the user's
      other tokens on every request to delete expired ones; here an expired token is deleted when presented, and
      the others when the user is next issued one (accounts.tokens.issue_token).
    * "Last used" is written at most once per ``API_TOKEN_LAST_USE_INTERVAL``.
    * With ``STAFF_MFA_REQUIRED``, a staff member's token works only if it was issued against a TOTP code
      (accounts.rules.staff_second_factor_step, the rule the session middleware applies too): 403
      ``mfa_required`` or ``mfa_setup_required`` otherwise, e.g. for a token from before the user became staff.
    """

    def authenticate_credentials(self, token: bytes) -> tuple:
        from django.conf import settings
        from django.utils import timezone

        from accounts.models import ApiToken

        invalid = exceptions.AuthenticationFailed(_("令牌无效或已过期，请重新登录获取。"))
        try:
            key = token.decode("utf-8")
            digest = hash_token(key)
        except (UnicodeDecodeError, TypeError, binascii.Error):
            raise invalid from None
        candidates = TOKENS_WITH_USER(key[: CONSTANTS.TOKEN_KEY_LENGTH])
        auth_token = next((t for t in candidates if compare_digest(digest, t.digest)), None)
        if auth_token is None:
            raise invalid
        now = timezone.now()
        if auth_token.expiry is not None and auth_token.expiry < now:
            auth_token.delete()
            raise invalid
        user = auth_token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("账号已停用或已删除。"))
        self._check_second_factor(user, auth_token, settings.STAFF_MFA_REQUIRED)
        if auth_token.last_used_at is None or now - auth_token.last_used_at >= settings.API_TOKEN_LAST_USE_INTERVAL:
            ApiToken.objects.filter(pk=auth_token.pk).update(last_used_at=now)
            auth_token.last_used_at = now
        return (user, auth_token)

    @staticmethod
    def _check_second_factor(user: object, auth_token: object, required: bool) -> None:
        from allauth.mfa.models import Authenticator

        from accounts.middleware import second_factor_message
        from accounts.rules import SECOND_FACTOR_API_CODES, SecondFactorStep, staff_second_factor_step

        verified = auth_token.mfa_verified_at is not None
        if not required or verified or not user.is_staff:
            return
        step = staff_second_factor_step(
            required=required,
            is_staff=True,
            has_authenticator=Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists(),
            verified=verified,
        )
        if step != SecondFactorStep.NONE:
            raise exceptions.PermissionDenied(second_factor_message(step), code=SECOND_FACTOR_API_CODES[step])
