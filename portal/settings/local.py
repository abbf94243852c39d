"""The embedded default for a developer's machine and the demo: SQLite, eager Celery, console email."""

from .base import *
from .base import env

DEBUG = env.bool("DEBUG", default=True)
DEMO_SEED_ALLOWED = True
# The demo relaxes the staff second factor (the admin's login page says so); STAFF_MFA_REQUIRED=true turns it on.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
