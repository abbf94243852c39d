"""Hooks that connect django-axes (login lockout) with allauth and the API token view."""

from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


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
        return JsonResponse({"code": "locked_out", "detail": message, "fields": {}}, status=429)
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)
