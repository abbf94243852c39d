"""The API's JSON parser: a body of bounded size and nesting depth, refused with the error body (SPEC §8).

DRF's own parser handed any body to ``json.load``: a body nested 5,000 deep raised RecursionError (a 500).
"""

import codecs
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

# Deep enough for every body the API takes (an application with units is four levels), far below Python's limit.
JSON_MAX_DEPTH = 32


class JSONTooDeep(exceptions.ParseError):
    default_code = "json_too_deep"
    default_detail = _("请求内容的 JSON 嵌套层数过多，请简化后重试")


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"
    default_detail = _("请求内容过大，请减少内容后重试（附件请用 multipart/form-data 上传）")


def max_body_bytes() -> int:
    return getattr(settings, "API_JSON_MAX_BYTES", None) or settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 5 * 1024 * 1024


def depth_exceeds(value: Any, limit: int) -> bool:
    """Say whether ``value`` (parsed JSON) nests lists and objects more than ``limit`` deep, without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class LimitedJSONParser(JSONParser):
    """``application/json`` of at most ``max_body_bytes()`` (413 "body_too_large") and ``JSON_MAX_DEPTH`` levels
    (400 "json_too_deep"); anything else that is not JSON is DRF's ParseError ("parse_error")."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = max_body_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise BodyTooLarge()
        try:
            text = codecs.decode(raw, encoding)
            parse_constant = json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise JSONTooDeep() from None
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        if depth_exceeds(data, JSON_MAX_DEPTH):
            raise JSONTooDeep()
        return data
