"""Settings of the real Celery workers the worker tests and the benchmark start (never used by a deployment).

The test settings with Celery not eager, the broker from REDIS_URL, and two test-only switches from the environment:
a low Redis visibility timeout (so a task of a killed worker is redelivered within seconds) and permission for the
renderer to pause mid-write (NOTICE_RENDER_DELAY_SECONDS), so that a test can kill the worker at that moment.
"""

from portal.settings.test import *  # noqa: F403
from portal.settings.test import env

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = env("REDIS_URL")
_visibility_timeout = env.int("NOTICE_TEST_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _visibility_timeout,
    # Sweep for unacknowledged messages every second instead of every 100 s, so redelivery is prompt.
    "unacked_restore_interval": 1 if _visibility_timeout < 60 else 10,
    "unacked_restore_throttle": 1 if _visibility_timeout < 60 else 10,
}
NOTICE_RENDER_DELAY_ALLOWED = True
