"""Background jobs of award notices: render the 资助通知书 of an awarded application."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from notices.services import ensure_award_notice

# Worth another try: the database or the file system blinked. A template or data error is not retried; it is
# recorded on the notice (status "failed" with the error) for staff, who can regenerate after fixing it.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    max_retries=5,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
)
def render_award_notice_task(*, application_id: int) -> str:
    """Render the award notice of an application if it is due; return the notice's status ("skipped" if none).

    Idempotent: running it twice, or after a worker died mid-render, leaves one notice with one complete file.
    """
    notice = ensure_award_notice(application_id=application_id)
    return notice.status if notice is not None else "skipped"
