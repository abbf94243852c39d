from celery import shared_task

from allocations.services import execute_allocation, sweep_caps


@shared_task(acks_late=True)
def allocate_call_task(*, run_id: int) -> str:
    """Compute a queued allocation run (idempotent: a finished run is left as it is)."""
    return execute_allocation(run_id=run_id).status


@shared_task(acks_late=True)
def sweep_caps_task(*, call_id: int) -> int:
    """Re-check a call's approved applications against the caps in force; return how many changed (idempotent)."""
    from programs.models import Call

    call = Call.objects.filter(pk=call_id).first()
    return sweep_caps(call=call).changed if call is not None else 0
