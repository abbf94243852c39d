"""Exceptions services raise that are not validation errors; the web and API layers map them to HTTP."""

from django.utils.translation import gettext_lazy as _


class Conflict(Exception):
    """The action is not allowed from the object's current state (HTTP 409)."""

    default_code = "transition_not_allowed"

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = str(message or _("当前状态下不能执行该操作"))
        self.code = code or self.default_code
        super().__init__(self.message)
