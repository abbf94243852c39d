"""Keep staff out of the admin until they have entered a second factor (TOTP) in this session."""

from collections.abc import Callable
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.rules import SecondFactorStep, admin_second_factor_step


class StaffSecondFactorMiddleware:
    """Require a TOTP code this session before any admin page, when ``settings.STAFF_MFA_REQUIRED`` is true.

    A middleware rather than an ``AdminSite.has_permission`` override, because it also has to close the admin's
    own login page (a password-only form) and send people to the right allauth page:

    * ``/admin/login/`` redirects to allauth's login, which asks for the code once the user has an authenticator;
    * a signed-in staff member without a TOTP authenticator is sent to set one up (``mfa_activate_totp``);
    * a staff member with one whose session never saw a code (e.g. signed in before activating it) is asked for
      one (``mfa_reauthenticate``), then returns to the page asked for.

    "Saw a code" is allauth's record of an ``mfa`` authentication in this user's session (login or
    reauthentication). The admin's logout stays open. Pages outside the admin are not affected.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.STAFF_MFA_REQUIRED and request.path.startswith(reverse("admin:index")):
            response = self._gate(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _gate(self, request: HttpRequest) -> HttpResponse | None:
        if request.path == reverse("admin:logout"):
            return None
        user = request.user
        is_staff = user.is_authenticated and user.is_active and user.is_staff
        verified = is_staff and any(r.get("method") == "mfa" for r in get_authentication_records(request, user))
        # Only query when it matters: a verified session has used its authenticator.
        has_authenticator = verified or (is_staff and _has_totp(user))
        step = admin_second_factor_step(
            required=True,
            is_login_page=request.path == reverse("admin:login"),
            is_staff=is_staff,
            has_authenticator=has_authenticator,
            verified_in_session=verified,
        )
        if step == SecondFactorStep.LOGIN:
            return self._login(request)
        if step == SecondFactorStep.ACTIVATE:
            messages.info(request, _("进入管理后台前，请先绑定身份验证器（两步验证）。"))
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        if step == SecondFactorStep.VERIFY:
            messages.info(request, _("进入管理后台前，请输入身份验证器中的动态验证码。"))
            return _redirect_with_next("mfa_reauthenticate", request.get_full_path())
        return None

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


def _has_totp(user: object) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def _redirect_with_next(url_name: str, next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(url_name)}?{urlencode({'next': next_url})}")
