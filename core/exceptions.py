"""Exceptions services raise that are not validation errors; the web and API layers map them to HTTP."""

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class Conflict(Exception):
    """The action is not allowed from the object's current state (HTTP 409)."""

    default_code = "transition_not_allowed"

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = str(message or _("当前状态下不能执行该操作"))
        self.code = code or self.default_code
        super().__init__(self.message)


class FieldedValidationError(ValidationError):
    """A refusal listed as a whole (``error_list``, what the pages show in their summary) that also names the fields
    at fault: ``field_errors`` maps a field path of the API's write body (``form_data.annual_revenue``,
    ``units.0.issued_on``) to its errors, which the API answers in ``fields``."""

    def __init__(
        self, errors: Sequence[ValidationError], *, field_errors: Mapping[str, Sequence[ValidationError]]
    ) -> None:
        super().__init__(list(errors))
        self.field_errors = {path: list(found) for path, found in field_errors.items()}
