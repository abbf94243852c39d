"""Keep staff out of everything until they have entered a second factor (TOTP) in this session."""

import time
from collections.abc import Callable
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.rules import SECOND_FACTOR_API_CODES, SecondFactorStep, staff_second_factor_step

# When this session's user last gave a second factor (a Unix timestamp): set on activation (accounts.signals) and
# from allauth's record of an "mfa" login or reauthentication.
SECOND_FACTOR_SESSION_KEY = "staff_mfa_verified_at"

# The pages a staff member without a second factor may still reach: set one up, enter one, or leave. Not the rest
# of /accounts/2fa/: deactivating TOTP or regenerating recovery codes after a password alone would let a stolen
# password replace the second factor.
EXEMPT_URL_NAMES = (
    "mfa_activate_totp",
    "mfa_authenticate",
    "mfa_reauthenticate",
    "account_reauthenticate",  # allauth asks for the password once more before an authenticator is added
    "account_logout",
    "admin:logout",
    "api:token",  # answers for itself: it asks staff for a TOTP code (accounts.auth.check_api_second_factor)
)


def second_factor_verified_at(request: HttpRequest, user: object) -> float | None:
    """Return when this session's user gave a second factor, or None; remember it under the session key."""
    verified_at = request.session.get(SECOND_FACTOR_SESSION_KEY)
    if verified_at is not None:
        return verified_at
    records = [r for r in get_authentication_records(request, user) if r.get("method") == "mfa"]
    if not records:
        return None
    verified_at = records[-1].get("at") or time.time()
    request.session[SECOND_FACTOR_SESSION_KEY] = verified_at
    return verified_at


def remember_second_factor(request: HttpRequest) -> None:
    """Record that this session's user has just given a second factor."""
    request.session[SECOND_FACTOR_SESSION_KEY] = time.time()


class StaffSecondFactorMiddleware:
    """With ``settings.STAFF_MFA_REQUIRED``, staff reach nothing but the MFA pages and logout without a TOTP code.

    The rule is accounts.rules.staff_second_factor_step; this middleware applies it to every request that comes
    with a session (site pages, the admin, the session-authenticated API), accounts.auth.TokenAuthentication to
    every request with an API token. A middleware rather than per-view checks, so that no view can forget it:

    * ``/admin/login/`` redirects to allauth's login, which asks for the code once the user has an authenticator;
    * a signed-in staff member without a TOTP authenticator is sent to set one up (``mfa_activate_totp``);
    * a staff member with one whose session never saw a code (e.g. signed in before activating it) is asked for
      one (``mfa_reauthenticate``), then returns to the page asked for;
    * under ``/api/`` both answer a JSON 403 instead: ``mfa_setup_required`` or ``mfa_required``.

    "Saw a code" is the session key SECOND_FACTOR_SESSION_KEY, set from allauth's record of an ``mfa``
    authentication in this user's session (login, reauthentication or activation).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.STAFF_MFA_REQUIRED:
            response = self._gate(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _gate(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        is_staff = user.is_authenticated and user.is_active and user.is_staff
        is_admin_login_page = request.path == reverse("admin:login")
        if not (is_staff or is_admin_login_page):
            return None  # the common case costs nothing
        is_exempt = request.path in {reverse(name) for name in EXEMPT_URL_NAMES}
        verified = is_staff and not is_exempt and second_factor_verified_at(request, user) is not None
        # Only query when it matters: a verified session has used its authenticator.
        has_authenticator = verified or is_exempt or (is_staff and _has_totp(user))
        step = staff_second_factor_step(
            required=True,
            is_admin_login_page=is_admin_login_page,
            is_exempt=is_exempt,
            is_staff=is_staff,
            has_authenticator=has_authenticator,
            verified=verified,
        )
        if step == SecondFactorStep.LOGIN:
            return self._login(request)
        if step == SecondFactorStep.NONE:
            return None
        if request.path.startswith("/api/"):
            return second_factor_refusal(step)
        if step == SecondFactorStep.ACTIVATE:
            messages.info(request, _("请先绑定身份验证器（两步验证），然后才能使用系统。"))
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        messages.info(request, _("请输入身份验证器中的动态验证码，然后才能使用系统。"))
        return _redirect_with_next("mfa_reauthenticate", request.get_full_path())

    def _login(self, request: HttpRequest) -> HttpResponse:
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
            next_url = reverse("admin:index")
        if not request.user.is_authenticated:
            return _redirect_with_next("account_login", next_url)
        if request.user.is_staff:
            return HttpResponseRedirect(next_url)
        messages.error(request, _("当前账号没有管理后台权限。"))
        return HttpResponseRedirect(resolve_url(settings.LOGIN_REDIRECT_URL))


def second_factor_message(step: SecondFactorStep) -> str:
    if step == SecondFactorStep.ACTIVATE:
        return _("工作人员须先登录系统绑定身份验证器（两步验证），才能使用接口。")
    return _("工作人员须输入身份验证器中的动态验证码后才能使用接口，请重新登录或重新获取令牌。")


def second_factor_refusal(step: SecondFactorStep) -> JsonResponse:
    """The API's answer to a staff request without a second factor, in the error body of core.api."""
    return JsonResponse(
        {"code": SECOND_FACTOR_API_CODES[step], "detail": second_factor_message(step), "fields": {}},
        status=403,
        json_dumps_params={"ensure_ascii": False},
    )


def _has_totp(user: object) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def _redirect_with_next(url_name: str, next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(url_name)}?{urlencode({'next': next_url})}")
