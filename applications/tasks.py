"""Background jobs of applications: notifying the applicant organisation after a transition."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from applications import workflow
from applications.models import APPLICANT_LABELS, ApplicationEvent, Notification, members_of


@shared_task(acks_late=True)
def notify_applicant_task(*, event_id: int) -> int:
    """Tell every member of the applicant organisation about a state change: in the portal and by email.

    Idempotent: one notification per (user, event); a redelivered task sends nothing twice. Return how many
    notifications were created.
    """
    event = ApplicationEvent.objects.select_related("application__program").filter(pk=event_id).first()
    if event is None:
        return 0
    application = event.application
    label = APPLICANT_LABELS[event.to_state]
    title = _("%(ref)s %(program)s：%(state)s") % {
        "ref": application.reference,
        "program": application.program.name,
        "state": label,
    }
    body_lines = [_("您的申报 %(ref)s 状态变更为“%(state)s”。") % {"ref": application.reference, "state": label}]
    if event.name == "return":
        body_lines.append(
            _("退回原因：%(r)s。请于 %(d)s 前补正后重新提交。")
            % {"r": application.return_reason.rstrip("。；;. "), "d": application.return_due_on}
        )
    elif event.comment and workflow.gives_reason(event.name):
        body_lines.append(_("原因：%(r)s") % {"r": event.comment})
    url = f"{settings.SITE_URL.rstrip('/')}{application.get_absolute_url()}"
    body_lines.append(_("查看详情：%(url)s") % {"url": url})
    body = "\n".join(body_lines)
    created = 0
    for membership in members_of(application):
        try:
            with transaction.atomic():
                Notification.objects.create(
                    user=membership.user, application=application, event=event, title=title, body=body
                )
        except IntegrityError:
            continue  # already notified by an earlier run of this task
        created += 1
        send_mail(
            subject=f"【质量品牌专项资金】{title}",
            message=body,
            from_email=None,
            recipient_list=[membership.user.email],
            fail_silently=True,
        )
    return created
