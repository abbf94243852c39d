"""API plumbing shared by every app: the error body of SPEC §8 and common permissions.

Every error is ``{"code": "<stable_code>", "detail": "<中文说明>", "fields": {...}}``.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import Conflict as ServiceConflict


class Conflict(exceptions.APIException):
    """A transition or change not allowed from the object's current state (HTTP 409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "transition_not_allowed"
    default_detail = "当前状态下不能执行该操作"


def _first_code(detail: Any) -> str | None:
    if isinstance(detail, list):
        for item in detail:
            code = _first_code(item)
            if code:
                return code
    elif isinstance(detail, dict):
        for item in detail.values():
            code = _first_code(item)
            if code:
                return code
    elif isinstance(detail, exceptions.ErrorDetail):
        return detail.code
    return None


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [m for item in detail for m in _messages(item)]
    if isinstance(detail, dict):
        return [m for item in detail.values() for m in _messages(item)]
    return [str(detail)]


def django_validation_error_to_drf(error: DjangoValidationError) -> exceptions.ValidationError:
    """Turn a service's Django ValidationError into DRF's, keeping codes and per-field errors."""
    if hasattr(error, "error_dict"):
        detail = {
            field: [exceptions.ErrorDetail(str(m), code=e.code or "invalid") for e in errors for m in e.messages]
            for field, errors in error.error_dict.items()
        }
    else:
        detail = [
            exceptions.ErrorDetail(str(m), code=e.code or "invalid") for e in error.error_list for m in e.messages
        ]
    return exceptions.ValidationError(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Render every API error as ``{"code", "detail", "fields"}`` with a Chinese detail."""
    if isinstance(exc, DjangoValidationError):
        exc = django_validation_error_to_drf(exc)
    elif isinstance(exc, ServiceConflict):
        exc = Conflict(detail=exc.message, code=exc.code)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    fields: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        code = _first_code(detail) or "invalid"
        if isinstance(detail, dict):
            non_field = detail.get("non_field_errors") or detail.get("__all__")
            fields = {k: _messages(v) for k, v in detail.items() if k not in ("non_field_errors", "__all__")}
            message = "；".join(_messages(non_field)) if non_field else _("提交的内容有误，请按提示修改")
        else:
            message = "；".join(_messages(detail))
    else:
        code = _first_code(detail) or getattr(exc, "default_code", "error")
        message = "；".join(_messages(detail))
    response.data = {"code": code, "detail": message, "fields": fields}
    return response
