"""Fixtures for the security controls: workflow fixtures of tests/applications, a second factor on demand."""

import time

import pytest
from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core.cache import cache

from tests.applications.conftest import (  # noqa: F401 (fixtures)
    certificate_program,
    fixed_program,
    make_application,
    open_call,
    roles,
)
from tests.factories import StaffFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth keeps rate limits and used TOTP codes in the cache; start and end each test without them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mfa_required(settings):
    settings.STAFF_MFA_REQUIRED = True
    # A code made just before a 30-second boundary still counts just after it: no flaky tests.
    settings.MFA_TOTP_TOLERANCE = 1


def totp_code(secret: str, *, step: int = 0) -> str:
    """The code an authenticator app shows now (``step`` periods later or earlier)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD + step))


@pytest.fixture
def staff_with_totp(db):
    """A staff member who has set up an authenticator app; returns (user, secret)."""
    user = StaffFactory(email="officer@example.cn")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret
