"""Two close jobs, or two decisions on one objection, at the same moment (PostgreSQL, real threads; SPEC §4).

The close job may run twice at once (a retried beat, a manual ``close_publicity`` while the scheduled one runs), and
two approvers may decide the same objection at once. The row locks in ``publicity.services`` make one of them do the
work and the other find it done; without them the second run trips over the first.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction

import notices.hooks
from accounts.roles import ROLES_BY_KEY
from applications.models import State
from core.exceptions import Conflict
from publicity import services
from publicity.models import Objection, ObjectionStatus, PublicityEntry, PublicityNotice
from tests import stages
from tests.factories import StaffFactory

ENTRIES = 3
# How long each service call below is stretched inside its transaction, so that both threads are inside the guarded
# section at the same time (without the lock they then both act; with it the second waits).
RACE_WINDOW = 0.2


def _run_together(*calls) -> list[object]:
    """Start the calls at the same moment, each in its own thread and database connection; return their outcomes
    (a return value, or the exception raised), in the order given."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is still running (deadlock?)"
    return outcomes


def _slowed(function):
    def slow(*args, **kwargs):
        result = function(*args, **kwargs)
        time.sleep(RACE_WINDOW)
        return result

    return slow


class _RecordingRenderTask:
    """Stands in for ``render_award_notice_task``: records each render queued by a transaction that committed."""

    def __init__(self):
        self.queued: list[int] = []
        self._lock = threading.Lock()

    def delay_on_commit(self, *, application_id):
        transaction.on_commit(lambda: self._record(application_id))

    def _record(self, application_id):
        with self._lock:
            self.queued.append(application_id)


def _names(application) -> list[str]:
    return [name for name, _from, _to in stages.events_of(application)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_close_jobs_at_once_confirm_each_application_once(make_application, roles, monkeypatch):
    applications = [make_application(State.APPROVED) for _ in range(ENTRIES)]
    notice = stages.publish(applications, roles)
    assert notice.entries.count() == ENTRIES
    today = notice.ends_on + timedelta(days=1)
    renders = _RecordingRenderTask()
    monkeypatch.setattr(notices.hooks, "render_award_notice_task", renders)
    monkeypatch.setattr(services, "confirm_application", _slowed(services.confirm_application))

    outcomes = _run_together(
        lambda: services.close_ended_notices(today=today),
        lambda: services.close_ended_notices(today=today),
    )

    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert not errors, errors
    assert sorted(outcome["confirmed"] for outcome in outcomes) == [0, ENTRIES]
    assert sum(outcome["closed"] for outcome in outcomes) == 1
    for application in applications:
        application.refresh_from_db()
        assert application.state == State.AWARDED
        assert _names(application).count("confirm") == 1
    assert sorted(renders.queued) == sorted(a.pk for a in applications)
    notice.refresh_from_db()
    assert notice.closed_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("decisions", [(True, False), (True, True)], ids=["uphold-and-dismiss", "uphold-twice"])
def test_two_decisions_on_one_objection_at_once_leave_one_decision(decisions, make_application, roles, monkeypatch):
    application = make_application(State.IN_PUBLICITY)
    entry = PublicityEntry.objects.select_related("notice").get(application=application)
    objection = services.file_objection(
        notice=entry.notice,
        entry=entry,
        name="王某某",
        organisation="深圳市某某有限公司",
        phone="13800138000",
        content="该单位申报的项目与实际情况不符。",
    )
    approvers = [roles["approver"], StaffFactory()]
    approvers[1].groups.add(Group.objects.get(name=ROLES_BY_KEY["approver"].group_name))
    monkeypatch.setattr(services, "revoke_application", _slowed(services.revoke_application))

    def decide(actor, uphold):
        decided = services.decide_objection(
            objection=objection, actor=actor, uphold=uphold, reason="经核查，异议" + ("成立" if uphold else "不成立")
        )
        return decided.status

    outcomes = _run_together(*(lambda a=a, u=u: decide(a, u) for a, u in zip(approvers, decisions, strict=True)))

    winners = [o for o in outcomes if isinstance(o, str)]
    losers = [o for o in outcomes if not isinstance(o, str)]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1 and isinstance(losers[0], Conflict), outcomes
    assert losers[0].code == "already_decided"
    objection.refresh_from_db()
    assert objection.status == winners[0]
    application.refresh_from_db()
    revokes = _names(application).count("revoke")
    if objection.status == ObjectionStatus.UPHELD:
        assert (application.state, revokes) == (State.REJECTED, 1)
    else:
        assert (application.state, revokes) == (State.IN_PUBLICITY, 0)
    assert Objection.objects.filter(pk=objection.pk, decided_at__isnull=False).count() == 1
    assert PublicityNotice.objects.get(pk=entry.notice_id).closed_at is None
