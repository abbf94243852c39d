"""Hooks that connect django-axes (login lockout) with allauth and the API token view."""

from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from accounts.error_codes import AccountErrorCode


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


def check_api_second_factor(user: object, code: str) -> None:
    """With ``STAFF_MFA_REQUIRED``, a staff member gets an API token only with a current TOTP code.

    Otherwise a password alone would open every staff endpoint the admin guards with a second factor.
    Raise SecondFactorRefused: 403 "mfa_setup_required" (no authenticator yet), 400 "mfa_code_required" or
    "mfa_code_invalid", 429 "mfa_locked" after too many wrong codes for the account.
    """
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.conf import settings
    from django.core.cache import cache

    if not (getattr(settings, "STAFF_MFA_REQUIRED", False) and getattr(user, "is_staff", False)):
        return
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


# --- API tokens -----------------------------------------------------------------------------------------------


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, loading the user's membership with the token: every applicant request needs it
    (which organisation's applications are visible), and this saves one query per request."""

    def authenticate_credentials(self, key: str) -> tuple:
        model = self.get_model()
        token = model.objects.select_related("user", "user__membership").filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("令牌无效，请重新登录获取。"))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("账号已停用或已删除。"))
        return (token.user, token)
