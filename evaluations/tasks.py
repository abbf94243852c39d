"""Background jobs of performance evaluation."""

from celery import shared_task

from evaluations.services import send_report_reminders


@shared_task(acks_late=True)
def send_report_reminders_task() -> dict[str, int]:
    """Remind before report due dates and mark overdue reports (scheduled daily; safe to run any number of times)."""
    return send_report_reminders()
