"""Helpers every application service shares: coded field errors, the membership check, the locked row."""

from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import User
from applications.models import Application


def field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def require_member(application: Application, actor: User) -> None:
    membership = getattr(actor, "membership", None)
    if membership is None or membership.organisation_id != application.organisation_id:
        raise PermissionDenied


def locked(application: Application, *, related: tuple[str, ...] = ("organisation", "call", "program")) -> Application:
    """The application's row, read afresh under its lock, with the ``related`` rows the caller will read."""
    # of=("self",): without it PostgreSQL also locks the joined call, program and organisation rows, and every
    # submission of a call would queue behind every other on deadline day.
    rows = Application.objects.select_for_update(of=("self",))
    if related:  # select_related() with no names would follow every foreign key
        rows = rows.select_related(*related)
    return rows.get(pk=application.pk)
