"""One place that decides whether a piece of text may be stored: its length and its characters.

PostgreSQL refuses NUL (``\\x00``) in text and psycopg cannot encode a lone surrogate (``\\ud800``), so both used
to end in a 500; SQLite stored them and every later read failed. Control characters have no business in a form,
and CR/LF in a single-line value (an organisation's name) breaks e-mail headers and CSV rows.

``clean_text`` refuses, never cuts: a value that is too long is an error with a stable code, so that nothing a
user sent is silently lost.
"""

import unicodedata
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

TEXT_INVALID_CHARACTERS = "text_invalid_characters"
TEXT_TOO_LONG = "text_too_long"
TEXT_NOT_TEXT = "text_not_text"

# Kept in multi-line text (a comment, a description); refused in single-line values.
LINE_CHARACTERS = frozenset("\t\n\r")
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def invalid_character(value: str, *, multiline: bool) -> str | None:
    """Return the first character ``value`` may not hold, or None.

    Refused everywhere: NUL and every other control character (Unicode category Cc, but tab, CR and LF in multi-line
    text), lone surrogates (Cs) and the line and paragraph separators of single-line text.
    """
    for char in value:
        category = unicodedata.category(char)
        if multiline and char in LINE_CHARACTERS:
            continue
        if category in ("Cc", "Cs") or (not multiline and char in LINE_BREAKS):
            return char
    return None


def text_error(value: Any, *, max_length: int | None, multiline: bool = False) -> ValidationError | None:
    """Return the ValidationError for ``value`` (codes ``text_not_text``, ``text_invalid_characters``,
    ``text_too_long``), or None when it may be stored."""
    if not isinstance(value, str):
        return ValidationError(_("请填写文字（字符串），不要用数字、对象或其他类型"), code=TEXT_NOT_TEXT)
    if invalid_character(value, multiline=multiline) is not None:
        message = (
            _("内容含有不允许的字符（控制字符或无效编码），请删除后重新填写")
            if multiline
            else _("内容含有不允许的字符（换行、控制字符或无效编码），请删除后重新填写")
        )
        return ValidationError(message, code=TEXT_INVALID_CHARACTERS)
    if max_length is not None and len(value) > max_length:
        return ValidationError(
            _("内容过长：最多%(max)s个字，当前%(n)s个字"),
            code=TEXT_TOO_LONG,
            params={"max": max_length, "n": len(value)},
        )
    return None


def clean_text(
    value: Any, *, max_length: int | None, multiline: bool = False, field: str | None = None, strip: bool = False
) -> str:
    """Return ``value`` (stripped when asked) when it may be stored; raise ValidationError otherwise.

    ``None`` is the empty text. With ``field`` the error is keyed to that field. The check runs on the value as
    stored (after stripping).
    """
    if value is None:
        return ""
    if strip and isinstance(value, str):
        value = value.strip()
    error = text_error(value, max_length=max_length, multiline=multiline)
    if error is not None:
        raise ValidationError({field: [error]}) if field else error
    return value


def clean_texts(
    values: Mapping[str, Any], *, max_length: int | None, multiline: bool = False, strip: bool = True
) -> tuple[dict[str, str], dict[str, ValidationError]]:
    """``clean_text`` on each value of a form-like mapping: the cleaned values and, apart, the errors by key.

    The caller raises the errors together (with its own, if any), so that a form is answered in one round.
    """
    cleaned: dict[str, str] = {}
    errors: dict[str, ValidationError] = {}
    for key, value in values.items():
        try:
            cleaned[key] = clean_text(value, max_length=max_length, multiline=multiline, strip=strip)
        except ValidationError as error:
            errors[key] = error
    return cleaned, errors


@deconstructible
class TextValidator:
    """A model or form field validator: no control characters, no lone surrogates; no line breaks unless multiline.

    (The length is the field's own ``max_length``.)
    """

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        if value in (None, ""):
            return
        error = text_error(str(value), max_length=None, multiline=self.multiline)
        if error is not None:
            raise error

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextValidator) and other.multiline == self.multiline


single_line_text = TextValidator(multiline=False)
multi_line_text = TextValidator(multiline=True)


def header_safe(value: str) -> str:
    """Return ``value`` fit for an e-mail header: every line break and control character becomes a space."""
    return "".join(
        " " if unicodedata.category(c) in ("Cc", "Cs") or c in LINE_BREAKS else c for c in str(value)
    ).strip()
