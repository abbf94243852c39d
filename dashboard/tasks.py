from celery import shared_task

from dashboard.services import check_open_forecasts, render_stored_decision_pack


@shared_task(acks_late=True)
def check_forecasts_task() -> int:
    """Check the pro-rata forecast of every open call; return how many programs crossed (idempotent)."""
    return check_open_forecasts().crossed


@shared_task(acks_late=True)
def render_decision_pack_task(*, pack_id: int) -> str:
    """Render and store a queued decision pack (idempotent: a done pack is left as it is)."""
    return render_stored_decision_pack(pack_id=pack_id).status
