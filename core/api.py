"""API plumbing shared by every app: the error body of SPEC §8 and common permissions.

Every error is ``{"code": "<stable_code>", "detail": "<中文说明>", "fields": {...}}``.
"""

import copy
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import Conflict as ServiceConflict
from core.parsers import BodyTooLarge, JSONTooDeep
from core.text import text_error


class Conflict(exceptions.APIException):
    """A transition or change not allowed from the object's current state (HTTP 409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "transition_not_allowed"
    default_detail = "当前状态下不能执行该操作"


class StrictCharField(serializers.CharField):
    """A text field that refuses JSON numbers and booleans instead of turning them into text.

    DRF's CharField takes ``0`` as ``"0"``: the schema says string, and an account number sent as a number would
    silently lose its leading zeros. (Form data is text anyway.)
    """

    default_error_messages = {"not_text": gettext_lazy("请填写文字（字符串），不要用数字或其他类型")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_text")
        # NUL and lone surrogates are a 500 on PostgreSQL; no control characters but tab and line breaks anywhere.
        error = text_error(data, max_length=None, multiline=True)
        if error is not None:
            raise serializers.ValidationError(error.messages, code=error.code)
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "number"}],
        "nullable": True,
        "description": "金额（元）：数字，或如 30000、30,000、3万、全角数字的文字",
        "example": "30000.00",
    }
)
class AmountTextField(serializers.Field):
    """An amount in yuan as a client sends it: a JSON number or text such as 「30,000」 or 「3万」.

    Passed on as text to the service, which reads it as the pages do (``core.normalise.amount_text``) and judges it
    together with the rest of the body, so that every error comes back in one round.
    """

    default_error_messages = {"not_amount": gettext_lazy("金额请填写数字或文字，例如 30000、30,000 或 3万")}

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            self.fail("not_amount")
        return data if isinstance(data, str) else str(data)

    def to_representation(self, value: Any) -> str:
        return str(value)


@extend_schema_field({"type": "string", "format": "date", "nullable": True, "example": "2026-03-15"})
class DateTextField(StrictCharField):
    """A date as ISO text (2026-03-15), passed on to the service, which judges it with the rest of the body."""


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, its fields worked out from the model once per class.

    DRF inspects the model and builds every field anew for each serializer it makes (for each request, and for each
    nested list); the answer of a write spent more time there than in turning the rows into JSON. Here the fields
    built the first time are kept on the class, and each serializer gets its own copies (DRF copies a field by
    making it again from its arguments, as it does for the declared fields), so nothing is shared between requests.
    A subclass whose fields depend on the request or context would override ``get_fields``; none does.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        built = type(self).__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built = built
        return copy.deepcopy(built)


class StrictModelSerializer(ModelSerializer):
    """A ModelSerializer whose text model fields are ``StrictCharField``."""

    serializer_field_mapping = {
        **ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }


class ErrorSerializer(serializers.Serializer):
    """The body of every API error (SPEC §8)."""

    code = serializers.CharField(help_text=gettext_lazy("稳定的错误代码，例如 not_found、call_closed"))
    detail = serializers.CharField(help_text=gettext_lazy("中文说明"))
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=gettext_lazy(
            "逐字段的错误：字段名 → 中文说明列表；与字段无关的错误时为空。提交被拒时为字段路径，例如 "
            "form_data.annual_revenue、units.0.issued_on（从0数起）、attachments.certificate、declarations.truthful"
        ),
    )
    field_codes = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=gettext_lazy("逐字段的稳定错误代码，与 fields 同键、同序（输入有误时给出）"),
    )


ERROR_MEANINGS = {
    400: gettext_lazy("请求内容有误（code 说明原因，fields 列出各字段的错误）"),
    403: gettext_lazy("未登录、登录凭据无效，或当前用户无权执行该操作"),
    404: gettext_lazy("对象不存在或当前用户无权查看"),
    409: gettext_lazy("对象当前的状态不允许该操作"),
    429: gettext_lazy("请求过于频繁，请稍后再试"),
}


def error_responses(*statuses: int, body: type[serializers.Serializer] = ErrorSerializer) -> dict:
    """Declare an operation's error responses in the schema, each with the error body; 429 always.

    Every endpoint is rate limited, so 429 is declared everywhere. Pass ``body`` to declare a richer body
    (a subclass of ``ErrorSerializer``) for all the given statuses.
    """
    return {
        code: OpenApiResponse(body if code != 429 else ErrorSerializer, description=ERROR_MEANINGS[code])
        for code in (*statuses, 429)
    }


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


CSRF_FAILED_DETAIL = gettext_lazy(
    "安全校验（CSRF）失败：请刷新页面后重试；用浏览器会话调用接口时须带上 X-CSRFToken 请求头"
)

# Messages DRF raises without gettext; they would otherwise reach the client in English.
UNTRANSLATED = {"No data provided": gettext_lazy("请求体为空，请提交一个 JSON 对象")}


def _codes(detail: Any) -> list[str]:
    """The codes of ``detail`` in the order ``_messages`` gives its messages."""
    if isinstance(detail, list):
        return [c for item in detail for c in _codes(item)]
    if isinstance(detail, dict):
        return [c for item in detail.values() for c in _codes(item)]
    return [getattr(detail, "code", None) or "invalid"]


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [m for item in detail for m in _messages(item)]
    if isinstance(detail, dict):
        return [m for item in detail.values() for m in _messages(item)]
    return [str(UNTRANSLATED.get(str(detail), detail))]


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
    # A refusal that lists its reasons as a whole may also name the fields at fault (FieldedValidationError).
    named_fields = getattr(exc, "field_errors", None) if isinstance(exc, DjangoValidationError) else None
    if isinstance(exc, DjangoValidationError):
        exc = django_validation_error_to_drf(exc)
    elif isinstance(exc, ServiceConflict):
        exc = Conflict(detail=exc.message, code=exc.code)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # The body is over DATA_UPLOAD_MAX_MEMORY_SIZE: Django would answer its HTML 400 page.
        exc = BodyTooLarge()
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # SessionAuthentication's refusal, in English ("CSRF Failed: CSRF token missing.").
        exc = exceptions.PermissionDenied(detail=CSRF_FAILED_DETAIL, code="csrf_failed")
    elif isinstance(exc, exceptions.ParseError) and not isinstance(exc, JSONTooDeep):
        # DRF's parsers say "JSON parse error - <Python's reason>" in English.
        exc = exceptions.ParseError(_("请求内容无法解析，请检查格式（JSON 或 multipart/form-data）和编码（UTF-8）"))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    fields: dict[str, list[str]] = {}
    field_codes: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        code = _first_code(detail) or "invalid"
        if isinstance(detail, dict):
            non_field = detail.get("non_field_errors") or detail.get("__all__")
            named = {k: v for k, v in detail.items() if k not in ("non_field_errors", "__all__")}
            fields = {k: _messages(v) for k, v in named.items()}
            field_codes = {k: _codes(v) for k, v in named.items()}
            message = "；".join(_messages(non_field)) if non_field else _("提交的内容有误，请按提示修改")
        else:
            message = "；".join(_messages(detail))
        for path, errors in (named_fields or {}).items():
            fields[path] = [str(m) for e in errors for m in e.messages]
            field_codes[path] = [e.code or "invalid" for e in errors for _m in e.messages]
    else:
        code = _first_code(detail) or getattr(exc, "default_code", "error")
        message = "；".join(_messages(detail))
    response.data = {"code": code, "detail": message, "fields": fields}
    if isinstance(exc, exceptions.ValidationError):
        response.data["field_codes"] = field_codes
    return response


@csrf_exempt  # it changes nothing; without this an unsafe method would get the CSRF failure page (HTML 403)
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Answer a path under the API that matches no endpoint with the error body (HTTP 404)."""
    return JsonResponse(
        {"code": "not_found", "detail": _("未找到该接口或对象"), "fields": {}},
        status=status.HTTP_404_NOT_FOUND,
        json_dumps_params={"ensure_ascii": False},
    )
