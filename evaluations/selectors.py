"""Permission-aware reads of performance reports and clawbacks: 404 for missing and not yours alike."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.models import User
from accounts.roles import ADMINISTRATOR, APPROVER, FINANCE, INTAKE, user_has_role
from applications.models import Application
from evaluations.models import Clawback, PerformanceReport, ReportAttachment, ReportTargetResult


def _member_organisation_id(user: User) -> int | None:
    if not getattr(user, "is_authenticated", False):
        return None
    membership = getattr(user, "membership", None)
    return membership.organisation_id if membership is not None else None


def report_for_member(user: User, application_pk: int) -> PerformanceReport:
    """The report of one of the user's own organisation's applications, with what its page needs; else 404."""
    organisation_id = _member_organisation_id(user)
    if organisation_id is None:
        raise Http404
    report = (
        PerformanceReport.objects.select_related("application__program", "application__call")
        .prefetch_related(
            "application__targets",
            Prefetch("results", queryset=ReportTargetResult.objects.select_related("target")),
            "attachments",
        )
        .filter(application_id=application_pk, application__organisation_id=organisation_id)
        .first()
    )
    if report is None:
        raise Http404
    return report


def report_attachment_for_member(user: User, application_pk: int, attachment_pk: int) -> ReportAttachment:
    organisation_id = _member_organisation_id(user)
    attachment = (
        ReportAttachment.objects.select_related("report")
        .filter(
            pk=attachment_pk,
            report__application_id=application_pk,
            report__application__organisation_id=organisation_id,
        )
        .first()
        if organisation_id is not None
        else None
    )
    if attachment is None:
        raise Http404
    return attachment


def report_of(application: Application) -> PerformanceReport | None:
    """The application's report, if one has been opened (for links from the application pages)."""
    return PerformanceReport.objects.filter(application=application).first()


def may_review(user: User) -> bool:
    return user_has_role(user, INTAKE) or user_has_role(user, APPROVER)


def reports_visible_to(user: User) -> QuerySet[PerformanceReport]:
    """Staff who review or oversee: intake officers, approvers, administrators; nobody else."""
    queryset = PerformanceReport.objects.with_list_data()
    if may_review(user) or user_has_role(user, ADMINISTRATOR):
        return queryset
    return queryset.none()


def clawbacks_visible_to(user: User) -> QuerySet[Clawback]:
    """Intake officers, approvers, finance and administrators see clawbacks; nobody else."""
    queryset = Clawback.objects.select_related("application__organisation", "application__program")
    if any(user_has_role(user, role) for role in (INTAKE, APPROVER, FINANCE, ADMINISTRATOR)):
        return queryset
    return queryset.none()
