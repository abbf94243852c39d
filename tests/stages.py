"""Walk applications to any state of SPEC §4 through the real stages, as the portal does: never by a shortcut.

Person-driven steps (submit, withdraw, accept, return, reject, approve) go through
``applications.services.run_transition``, as the pages, the admin and the API do. Stage-driven steps happen only in
the service of the stage that owns them:

=========  =================================================================================================
publish    an allocation run of the call (``allocations.services``), then ``open_publicity_notice`` (approver)
confirm    ``close_ended_notices(today=notice.ends_on + 1 day)``, the scheduled job (actor None)
revoke     ``file_objection`` naming the entry, then ``decide_objection(uphold=True)`` (approver)
disburse   a payout batch built by one finance officer, approved by another, its line recorded paid
evaluate   the applicant's performance report submitted and graded as passed (intake), or
           ``complete_without_report`` where the program wants no report
claw_back  ``report_fraud`` (approver), or a report graded 不合格 (``how="failed_report"``)
close      ``record_repayment`` of the open clawback (finance)
=========  =================================================================================================

Use ``walk(application, state)`` for one application, ``walk_all(applications, state)`` for several of one call
(one allocation run, one notice, one payout batch), ``make(state, ...)`` for a fresh application, or one stage at a
time (``publish``, ``end_publicity``, ``uphold_objection``, ``pay``, ``evaluate``, ``claw_back``, ``repay``).

What the real stages imply, and what these helpers do about it:

* A publicity notice covers **every** approved application of its call, and once one application of a call is on
  notice the call's amounts are frozen (no new allocation run, so an application approved later can never be
  published in that call). ``walk`` therefore refuses (``StageError``) to publish an application whose call holds
  other approved applications, unless ``with_others=True`` (they are then published too), and refuses a call that
  is already frozen. ``make`` (and the ``make_application`` fixture) put an application meant for publicity or
  later into a call of its own (``own_call``), so that walking it drags nothing else along.
* The close job confirms every notice ended before the day it is given. ``end_publicity`` refuses when that would
  also confirm applications of another notice that ends on or before this one; walk those first (or pass
  ``with_others=True``).
* An allocation run needs the program's budget for the call's year; where none exists one of 1000亿元 is created, so
  every application is allocated its standard amount. Where a test set a smaller budget, amounts are pro-rated.
* A clawback (fraud or a failed report) sanctions the organisation for 3 years (SPEC §4): its later submissions fail
  E4. ``closed`` is reached through a clawback repaid (the only stage that closes), so it sanctions too.
* Staff: the ``roles`` mapping of the tests (keys ``owner``, ``intake``, ``approver``, ``finance``, ...) where given;
  a second finance officer (``finance2``, who approves what ``finance`` builds) is created and added to it on first
  use. Without ``roles``, staff users with fixed e-mails are found or created. The applicant's steps are taken by
  ``roles["owner"]`` when a member of the application's organisation, else by any member of it.
"""

from collections.abc import Iterable, Mapping, MutableMapping
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import Membership, User
from accounts.roles import ROLES_BY_KEY
from accounts.services import sync_roles
from allocations.models import AllocationRun, RunStatus
from allocations.services import execute_allocation, start_allocation
from applications import services as application_services
from applications.models import Application, State
from evaluations import services as evaluation_services
from evaluations.models import Clawback, PerformanceReport
from payouts import services as payout_services
from payouts.models import PayoutBatch
from programs.models import Call, Program, ProgramBudget
from publicity import services as publicity_services
from publicity.models import Objection, PublicityEntry, PublicityNotice
from tests.factories import CallFactory, StaffFactory

__all__ = [
    "PERSON_STEPS",
    "ROUTES",
    "STAGE_STEPS",
    "StageError",
    "allocate",
    "claw_back",
    "end_publicity",
    "evaluate",
    "events_of",
    "make",
    "own_call",
    "pay",
    "publish",
    "repay",
    "staff",
    "to_awarded",
    "to_clawback",
    "to_closed",
    "to_disbursed",
    "to_evaluated",
    "to_in_publicity",
    "uphold_objection",
    "walk",
    "walk_all",
]

# Who takes each person-driven step on the way (the role key in ``roles``).
PERSON_STEPS: Mapping[str, str] = {
    "submit": "owner",
    "withdraw": "owner",
    "accept": "intake",
    "return": "intake",
    "reject": "intake",
    "approve": "approver",
    "send_back": "approver",
}
STAGE_STEPS = ("publish", "confirm", "revoke", "disburse", "evaluate", "claw_back", "close")
STEP_PARAMS: Mapping[str, Mapping[str, str]] = {
    "return": {"reason": "营业执照扫描件不清晰"},  # and a due date a week from the day it is taken
    "reject": {"reason": "不符合申报条件"},
    "send_back": {"reason": "核实清单有未通过事项"},
}

_APPROVED = ("submit", "accept", "approve")
# The steps from draft to every state. ``rejected`` is the intake officer's decision; a revocation after an upheld
# objection also ends there (``uphold_objection``). ``closed`` goes through a repaid clawback, the only way the
# stages close an application.
ROUTES: Mapping[str, tuple[str, ...]] = {
    State.DRAFT: (),
    State.SUBMITTED: ("submit",),
    State.RETURNED: ("submit", "return"),
    State.ACCEPTED: ("submit", "accept"),
    State.APPROVED: _APPROVED,
    State.REJECTED: ("submit", "reject"),
    State.WITHDRAWN: ("withdraw",),
    State.IN_PUBLICITY: (*_APPROVED, "publish"),
    State.AWARDED: (*_APPROVED, "publish", "confirm"),
    State.DISBURSED: (*_APPROVED, "publish", "confirm", "disburse"),
    State.EVALUATED: (*_APPROVED, "publish", "confirm", "disburse", "evaluate"),
    State.CLAWBACK: (*_APPROVED, "publish", "confirm", "disburse", "claw_back"),
    State.CLOSED: (*_APPROVED, "publish", "confirm", "disburse", "claw_back", "close"),
}
# States reached only through the publicity stage (an application meant for one of them needs a call of its own).
PUBLISHED_STATES = frozenset(state for state, route in ROUTES.items() if "publish" in route)
FROZEN_STATES = tuple(PUBLISHED_STATES)

GENEROUS_BUDGET = Decimal("100000000000.00")  # 1000亿元: every application gets its standard amount
STAFF_KEYS = ("intake", "approver", "finance", "finance2")


class StageError(AssertionError):
    """A walk that the real stages cannot make as asked (and what to do instead)."""


# --- Staff -------------------------------------------------------------------------------------------------------


def _group(key: str) -> Group:
    name = ROLES_BY_KEY[key].group_name
    group = Group.objects.filter(name=name).first()
    if group is None:
        sync_roles()
        group = Group.objects.get(name=name)
    return group


def _staff_user(key: str, email: str | None = None) -> User:
    if email is not None:
        user = User.objects.filter(email=email).first()
        if user is not None:
            return user
    user = StaffFactory(**({"email": email} if email else {}))
    user.groups.add(_group("finance" if key == "finance2" else key))
    return user


def staff(roles: MutableMapping[str, User] | None = None) -> MutableMapping[str, User]:
    """The staff the stages need: ``intake``, ``approver``, ``finance`` and ``finance2`` (a second finance officer).

    With ``roles`` (the tests' fixture), its users are used and the missing ones are created and added to it, so
    that every walk of a test shares them. Without it, users with fixed e-mails are found or created.
    """
    if roles is None:
        return {key: _staff_user(key, f"stage-{key}@example.cn") for key in STAFF_KEYS}
    for key in STAFF_KEYS:
        if key not in roles:
            roles[key] = _staff_user(key)
    return roles


def _member(application: Application, roles: Mapping[str, User] | None) -> User:
    """Who acts for the applicant organisation: ``roles["owner"]`` when a member of it, else any member."""
    owner = (roles or {}).get("owner")
    memberships = Membership.objects.filter(organisation_id=application.organisation_id).select_related("user")
    if owner is not None and memberships.filter(user=owner).exists():
        return owner
    membership = memberships.order_by("pk").first()
    if membership is None:
        raise StageError(f"application {application.pk}: its organisation has no member to act for it")
    return membership.user


def _fresh(application: Application) -> Application:
    return Application.objects.select_related("call", "program", "organisation").get(pk=application.pk)


# --- Calls ---------------------------------------------------------------------------------------------------------


def own_call(like: Call) -> Call:
    """A new open call like ``like`` (same year, programs, publicity period and report period)."""
    return CallFactory(
        year=like.year,
        programs=list(like.programs.all()),
        publicity_working_days=like.publicity_working_days,
        report_due_months=like.report_due_months,
    )


def _ensure_budgets(call: Call) -> None:
    program_ids = set(Application.objects.filter(call=call, state=State.APPROVED).values_list("program_id", flat=True))
    budgeted = set(
        ProgramBudget.objects.filter(year=call.year, program_id__in=program_ids).values_list("program_id", flat=True)
    )
    ProgramBudget.objects.bulk_create(
        [ProgramBudget(program_id=pk, year=call.year, amount=GENEROUS_BUDGET) for pk in program_ids - budgeted]
    )


def allocate(call: Call, roles: MutableMapping[str, User] | None = None) -> AllocationRun:
    """Run an allocation of the call to the end, as the approver starting it and the task computing it do.

    The task is queued on commit; in a test transaction it would never run, so it is run here (it is idempotent:
    where the queued task already ran, as under a live server, the finished run is returned).
    """
    people = staff(roles)
    _ensure_budgets(call)
    run = start_allocation(call=call, actor=people["approver"])
    run = execute_allocation(run_id=run.pk)
    if run.status != RunStatus.DONE:
        raise StageError(f"the allocation run of call {call.pk} did not finish: {run.status} {run.error}")
    return run


# --- 公示: publish, confirm, revoke -------------------------------------------------------------------------------


def publish(
    applications: Iterable[Application],
    roles: MutableMapping[str, User] | None = None,
    *,
    with_others: bool = False,
) -> PublicityNotice:
    """Put approved applications of one call on public notice: an allocation run, then a notice opened today.

    The notice takes every approved application of the call: raise StageError when that would include others than
    ``applications``, unless ``with_others``; and when the call is already frozen (an application of it on notice).
    """
    applications = [_fresh(a) for a in applications]
    if not applications:
        raise StageError("publish: no application given")
    calls = {a.call_id for a in applications}
    if len(calls) != 1:
        raise StageError("publish: a notice covers one call; these applications belong to several")
    call = applications[0].call
    not_approved = [a.pk for a in applications if a.state != State.APPROVED]
    if not_approved:
        raise StageError(f"publish: applications {not_approved} are not approved")
    if Application.objects.filter(call=call, state__in=FROZEN_STATES).exists():
        raise StageError(
            f"publish: call {call.pk} already has applications on notice, so its amounts are frozen and no newly "
            "approved application of it can be published; create the application in a call of its own (own_call)"
        )
    others = list(
        Application.objects.filter(call=call, state=State.APPROVED)
        .exclude(pk__in=[a.pk for a in applications])
        .values_list("pk", flat=True)
    )
    if others and not with_others:
        raise StageError(
            f"publish: call {call.pk} also holds approved applications {others}, which the notice would publish too; "
            "walk them together (walk_all), pass with_others=True, or use a call of its own (own_call)"
        )
    people = staff(roles)
    allocate(call, people)
    return publicity_services.open_publicity_notice(call=call, actor=people["approver"])


def _notice_of(application: Application) -> PublicityNotice:
    entry = PublicityEntry.objects.select_related("notice").filter(application_id=application.pk).first()
    if entry is None:
        raise StageError(f"application {application.pk} is on no publicity notice")
    return entry.notice


def end_publicity(*notices: PublicityNotice, with_others: bool = False) -> dict[str, int]:
    """Run the close job the day after the (latest) notice's period: entries without an open or upheld objection are
    confirmed (in_publicity → awarded, actor None). Return the job's counts.

    The job closes every notice ended before that day: raise StageError when another unclosed notice with
    applications still on notice would be closed too, unless ``with_others``.
    """
    ids = [notice.pk for notice in notices]
    today = max(PublicityNotice.objects.filter(pk__in=ids).values_list("ends_on", flat=True)) + timedelta(days=1)
    if not with_others:
        dragged = list(
            PublicityEntry.objects.filter(
                notice__closed_at__isnull=True,
                notice__ends_on__lt=today,
                application__state=State.IN_PUBLICITY,
            )
            .exclude(notice_id__in=ids)
            .values_list("application_id", flat=True)
        )
        if dragged:
            raise StageError(
                f"end_publicity: the close job on {today} would also confirm applications {dragged} of other notices; "
                "walk those first, or pass with_others=True"
            )
    return publicity_services.close_ended_notices(today=today)


def uphold_objection(
    application: Application,
    roles: MutableMapping[str, User] | None = None,
    *,
    reason: str = "经核查，申报材料与事实不符，异议成立",
) -> Objection:
    """Revoke an application on notice as the stage does: a real-name objection to its entry, upheld by the approver
    (in_publicity → rejected). The objection must be filed within the period, so the notice must still be open."""
    people = staff(roles)
    entry = PublicityEntry.objects.select_related("notice").get(application_id=application.pk)
    objection = publicity_services.file_objection(
        notice=entry.notice,
        entry=entry,
        name="王某某",
        organisation="深圳市某某有限公司",
        phone="13800138000",
        content="该单位申报的项目与实际情况不符。",
    )
    return publicity_services.decide_objection(
        objection=objection, actor=people["approver"], uphold=True, reason=reason
    )


# --- 拨付: disburse ------------------------------------------------------------------------------------------------


def pay(
    applications: Iterable[Application],
    roles: MutableMapping[str, User] | None = None,
    *,
    paid_on: date | None = None,
) -> PayoutBatch:
    """Disburse awarded applications as the payout stage does: one batch built by ``finance``, approved by
    ``finance2``, each line recorded paid (voucher and date) by ``finance`` (awarded → disbursed)."""
    people = staff(roles)
    ids = [a.pk for a in applications]
    batch, skipped = payout_services.create_batch(actor=people["finance"], applications=ids)
    if skipped:
        raise StageError(f"pay: the payout batch left out {[(s.application_id, s.code) for s in skipped]}")
    batch = payout_services.approve_batch(batch=batch, actor=people["finance2"])
    paid_on = paid_on or timezone.localdate()
    for line in batch.lines.order_by("position"):
        payout_services.record_line_result(
            line=line,
            actor=people["finance"],
            status="paid",
            voucher_no=f"PZ-{batch.pk:04d}-{line.position:03d}",
            paid_on=paid_on,
        )
    return batch


# --- 绩效评价: evaluate, claw back, close ----------------------------------------------------------------------------


def _submitted_report(application: Application, roles: Mapping[str, User] | None) -> PerformanceReport:
    report = evaluation_services.open_report(application=application)  # opened by the paid line; idempotent
    if report is None:
        raise StageError(f"application {application.pk}: its program requires no performance report")
    results = {target.pk: ("已完成", "按申报目标完成。") for target in application.targets.all()}
    return evaluation_services.submit_report(report=report, actor=_member(application, roles), results=results)


def evaluate(
    application: Application, roles: MutableMapping[str, User] | None = None, *, grade: str = "good"
) -> Application:
    """Finish the evaluation of a disbursed application (disbursed → evaluated, by intake): the applicant submits its
    report and the intake officer grades it ``grade`` (a pass); without a required report, ``complete_without_report``.
    """
    people = staff(roles)
    application = _fresh(application)
    if not application.program.report_required:
        evaluation_services.complete_without_report(application=application, actor=people["intake"])
    else:
        report = _submitted_report(application, roles)
        evaluation_services.grade_report(report=report, actor=people["intake"], grade=grade, comment="目标全部完成。")
    return _fresh(application)


def claw_back(
    application: Application,
    roles: MutableMapping[str, User] | None = None,
    *,
    how: str = "fraud",
    reason: str = "伪造检测报告",
) -> Clawback:
    """Open a clawback (disbursed or evaluated → clawback, by the approver), which also sanctions the organisation.

    ``how="fraud"``: ``report_fraud``. ``how="failed_report"`` (disbursed only): the report is submitted, then graded
    不合格.
    """
    people = staff(roles)
    application = _fresh(application)
    if how == "fraud":
        outcome = evaluation_services.report_fraud(application=application, actor=people["approver"], reason=reason)
        if outcome.clawback is None:
            raise StageError(f"claw_back: application {application.pk} in {application.state} has nothing to claw back")
        return outcome.clawback
    if how == "failed_report":
        report = _submitted_report(application, roles)
        evaluation_services.grade_report(report=report, actor=people["approver"], grade="failed", comment=reason)
        return Clawback.objects.get(application=application, repaid_at__isnull=True)
    raise ValueError(f"claw_back: how must be 'fraud' or 'failed_report', not {how!r}")


def repay(application: Application, roles: MutableMapping[str, User] | None = None, *, by: str = "finance") -> Clawback:
    """Record the clawed-back funds as repaid (clawback → closed), by ``finance`` or ``approver``."""
    people = staff(roles)
    clawback = Clawback.objects.filter(application_id=application.pk, repaid_at__isnull=True).order_by("pk").last()
    if clawback is None:
        raise StageError(f"repay: application {application.pk} has no open clawback")
    return evaluation_services.record_repayment(clawback=clawback, actor=people[by])


# --- Walking -------------------------------------------------------------------------------------------------------


def _person_step(application: Application, name: str, roles: Mapping[str, User] | None) -> Application:
    # The applicant's steps by a member of the organisation; the others by the staff role that takes them.
    applicant_step = name in ("submit", "withdraw")
    actor = _member(application, roles) if applicant_step else staff(roles)[PERSON_STEPS[name]]
    params = dict(STEP_PARAMS.get(name, {}))
    if name == "return":
        params["due_on"] = (timezone.localdate() + timedelta(days=7)).isoformat()
    return application_services.run_transition(application=application, actor=actor, name=name, **params)


def _remaining(application: Application, state: str) -> tuple[str, ...]:
    if state not in ROUTES:
        raise StageError(f"no state {state!r}; states: {', '.join(ROUTES)}")
    here, route = ROUTES[application.state], ROUTES[state]
    if route[: len(here)] != here:
        raise StageError(
            f"application {application.pk} is {application.state}; the route to {state} "
            f"({' → '.join(route) or 'none'}) does not pass through it"
        )
    return route[len(here) :]


def _take(application: Application, name: str, roles: MutableMapping[str, User] | None, **options) -> Application:
    """Take one step on one application, person- or stage-driven; return it read afresh."""
    if name in PERSON_STEPS:
        _person_step(application, name, roles)
    elif name == "publish":
        publish([application], roles, with_others=options.get("with_others", False))
    elif name == "confirm":
        end_publicity(_notice_of(application), with_others=options.get("with_others", False))
    elif name == "disburse":
        pay([application], roles)
    elif name == "evaluate":
        evaluate(application, roles)
    elif name == "claw_back":
        claw_back(application, roles, how=options.get("how", "fraud"))
    elif name == "close":
        repay(application, roles)
    else:  # pragma: no cover - ROUTES holds no other step
        raise StageError(f"no step {name!r}")
    return _fresh(application)


def walk(
    application: Application,
    state: str,
    roles: MutableMapping[str, User] | None = None,
    *,
    with_others: bool = False,
    how: str = "fraud",
) -> Application:
    """Walk one application from its state to ``state`` along ``ROUTES``, every step through its stage.

    ``with_others``: let the notice publish (and the close job confirm) other applications of the call too.
    ``how``: how a clawback on the way is opened ("fraud" or "failed_report"). Return the application read afresh;
    raise StageError when the route does not pass through its current state or a stage refuses.
    """
    application = _fresh(application)
    for name in _remaining(application, state):
        application = _take(application, name, roles, with_others=with_others, how=how)
    if application.state != state:
        raise StageError(f"application {application.pk} ended {application.state}, not {state}")
    return application


def to_in_publicity(application, roles=None, **options) -> Application:
    return walk(application, State.IN_PUBLICITY, roles, **options)


def to_awarded(application, roles=None, **options) -> Application:
    return walk(application, State.AWARDED, roles, **options)


def to_disbursed(application, roles=None, **options) -> Application:
    return walk(application, State.DISBURSED, roles, **options)


def to_evaluated(application, roles=None, **options) -> Application:
    return walk(application, State.EVALUATED, roles, **options)


def to_clawback(application, roles=None, **options) -> Application:
    return walk(application, State.CLAWBACK, roles, **options)


def to_closed(application, roles=None, **options) -> Application:
    return walk(application, State.CLOSED, roles, **options)


def walk_all(
    applications: Iterable[Application],
    state: str,
    roles: MutableMapping[str, User] | None = None,
    *,
    with_others: bool = False,
    how: str = "fraud",
) -> list[Application]:
    """Walk several applications to one ``state``, sharing the call-wide stages: those of one call get one allocation
    run and one notice, and all are paid in one payout batch. Return them read afresh, in the order given."""
    applications = [_fresh(a) for a in applications]
    route = ROUTES[state]
    stage_at = {name: route.index(name) for name in ("publish", "confirm", "disburse") if name in route}
    cut = min(stage_at.values(), default=len(route))
    # Person-driven steps first, one application at a time.
    applications = [walk(a, _state_after(route[:cut]), roles) if _before(a, route, cut) else a for a in applications]
    if "publish" in stage_at:
        by_call: dict[int, list[Application]] = {}
        for application in applications:
            if application.state == State.APPROVED:
                by_call.setdefault(application.call_id, []).append(application)
        notices = [publish(group, roles, with_others=with_others) for group in by_call.values()]
        if "confirm" in stage_at and notices:
            end_publicity(*notices, with_others=with_others)
        applications = [_fresh(a) for a in applications]
    if "disburse" in stage_at:
        unpaid = [a for a in applications if a.state == State.AWARDED]
        if unpaid:
            pay(unpaid, roles)
        applications = [_fresh(a) for a in applications]
    return [walk(a, state, roles, how=how) for a in applications]


def _state_after(steps: tuple[str, ...]) -> str:
    return next(state for state, route in ROUTES.items() if route == steps)


def _before(application: Application, route: tuple[str, ...], cut: int) -> bool:
    here = ROUTES[application.state]
    return len(here) < cut and route[: len(here)] == here


# --- Fresh applications --------------------------------------------------------------------------------------------


def make(
    state: str = State.DRAFT,
    *,
    call: Call,
    program: Program,
    data: Mapping | None = None,
    roles: MutableMapping[str, User] | None = None,
    owner: User | None = None,
    own: bool | None = None,
    **options,
) -> Application:
    """Create an application of ``owner`` (default ``roles["owner"]``) and walk it to ``state`` through the stages.

    For a state reached through publicity (in_publicity and later) the application goes into a new call like ``call``
    (``own_call``) unless ``own=False``, so that its notice holds it alone.
    """
    owner = owner or (roles or {}).get("owner")
    if owner is None:
        raise StageError("make: give owner= or roles with an 'owner'")
    if own is None:
        own = state in PUBLISHED_STATES
    application = application_services.create_application(
        actor=owner, call=own_call(call) if own else call, program=program, data=data or {}
    )
    return walk(application, state, roles, **options)


def events_of(application: Application) -> list[tuple[str, str, str]]:
    """(name, from_state, to_state) of the application's events in order."""
    return list(application.events.order_by("pk").values_list("name", "from_state", "to_state"))
