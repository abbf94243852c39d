"""Helpers every application service shares: coded field errors, the membership check, the locked row."""

import functools
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from applications.models import Application
from applications.services.assessment import sanction_until_subquery
from core.compiled import CompiledQuery
from programs.selectors import call_config, program_config


def field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def require_member(application: Application, actor: User) -> None:
    membership = getattr(actor, "membership", None)
    if membership is None or membership.organisation_id != application.organisation_id:
        raise PermissionDenied


def with_config(application: Application) -> Application:
    """Attach the application's program (with its tiers, requirements and fields) and call from the configuration
    cache, unless they are loaded already: the services then read none of these tables."""
    if not Application.program.is_cached(application):
        config = program_config(application.program_id)
        application.program = config.prime(config.program)
    if not Application.call.is_cached(application):
        application.call = call_config(application.call_id).call
    return application


def locked(
    application: Application,
    *,
    related: tuple[str, ...] = ("organisation", "call", "program"),
    assessing: bool = False,
) -> Application:
    """The application's row, read afresh under its lock, with the ``related`` rows the caller will read.

    ``assessing``: the caller will assess the application. The row then comes with its organisation and the end of
    the organisation's active sanction (``sanction_until``) in the same statement, and the program and call from
    the configuration cache (``with_config``).
    """
    if assessing:
        found = _locked_read(("organisation",), True)(application.pk, timezone.localdate())
    else:
        found = _locked_read(related, False)(application.pk)
    if not found:
        raise Application.DoesNotExist
    return with_config(found[0]) if assessing else found[0]


@functools.cache
def _locked_read(related: tuple[str, ...], assessing: bool) -> CompiledQuery:
    """``locked``'s read for these related rows, composed once (core.compiled): every write makes it."""

    def build(pk: int, today: date | None = None) -> QuerySet[Application]:
        # of=("self",): without it PostgreSQL also locks the joined call, program and organisation rows, and every
        # submission of a call would queue behind every other on deadline day.
        rows = Application.objects.select_for_update(of=("self",)).filter(pk=pk)
        if related:  # select_related() with no names would follow every foreign key
            rows = rows.select_related(*related)
        if assessing:
            rows = rows.annotate(sanction_until=sanction_until_subquery(today))
        return rows

    return CompiledQuery(build, -1003, date(1901, 1, 1)) if assessing else CompiledQuery(build, -1003)
