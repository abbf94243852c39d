"""Background jobs of applications: the one notification path to an applicant organisation's members.

Every notice an organisation receives, in the portal and by e-mail, goes through ``deliver``: after a transition
(``notify_applicant_task``) and for what later stages have to say (``notify_members_task``: the evaluation stage's
report reminders). Both are idempotent: one notification per user and event, or per user and key.
"""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from applications import workflow
from applications.models import APPLICANT_LABELS, Application, ApplicationEvent, Notification, members_of


def deliver(
    application: Application, *, title: str, body: str, event: ApplicationEvent | None = None, key: str = ""
) -> int:
    """Tell every member of the application's organisation: a notification in the portal and an e-mail.

    A member who already has this event's (or this key's) notification gets nothing again. Return how many
    notifications were created.
    """
    created = 0
    for membership in members_of(application):
        try:
            with transaction.atomic():
                Notification.objects.create(
                    user=membership.user, application=application, event=event, key=key, title=title, body=body
                )
        except IntegrityError:
            continue  # already notified by an earlier run
        created += 1
        if membership.user.email:
            send_mail(
                subject=_("【质量品牌专项资金】%(title)s") % {"title": title},
                message=body,
                from_email=None,
                recipient_list=[membership.user.email],
                fail_silently=True,
            )
    return created


def last_notified_label(application: Application, *, before: ApplicationEvent) -> str:
    """The applicant-visible state the organisation was last told about before ``before`` ('' when never told)."""
    state = (
        Notification.objects.filter(application=application, event__isnull=False, event_id__lt=before.pk)
        .order_by("-event_id")
        .values_list("event__to_state", flat=True)
        .first()
    )
    return "" if state is None else str(APPLICANT_LABELS[state])


@shared_task(acks_late=True)
def notify_applicant_task(*, event_id: int) -> int:
    """Tell the applicant organisation about a state change (the transition services queue it after commit)."""
    event = ApplicationEvent.objects.select_related("application__program").filter(pk=event_id).first()
    if event is None:
        return 0
    application = event.application
    label = APPLICANT_LABELS[event.to_state]
    if str(label) == last_notified_label(application, before=event):
        return 0  # one notification per state the applicant can see, not per transition (accept, then approve)
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
    return deliver(application, title=title, body="\n".join(body_lines), event=event)


@shared_task(acks_late=True)
def notify_applicant_events_task(*, event_ids: list[int]) -> int:
    """Tell the applicant organisations about the state changes of a bulk transition (a task per group of
    organisations, each organisation's events in one task)."""
    return sum(notify_applicant_task.run(event_id=event_id) for event_id in event_ids)


@shared_task(acks_late=True)
def notify_members_task(*, application_id: int, title: str, body: str, key: str) -> int:
    """Tell the organisation of an application something a later stage has to say, once per ``key``."""
    application = Application.objects.filter(pk=application_id).first()
    if application is None:
        return 0
    return deliver(application, title=title, body=body, key=key)
