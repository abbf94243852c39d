from celery import shared_task

from simulator.services import execute_simulation


@shared_task(acks_late=True)
def simulate_task(*, simulation_id: int) -> str:
    """Compute a queued policy simulation (idempotent: a finished one is left as it is)."""
    return execute_simulation(simulation_id=simulation_id).status
