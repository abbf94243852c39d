"""Bureau staff roles: the Django groups and their model permissions, defined in code.

``manage.py sync_roles`` creates or updates the groups from this table (idempotent). Later apps
add their models' permissions here, so that one table says who may do what in the admin.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    key: str
    group_name: str
    description: str
    # "app_label.codename" strings; "app_label.*" grants every permission of the app.
    permissions: tuple[str, ...]


VIEW_CATALOGUE = (
    # The rule sets: the approver compares them in the policy simulator, everyone sees which one a call uses.
    "programs.view_ruleset",
    "programs.view_program",
    "programs.view_tier",
    "programs.view_call",
    "programs.view_programbudget",
    "programs.view_organisationannualcap",
    "programs.view_attachmentrequirement",
    "programs.view_formfield",
    "programs.view_scoringcriterion",
    "programs.view_verificationitem",
)

VIEW_APPLICATIONS = ("applications.view_application",)
REVIEW_EVALUATIONS = (
    "evaluations.view_performancereport",
    "evaluations.change_performancereport",
    "evaluations.view_reporttargetresult",
    "evaluations.view_reportattachment",
    "evaluations.view_clawback",
    "evaluations.change_clawback",
)

# Review (核实 and 专家评审): rows are written only through review/services.py, from custom admin views.
VIEW_REVIEW = ("review.view_verificationcheck", "review.view_expertassignment", "review.view_expertscore")

INTAKE = Role(
    key="intake",
    group_name="受理员",
    description=str(_("受理、形式审查、核实、退回补正")),
    permissions=(
        *VIEW_CATALOGUE,
        *VIEW_APPLICATIONS,
        "accounts.view_organisation",
        "accounts.view_membership",
        "review.view_verificationcheck",
        "review.add_verificationcheck",
        "review.change_verificationcheck",
        # The ready-made 退回补正 reasons intake officers tick and keep up to date.
        "review.view_returnreasonpreset",
        "review.add_returnreasonpreset",
        "review.change_returnreasonpreset",
        *REVIEW_EVALUATIONS,
    ),
)
EXPERT = Role(
    key="expert",
    group_name="评审专家",
    description=str(_("对分配的申报进行评分")),
    permissions=(
        "programs.view_program",
        "programs.view_scoringcriterion",
        *VIEW_APPLICATIONS,
        "review.view_expertassignment",
        "review.view_expertscore",
        "review.add_expertscore",
        "review.change_expertscore",
    ),
)
APPROVER = Role(
    key="approver",
    group_name="审定人",
    description=str(_("审定、资金分配、公示与异议处理")),
    permissions=(
        *VIEW_CATALOGUE,
        *VIEW_APPLICATIONS,
        "accounts.view_organisation",
        "accounts.view_membership",
        "accounts.view_sanction",
        "accounts.add_sanction",
        "accounts.change_sanction",
        "allocations.view_allocationrun",
        "allocations.add_allocationrun",
        "allocations.view_allocationline",
        "allocations.view_capsweep",
        *VIEW_REVIEW,
        "review.add_expertassignment",
        "review.change_expertassignment",
        "review.view_returnreasonpreset",
        # Per program: the plain or the normalised expert mean for the approval rule.
        "review.view_reviewpolicy",
        "review.add_reviewpolicy",
        "review.change_reviewpolicy",
        "publicity.view_publicitynotice",
        "publicity.add_publicitynotice",
        "publicity.change_publicitynotice",
        "publicity.view_publicityentry",
        "publicity.view_objection",
        "publicity.change_objection",
        "publicity.view_holidayoverride",
        *REVIEW_EVALUATIONS,
        "evaluations.add_clawback",
    ),
)
FINANCE = Role(
    key="finance",
    group_name="财务人员",
    description=str(_("拨付批次、导出与到账登记")),
    permissions=(
        *VIEW_CATALOGUE,
        *VIEW_APPLICATIONS,
        "accounts.view_organisation",
        "payouts.view_payoutbatch",
        "payouts.add_payoutbatch",
        "payouts.change_payoutbatch",
        "payouts.view_payoutline",
        "payouts.change_payoutline",
        "payouts.view_payoutevent",
        "evaluations.view_clawback",
    ),
)
ADMINISTRATOR = Role(
    key="administrator",
    group_name="系统管理员",
    description=str(_("配置资助项目、批次、预算与上限，管理工作人员账号")),
    permissions=(
        "programs.*",
        "accounts.view_organisation",
        "accounts.change_organisation",
        "accounts.view_membership",
        "accounts.add_membership",
        "accounts.change_membership",
        "accounts.delete_membership",
        "accounts.view_user",
        "publicity.view_holidayoverride",
        "publicity.add_holidayoverride",
        "publicity.change_holidayoverride",
        "publicity.delete_holidayoverride",
        "accounts.view_sanction",
        *VIEW_APPLICATIONS,
        "accounts.add_user",
        "accounts.change_user",
        "auth.view_group",
    ),
)

ROLES: tuple[Role, ...] = (INTAKE, EXPERT, APPROVER, FINANCE, ADMINISTRATOR)
ROLES_BY_KEY = {role.key: role for role in ROLES}


def user_has_role(user: object, role: Role) -> bool:
    """Return whether a user is in a role's group (superusers hold every role)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_staff", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    # One query per user object (per request), not one per check: list pages check roles for every row.
    names = getattr(user, "_role_group_names", None)
    if names is None:
        names = frozenset(group.name for group in user.groups.all())  # uses a prefetch when there is one
        user._role_group_names = names
    return role.group_name in names
