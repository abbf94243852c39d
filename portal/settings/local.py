"""The embedded default for a developer's machine and the demo: SQLite, eager Celery, console email."""

from .base import *
from .base import env

DEBUG = env.bool("DEBUG", default=True)
DEMO_SEED_ALLOWED = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
