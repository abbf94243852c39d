"""Permission-aware reads of applications: each role sees what its work needs; everything else is 404."""

from collections.abc import Callable
from types import SimpleNamespace

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import ADMINISTRATOR, APPROVER, EXPERT, FINANCE, INTAKE, user_has_role
from applications.models import (
    FINANCE_STATES,
    Application,
    ApplicationEvent,
    ApplicationUnit,
    Attachment,
    Notification,
    State,
)
from core.compiled import CompiledQuery


def visible_applications(user: User) -> QuerySet[Application]:
    """Applications a user may see.

    Applicant members: their organisation's. Intake officers, approvers and administrators: everything
    submitted at least once. Experts: their assignments, once they have declared no conflict of interest.
    Finance: awarded onwards. Anyone else: none.
    """
    queryset = Application.objects.all()
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    membership = getattr(user, "membership", None)
    conditions = Q(pk__in=[])
    if membership is not None:
        conditions |= Q(organisation_id=membership.organisation_id)
    if user.is_staff:
        if any(user_has_role(user, role) for role in (INTAKE, APPROVER, ADMINISTRATOR)):
            conditions |= Q(submitted_at__isnull=False)
        if user_has_role(user, EXPERT):
            # Only after declaring no conflict of interest does an expert open an assigned application.
            conditions |= Q(expert_assignments__expert=user, expert_assignments__no_conflict_confirmed_at__isnull=False)
        if user_has_role(user, FINANCE):
            conditions |= Q(state__in=FINANCE_STATES)
    return queryset.filter(conditions).distinct() if user.is_staff else queryset.filter(conditions)


def get_application(user: User, pk: int, *, for_update: bool = False) -> Application:
    """One application the user may see, with what its pages need; 404 for missing and not yours alike."""
    application = (
        visible_applications(user).select_related("organisation", "call", "program", "created_by").filter(pk=pk).first()
    )
    if application is None:
        raise Http404
    return application


def application_to_change(user: User, pk: int) -> Application:
    """The application a write names, as a bare instance (its id alone); 404 for missing and not yours alike.

    Every write service locks the row and reads it afresh (``services.common.locked``), so loading its columns and
    joins here as well only cost time (with the lock's narrower read, an upload went from 25 to 16.5 ms of CPU).
    """
    membership = getattr(user, "membership", None)
    if membership is not None and not user.is_staff:
        found = APPLICANT_WRITE_TARGET(membership.organisation_id, pk)
        application = found[0] if found else None
    else:
        application = visible_applications(user).only("pk").filter(pk=pk).first()
    if application is None:
        raise Http404
    return application


def _applicant_write_target(organisation_id: int, pk: int) -> QuerySet[Application]:
    """``application_to_change``'s read for an applicant: what ``visible_applications`` lets a member of the
    organisation see, that application's id alone."""
    member = SimpleNamespace(
        is_authenticated=True, is_staff=False, membership=SimpleNamespace(organisation_id=organisation_id)
    )
    return visible_applications(member).only("pk").filter(pk=pk)


# Every applicant write reads this first: composed once (core.compiled), with samples no id can equal.
APPLICANT_WRITE_TARGET = CompiledQuery(_applicant_write_target, -1001, -1002)


def applications_for_list(user: User) -> QuerySet[Application]:
    """The list pages' and endpoints' query: one row per application, constant queries as rows grow."""
    return (
        visible_applications(user)
        .select_related("organisation", "call", "program", "award_notice")
        .annotate(unit_count=Count("units", distinct=True))
        .order_by("-created_at", "-pk")
    )


def application_detail_queryset(user: User) -> QuerySet[Application]:
    """Everything a detail page or the API read body shows, prefetched."""
    return (
        visible_applications(user)
        .select_related("organisation", "call", "program", "created_by", "award_notice")
        .prefetch_related(
            Prefetch("units", queryset=ApplicationUnit.objects.select_related("tier")),
            "targets",
            Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by")),
            Prefetch("events", queryset=ApplicationEvent.objects.select_related("actor").order_by("at", "pk")),
        )
    )


def get_attachment(user: User, application_pk: int, attachment_pk: int) -> Attachment:
    """An attachment of an application the user may see; 404 otherwise."""
    application = get_application(user, application_pk)
    attachment = Attachment.objects.filter(application=application, pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    return attachment


def unread_notification_count(user: User) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).select_related("application")


def next_step_for_applicant(application: Application) -> str:
    """What the applicant should do next, in a few words (shown on the dashboard)."""
    return {
        State.DRAFT: _("完善并提交申报"),
        State.SUBMITTED: _("等待受理"),
        State.RETURNED: _("按退回意见补正后重新提交"),
        State.ACCEPTED: _("等待审核"),
        State.APPROVED: _("等待审核"),
        State.REJECTED: "—",
        State.WITHDRAWN: "—",
        State.IN_PUBLICITY: _("公示中，等待公示期结束"),
        State.AWARDED: _("下载资助通知书，等待拨付"),
        State.DISBURSED: _("按期提交绩效报告"),
        State.EVALUATED: "—",
        State.CLAWBACK: _("按通知退回资金"),
        State.CLOSED: "—",
    }[application.state]


# How the public verify page of a code is addressed: notices registers its builder (``notices.services.verify_url``,
# the one the notice prints under its QR code) when the app is ready; applications imports nothing of notices.
_verify_url_builder: Callable[[str], str] | None = None


def register_verify_url(builder: Callable[[str], str]) -> None:
    """Set the function that turns a verification code into the absolute URL of its public verify page."""
    global _verify_url_builder
    _verify_url_builder = builder


def award_notice_verification(application: Application) -> tuple[str, str] | None:
    """The award notice's verification code and public verify URL once a notice has been issued, else None.

    Read through the reverse relation like ``award_notice_url`` (no query where the queryset selects it); the URL is
    the one printed on the notice, so it follows the portal's base-URL setting.
    """
    if application.state not in FINANCE_STATES or _verify_url_builder is None:
        return None
    try:
        notice = application.award_notice
    except ObjectDoesNotExist:
        return None
    if not notice.is_issued:
        return None
    return notice.verification_code, _verify_url_builder(notice.verification_code)


def award_notice_url(application: Application, request: HttpRequest | None = None) -> str | None:
    """The download URL of an application's award notice once its file is ready, else None.

    The notice is the ``award_notice`` row that ``notices`` keeps beside the application (read through the reverse
    relation, which the list and detail querysets select, so no query here); applications imports nothing of it.
    Absolute when a request is given. The URL itself checks permissions.
    """
    if application.state not in FINANCE_STATES:
        return None
    try:
        notice = application.award_notice
    except ObjectDoesNotExist:
        return None
    if not notice.is_done:
        return None
    url = reverse("notices:download", args=[application.pk])
    return request.build_absolute_uri(url) if request is not None else url
