"""Review: completeness and verification checks, expert assignments and scores (being built)."""

from django.core.exceptions import ValidationError

from applications.models import Application


def approval_blockers(application: Application) -> list[ValidationError]:
    """What stops an approval beyond the state machine; each a ValidationError with a stable code."""
    return []
