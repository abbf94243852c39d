from celery import shared_task

from allocations.services import execute_allocation


@shared_task(acks_late=True)
def allocate_call_task(*, run_id: int) -> str:
    """Compute a queued allocation run (idempotent: a finished run is left as it is)."""
    return execute_allocation(run_id=run_id).status
