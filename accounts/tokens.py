"""API tokens (django-rest-knox with accounts.models.ApiToken): issue them, and revoke them when trust changes."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from knox.settings import knox_settings

from accounts.models import ApiToken


def issue_token(*, user: object, name: str = "", mfa_verified: bool = False) -> tuple[ApiToken, str]:
    """Create a token for the user and return it with its key, which is stored only as a digest.

    Expired tokens of the user are deleted; beyond ``REST_KNOX["TOKEN_LIMIT_PER_USER"]`` the oldest go.
    ``mfa_verified`` records that the request gave a valid TOTP code (needed for staff, accounts.rules).
    "Last used" starts at the issue (the password was just used for it): the token's first requests then write
    nothing, and accounts.auth.TokenAuthentication moves it on at most once per ``API_TOKEN_LAST_USE_INTERVAL``.
    """
    now = timezone.now()
    with transaction.atomic():
        ApiToken.objects.filter(user=user, expiry__lt=now).delete()
        token, key = ApiToken.objects.create(
            user=user, name=name, last_used_at=now, mfa_verified_at=now if mfa_verified else None
        )
        limit = knox_settings.TOKEN_LIMIT_PER_USER
        if limit:
            kept = ApiToken.objects.filter(user=user).order_by("-created", "-id").values_list("id", flat=True)[:limit]
            ApiToken.objects.filter(user=user).exclude(id__in=list(kept)).delete()
    return token, key


def revoke_tokens(user_ids: Iterable[int]) -> int:
    """Delete every API token of these users; return how many were deleted."""
    ids = [pk for pk in user_ids if pk is not None]
    if not ids:
        return 0
    deleted, _per_model = ApiToken.objects.filter(user_id__in=ids).delete()
    return deleted
