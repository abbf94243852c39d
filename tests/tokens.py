"""API tokens for tests: ``Authorization: Token <token_for(user)>``."""

from accounts.tokens import issue_token


def token_for(user, *, name: str = "test", mfa_verified: bool = True) -> str:
    """Issue an API token for the user and return its key (stored only as a digest, so it cannot be read back).

    ``mfa_verified`` as if the token endpoint had checked a TOTP code: staff tokens work under STAFF_MFA_REQUIRED.
    """
    _token, key = issue_token(user=user, name=name, mfa_verified=mfa_verified)
    return key
