"""Settings for the test suite: SQLite by default, PostgreSQL and Redis when CI sets their URLs."""

from pathlib import Path

from .base import *
from .base import ACCOUNT_RATE_LIMITS, BASE_DIR, REST_FRAMEWORK, env

DEBUG = False
DEMO_SEED_ALLOWED = True
# Off, so that tests can enter the admin with force_login; tests/security turn it on where they test it.
STAFF_MFA_REQUIRED = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
MEDIA_ROOT = Path(env("TEST_MEDIA_ROOT", default=str(BASE_DIR / ".test-media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# allauth counts failed logins in the cache, which lives for the whole run: off, like the DRF throttles, so that
# failures in one test never refuse another's login (tests/security turn it on where they test it).
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "login_failed": None}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "token": None, "objection": None},
}
