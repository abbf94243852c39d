"""Permission-aware reads for review: an expert sees only their own assignments; everything else is 404."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from accounts.roles import ADMINISTRATOR, APPROVER, EXPERT, INTAKE, user_has_role
from review.models import ExpertAssignment


def visible_assignments(user: User) -> QuerySet[ExpertAssignment]:
    """Assignments a user may see: approvers, intake officers and administrators all; an expert their own; else none."""
    queryset = ExpertAssignment.objects.select_related(
        "application__organisation", "application__program", "application__call", "expert", "assigned_by"
    )
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return queryset.none()
    if any(user_has_role(user, role) for role in (APPROVER, INTAKE, ADMINISTRATOR)):
        return queryset
    if user_has_role(user, EXPERT):
        return queryset.filter(expert=user)
    return queryset.none()


def get_own_assignment(user: User, pk: int) -> ExpertAssignment:
    """The user's own assignment (the expert's review page); 404 for missing and someone else's alike."""
    assignment = visible_assignments(user).filter(pk=pk, expert_id=user.pk).first()
    if assignment is None:
        raise Http404
    return assignment
