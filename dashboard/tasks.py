from celery import shared_task

from dashboard.services import check_open_forecasts


@shared_task(acks_late=True)
def check_forecasts_task() -> int:
    """Check the pro-rata forecast of every open call; return how many programs crossed (idempotent)."""
    return check_open_forecasts().crossed
