"""Entry points the stage before notices calls: the publicity close job, once an award is confirmed."""

from applications.models import Application
from notices.tasks import render_award_notice_task


def on_awarded(application: Application) -> None:
    """Queue the rendering of the award notice once the awarding transaction commits (call from the service)."""
    render_award_notice_task.delay_on_commit(application_id=application.pk)
