"""The workflow of an application (SPEC §4) as one table: every fact about every transition, in one place.

``STEPS`` holds one row per transition: its method on ``Application``, the states it leaves and enters, its labels
for staff and for applicants, who may take it, the parameters it needs, and **who drives it**. A person-driven step
is taken by someone at this step (the applicant submits, intake accepts, the approver approves) through the generic
entry ``applications.services.run_transition``: the API, the admin buttons and bulk actions, the applicant pages.
A stage-driven step happens only inside the service of the stage that owns it (a publicity notice publishes, the
close job confirms, an upheld objection revokes, a paid payout line disburses, the evaluation services evaluate,
claw back and close); the generic entry refuses it with ``transition_driven_by_stage``.

The model's FSM decorators, the permission checks, the API, the admin, the applicant pages, the notifications and
``docs/workflow.md`` (``manage.py workflow_doc``) all read this table. Nothing here touches the database.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.roles import ROLES_BY_KEY, user_has_role


class State(models.TextChoices):
    """Workflow states with the labels staff see (SPEC §4)."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交（待受理）")
    RETURNED = "returned", _("退回补正")
    ACCEPTED = "accepted", _("已受理（审核中）")
    APPROVED = "approved", _("拟资助")
    REJECTED = "rejected", _("不予资助")
    WITHDRAWN = "withdrawn", _("已撤回")
    IN_PUBLICITY = "in_publicity", _("公示中")
    AWARDED = "awarded", _("已核准（待拨付）")
    DISBURSED = "disbursed", _("已拨付")
    EVALUATED = "evaluated", _("绩效评价完成")
    CLAWBACK = "clawback", _("追回中")
    CLOSED = "closed", _("已办结")


# What the applicant organisation sees of each state: approval is internal, so 拟资助 still reads 审核中.
APPLICANT_LABELS: Mapping[str, Promise] = {
    State.DRAFT: _("草稿"),
    State.SUBMITTED: _("已提交"),
    State.RETURNED: _("待补正"),
    State.ACCEPTED: _("审核中"),
    State.APPROVED: _("审核中"),
    State.REJECTED: _("未通过"),
    State.WITHDRAWN: _("已撤回"),
    State.IN_PUBLICITY: _("公示中"),
    State.AWARDED: _("已核准"),
    State.DISBURSED: _("已拨付"),
    State.EVALUATED: _("已完成"),
    State.CLAWBACK: _("资金追回中"),
    State.CLOSED: _("已办结"),
}

# "Across all its applications that are not withdrawn or rejected" (SPEC §3), once submitted.
COUNTED_STATES = (
    State.SUBMITTED,
    State.RETURNED,
    State.ACCEPTED,
    State.APPROVED,
    State.IN_PUBLICITY,
    State.AWARDED,
    State.DISBURSED,
    State.EVALUATED,
    State.CLAWBACK,
    State.CLOSED,
)
# Approved at least once and not rejected: these count at approval and before payout (SPEC §3).
APPROVED_STATES = (
    State.APPROVED,
    State.IN_PUBLICITY,
    State.AWARDED,
    State.DISBURSED,
    State.EVALUATED,
    State.CLAWBACK,
    State.CLOSED,
)
EDITABLE_STATES = (State.DRAFT, State.RETURNED)
FINANCE_STATES = (State.AWARDED, State.DISBURSED, State.EVALUATED, State.CLAWBACK, State.CLOSED)


class Driver(StrEnum):
    """Who drives a transition: a person at this step, or the service of the stage that owns it."""

    PERSON = "person"
    PUBLICITY = "publicity"
    PAYOUTS = "payouts"
    EVALUATIONS = "evaluations"


# Where a stage-driven transition happens, as the refusal tells the person who tried it elsewhere.
DRIVER_WHERE: Mapping[Driver, Promise] = {
    Driver.PUBLICITY: _("请通过公示办理：发布公示、处理异议，公示期满后系统自动核准"),
    Driver.PAYOUTS: _("请通过拨付批次办理：批次经复核后登记银行到账结果"),
    Driver.EVALUATIONS: _("请通过绩效评价办理：评定绩效报告、登记追回或办结"),
}

# Who may take a step: the applicant organisation's members, a staff role (accounts.roles keys), or the system
# (a scheduled job acting with no user).
APPLICANT = "applicant"
SYSTEM = "system"
ACTOR_LABELS: Mapping[str, Promise] = {
    APPLICANT: _("申报单位成员"),
    SYSTEM: _("系统（定时任务）"),
    **{key: role.group_name for key, role in ROLES_BY_KEY.items()},
}


class Param(StrEnum):
    """Parameters a step needs from the person or stage taking it."""

    REASON = "reason"
    DUE_ON = "due_on"


@dataclass(frozen=True)
class Step:
    """One transition of the workflow and everything the portal needs to know about it."""

    name: str  # the public name: API, events, admin URLs (``return`` is a Python keyword, so its method differs)
    method: str  # the transition method on Application
    sources: tuple[State, ...]
    target: State
    label: Promise  # the action as staff see it: buttons, the history
    verb: Promise  # "不能%(verb)s": the action in a sentence
    applicant_label: Promise  # the action as the applicant's timeline shows it
    actors: tuple[str, ...]  # APPLICANT, SYSTEM or accounts.roles keys
    driver: Driver
    service: str  # the function that takes it (``module.function``), for the docs
    params: frozenset[Param] = field(default_factory=frozenset)
    # Whether the applicant organisation is told (in the portal and by e-mail) and sees the step in its timeline;
    # approval is internal (拟资助 still reads 审核中 for them) until the publicity notice makes it public.
    applicant_facing: bool = True

    @property
    def person_driven(self) -> bool:
        return self.driver == Driver.PERSON

    @property
    def where(self) -> str:
        """For a stage-driven step: where it happens instead."""
        return str(DRIVER_WHERE.get(self.driver, ""))

    @property
    def roles(self) -> tuple[str, ...]:
        """The staff roles (accounts.roles keys) among the actors."""
        return tuple(actor for actor in self.actors if actor in ROLES_BY_KEY)

    def may_take(self, application: Any, user: object) -> bool:
        """Whether ``user`` (None for the system) may take this step on ``application``: role only, not state."""
        if user is None:
            return SYSTEM in self.actors
        if APPLICANT in self.actors and is_member(application, user):
            return True
        return any(user_has_role(user, ROLES_BY_KEY[key]) for key in self.roles)

    def fsm(self) -> dict[str, Any]:
        """The arguments of django-fsm's ``@transition`` for this step (the field is the caller's)."""
        return {"source": list(self.sources), "target": self.target, "permission": self.may_take}

    def who(self) -> str:
        return "、".join(str(ACTOR_LABELS[actor]) for actor in self.actors)


def is_member(application: Any, user: object) -> bool:
    """The user belongs to the applicant organisation."""
    membership = getattr(user, "membership", None) if getattr(user, "is_authenticated", False) else None
    return membership is not None and membership.organisation_id == application.organisation_id


STEPS: tuple[Step, ...] = (
    Step(
        name="submit",
        method="submit",
        sources=(State.DRAFT, State.RETURNED),
        target=State.SUBMITTED,
        label=_("提交"),
        verb=_("提交"),
        applicant_label=_("提交申报"),
        actors=(APPLICANT,),
        driver=Driver.PERSON,
        service="applications.services.submit_application",
    ),
    Step(
        name="withdraw",
        method="withdraw",
        sources=(State.DRAFT, State.SUBMITTED, State.RETURNED, State.ACCEPTED),
        target=State.WITHDRAWN,
        label=_("撤回"),
        verb=_("撤回"),
        applicant_label=_("撤回申报"),
        actors=(APPLICANT,),
        driver=Driver.PERSON,
        service="applications.services.withdraw_application",
    ),
    Step(
        name="accept",
        method="accept",
        sources=(State.SUBMITTED,),
        target=State.ACCEPTED,
        label=_("受理"),
        verb=_("受理"),
        applicant_label=_("受理"),
        actors=("intake",),
        driver=Driver.PERSON,
        service="applications.services.accept_application",
    ),
    Step(
        name="return",
        method="return_for_correction",
        sources=(State.SUBMITTED, State.ACCEPTED),
        target=State.RETURNED,
        label=_("退回补正"),
        verb=_("退回补正"),
        applicant_label=_("退回补正"),
        actors=("intake",),
        driver=Driver.PERSON,
        service="applications.services.return_application",
        params=frozenset({Param.REASON, Param.DUE_ON}),
    ),
    Step(
        name="reject",
        method="reject",
        sources=(State.SUBMITTED, State.ACCEPTED, State.APPROVED),
        target=State.REJECTED,
        label=_("不予资助"),
        verb=_("作出不予资助决定"),
        applicant_label=_("不予资助"),
        actors=("intake", "approver"),
        driver=Driver.PERSON,
        service="applications.services.reject_application",
        params=frozenset({Param.REASON}),
    ),
    Step(
        name="approve",
        method="approve",
        sources=(State.ACCEPTED,),
        target=State.APPROVED,
        label=_("审定通过"),
        verb=_("审定"),
        applicant_label=_("审定通过"),
        actors=("approver",),
        driver=Driver.PERSON,
        service="applications.services.approve_application",
        applicant_facing=False,
    ),
    Step(
        name="send_back",
        method="send_back_to_intake",
        sources=(State.ACCEPTED,),
        target=State.SUBMITTED,
        label=_("退回受理复核"),
        verb=_("退回受理复核"),
        applicant_label=_("重新受理审查"),
        actors=("approver",),
        driver=Driver.PERSON,
        service="applications.services.send_back_application",
        params=frozenset({Param.REASON}),
        # Internal rework: intake checks again and accepts again; the applicant keeps reading 审核中 in its
        # notifications (one per state it can see), so it is not told about this step.
        applicant_facing=False,
    ),
    Step(
        name="publish",
        method="publish",
        sources=(State.APPROVED,),
        target=State.IN_PUBLICITY,
        label=_("列入公示"),
        verb=_("列入公示"),
        applicant_label=_("列入公示"),
        actors=("approver",),
        driver=Driver.PUBLICITY,
        service="publicity.services.open_publicity_notice",
    ),
    Step(
        name="confirm",
        method="confirm",
        sources=(State.IN_PUBLICITY,),
        target=State.AWARDED,
        label=_("公示无异议，核准"),
        verb=_("核准"),
        applicant_label=_("公示期满，予以核准"),
        actors=(SYSTEM, "approver"),
        driver=Driver.PUBLICITY,
        service="publicity.services.close_ended_notices",
    ),
    Step(
        name="revoke",
        method="revoke",
        sources=(State.IN_PUBLICITY,),
        target=State.REJECTED,
        label=_("异议成立，撤销"),
        verb=_("撤销"),
        applicant_label=_("异议成立，撤销资助"),
        actors=("approver",),
        driver=Driver.PUBLICITY,
        service="publicity.services.decide_objection",
        params=frozenset({Param.REASON}),
    ),
    Step(
        name="disburse",
        method="disburse",
        sources=(State.AWARDED,),
        target=State.DISBURSED,
        label=_("拨付"),
        verb=_("拨付"),
        applicant_label=_("资金已拨付"),
        actors=("finance",),
        driver=Driver.PAYOUTS,
        service="payouts.services.record_line_result",
    ),
    Step(
        name="evaluate",
        method="evaluate",
        sources=(State.DISBURSED,),
        target=State.EVALUATED,
        label=_("绩效评价通过"),
        verb=_("完成绩效评价"),
        applicant_label=_("绩效评价通过"),
        actors=("intake", "approver"),
        driver=Driver.EVALUATIONS,
        service="evaluations.services.grade_report",
    ),
    Step(
        name="claw_back",
        method="claw_back",
        sources=(State.DISBURSED, State.EVALUATED),
        target=State.CLAWBACK,
        label=_("追回资金"),
        verb=_("追回资金"),
        applicant_label=_("资金追回"),
        actors=("approver",),
        driver=Driver.EVALUATIONS,
        service="evaluations.services.grade_report",
        params=frozenset({Param.REASON}),
    ),
    Step(
        name="close",
        method="close",
        sources=(State.EVALUATED, State.CLAWBACK),
        target=State.CLOSED,
        label=_("办结"),
        verb=_("办结"),
        applicant_label=_("办结"),
        actors=("approver", "finance"),
        driver=Driver.EVALUATIONS,
        service="evaluations.services.record_repayment",
    ),
)

BY_NAME: Mapping[str, Step] = {step.name: step for step in STEPS}
BY_METHOD: Mapping[str, Step] = {step.method: step for step in STEPS}
PERSON_STEPS: tuple[str, ...] = tuple(step.name for step in STEPS if step.person_driven)
APPLICANT_STEPS: tuple[str, ...] = tuple(step.name for step in STEPS if step.person_driven and APPLICANT in step.actors)
STAFF_STEPS: tuple[str, ...] = tuple(step.name for step in STEPS if step.person_driven and step.roles)


def step(name: str) -> Step:
    """The step with this public name; KeyError for a name that is not a transition."""
    return BY_NAME[name]


def label(name: str) -> str:
    """The staff label of an event or transition name (the name itself for an unknown one)."""
    found = BY_NAME.get(name)
    return str(found.label) if found else name


def applicant_label(name: str) -> str:
    """The label of an event or transition name in the applicant's timeline."""
    found = BY_NAME.get(name)
    return str(found.applicant_label) if found else name


def gives_reason(name: str) -> bool:
    """Whether the event of this step carries a reason the applicant must be told (return, reject, revoke, ...)."""
    found = BY_NAME.get(name)
    return found is not None and Param.REASON in found.params


def applicant_facing(name: str) -> bool:
    """Whether the applicant organisation sees this step (in its timeline, notifications and the API's history)."""
    found = BY_NAME.get(name)
    return found is None or found.applicant_facing
