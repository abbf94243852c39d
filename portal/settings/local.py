"""The embedded default for a developer's machine and the demo: SQLite, eager Celery, console email."""

from .base import *
from .base import env

# Off by default, so the demo shows the portal's own Chinese error pages (templates/404.html …) as production does;
# DEBUG=true brings back Django's debug pages for development. Tracebacks still reach the console log.
DEBUG = env.bool("DEBUG", default=False)
# WhiteNoise serves static/ straight from the source folders (no collectstatic), also with DEBUG off.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
DEMO_SEED_ALLOWED = True
# The demo relaxes the staff second factor (the admin's login page says so); STAFF_MFA_REQUIRED=true turns it on.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
