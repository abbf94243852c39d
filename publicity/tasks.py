from celery import shared_task

from publicity.services import close_ended_notices


@shared_task(acks_late=True)
def close_publicity_task() -> dict[str, int]:
    """Close the publicity notices whose period has ended (scheduled daily; safe to run any number of times)."""
    return close_ended_notices()
