"""Issue 13: verify_audit_chain names each of the six tamperings; keyed links; heads; triggers; the nightly job."""

import logging
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from applications import audit, services
from applications.audit_heads import verify_all, write_snapshot
from applications.audit_tasks import verify_audit_chain_task
from applications.models import Application, ApplicationEvent, AuditHead, AuditHeadSnapshot, State
from tests.security.tamper import triggers_off

pytestmark = pytest.mark.django_db
EVENTS = "applications_applicationevent"


def verify(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit_chain", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def chain(application: Application) -> list[ApplicationEvent]:
    return list(ApplicationEvent.objects.filter(application=application).order_by("pk"))


def kinds(application: Application) -> set[str]:
    return {f.kind for f in verify_all().findings if f.application_id == application.pk}


def test_a_clean_workflow_verifies_and_its_allocated_amount_is_recorded(make_application):
    published = make_application("in_publicity")  # through an allocation run
    make_application("draft")

    status, output = verify()

    assert published.allocated_amount is not None
    assert status == 0, output
    assert "0 broken chains, 0 findings" in output


def test_edit(make_application):
    application = make_application("approved")
    accept = chain(application)[1]
    with triggers_off(EVENTS):
        ApplicationEvent.objects.filter(pk=accept.pk).update(comment="改过")

    status, output = verify()

    assert status == 1
    assert f"event {accept.pk}, hash expected" in output and "[edited]" in output


def test_delete_middle(make_application):
    application = make_application("approved")
    _submit, accept, approve = chain(application)
    with triggers_off(EVENTS):
        ApplicationEvent.objects.filter(pk=accept.pk).delete()

    status, output = verify()

    assert status == 1
    assert f"event {approve.pk}, prev_hash expected" in output and "[deleted_middle]" in output


def test_delete_tail_is_found_by_the_state_and_by_the_heads(make_application, roles):
    application = make_application("awarded")
    write_snapshot()
    last = chain(application)[-1]
    with triggers_off(EVENTS):
        ApplicationEvent.objects.filter(pk=last.pk).delete()

    status, output = verify()

    assert status == 1
    assert "[deleted_tail]" in output and "the last 1 deleted" in output
    assert f"state is {State.AWARDED} but its last event" in output  # [unrecorded_change]
    assert kinds(application) == {"deleted_tail", "unrecorded_change"}


def test_delete_chain(make_application):
    application = make_application("accepted")
    write_snapshot()
    with triggers_off(EVENTS):
        ApplicationEvent.objects.filter(application=application).delete()

    status, output = verify()

    assert status == 1
    assert "[deleted_chain]" in output and "recorded 2 events" in output
    assert "but the application has no events" in output


def test_state_and_amount_changed_without_an_event(make_application):
    draft = make_application("draft")
    Application.objects.filter(pk=draft.pk).update(state=State.APPROVED, allocated_amount=Decimal("3000000.00"))

    status, output = verify()

    assert status == 1
    assert f"(application {draft.pk}): [unrecorded_change] state is approved but the application has no" in output
    assert "allocated amount is 3000000.00 but no allocation run allotted it any" in output


def test_amount_changed_after_an_allocation_run(make_application):
    application = make_application("in_publicity")
    Application.objects.filter(pk=application.pk).update(allocated_amount=Decimal("3000000.00"))

    status, output = verify()

    assert status == 1
    assert "allocated amount is 3000000.00 but allocation run #" in output


def test_chain_recomputed_without_the_key(make_application):
    application = make_application("approved")
    events = chain(application)
    prev = audit.GENESIS_HASH
    with triggers_off(EVENTS):
        for event in events:  # the documented plain SHA-256, with an edit
            event.comment = event.comment + "（改）"
            audit.seal(event, prev)
            prev = event.hash
            ApplicationEvent.objects.filter(pk=event.pk).update(
                comment=event.comment, prev_hash=f"x{event.pk}", hash=f"y{event.pk}"
            )
        for event in events:
            ApplicationEvent.objects.filter(pk=event.pk).update(prev_hash=event.prev_hash, hash=event.hash)

    status, output = verify()

    assert status == 1
    assert f"event {events[0].pk}, rehashed expected" in output and "[recomputed]" in output


def test_a_chain_differing_from_its_recorded_head_is_named_rewritten(make_application):
    application = make_application("accepted")
    write_snapshot()
    head = AuditHead.objects.get(application_id=application.pk, snapshot=AuditHeadSnapshot.objects.latest("pk"))
    with triggers_off("applications_audithead"):
        AuditHead.objects.filter(pk=head.pk).update(head="f" * 64)

    status, output = verify()

    assert status == 1
    assert "[heads_tampered]" in output and "the chain was rewritten" in output


def test_legacy_events_are_checked_with_the_old_rule_up_to_the_cut_over():
    key = b"k" * 32

    def event(pk):
        import datetime as dt
        from types import SimpleNamespace

        return SimpleNamespace(
            pk=pk, application_id=1, name="submit", from_state="draft", to_state="submitted", actor_id=None,
            at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), comment="", data={}, prev_hash="", hash="",
        )  # fmt: skip

    old = audit.seal(event(1), audit.GENESIS_HASH)
    new = audit.seal(event(2), old.hash, key)
    assert audit.verify_chain([old, new], key, legacy_until=1).broken is None
    # After the cut-over a plain SHA-256 is a recomputation without the key.
    forged = audit.seal(event(2), old.hash)
    assert audit.verify_chain([old, forged], key, legacy_until=1).broken.problem == "rehashed"
    assert audit.verify_chain([old, new], key, legacy_until=None).broken.problem == "rehashed"


def test_the_cut_over_snapshot_records_the_last_plain_event_and_every_head(make_application):
    # The migration's own function, run on today's rows: a flush by an earlier transactional test in the same
    # worker empties the snapshot the migration wrote, so the test runs the cut-over itself.
    from importlib import import_module

    from django.apps import apps

    cut_over = import_module("applications.migrations.0010_audit_cutover_and_append_only").cut_over
    application = make_application("accepted")
    cut_over(apps, None)

    snapshot = AuditHeadSnapshot.objects.latest("pk")
    assert snapshot.legacy_until == chain(application)[-1].pk
    assert AuditHead.objects.get(snapshot=snapshot, application_id=application.pk).head == chain(application)[-1].hash


def test_a_draft_can_still_be_deleted(make_application, roles):
    draft = make_application("draft")
    services.delete_application(application=draft, actor=roles["owner"])
    assert not Application.objects.filter(pk=draft.pk).exists()


def test_the_nightly_job_writes_heads_when_all_is_well(make_application, caplog):
    application = make_application("accepted")
    before = AuditHeadSnapshot.objects.count()

    with caplog.at_level(logging.INFO, logger="portal.audit"):
        assert verify_audit_chain_task.apply().get() == 0

    snapshot = AuditHeadSnapshot.objects.latest("pk")
    assert AuditHeadSnapshot.objects.count() == before + 1
    assert AuditHead.objects.get(snapshot=snapshot, application_id=application.pk).head == chain(application)[-1].hash
    assert f"AUDIT HEADS snapshot={snapshot.pk}" in caplog.text and snapshot.digest in caplog.text
    assert verify("--write-heads")[0] == 0


def test_the_nightly_job_alerts_and_writes_no_heads_on_a_finding(make_application, caplog, settings):
    settings.ADMINS = [("运维", "ops@example.cn")]
    draft = make_application("draft")
    Application.objects.filter(pk=draft.pk).update(state=State.APPROVED)
    before = AuditHeadSnapshot.objects.count()

    with caplog.at_level(logging.ERROR, logger="portal.audit"):
        assert verify_audit_chain_task.apply().get() == 1

    assert AuditHeadSnapshot.objects.count() == before
    assert "AUDIT FINDING" in caplog.text and "[unrecorded_change]" in caplog.text
    assert len(mail.outbox) == 1 and "审计链" in mail.outbox[0].subject
    assert verify("--write-heads")[0] == 1


def test_events_are_keyed_with_the_configured_key(make_application, settings):
    settings.AUDIT_CHAIN_KEY = "another-key-0123456789"
    application = make_application("submitted")
    event = chain(application)[0]
    assert event.hash == audit.compute_hash(event, event.prev_hash, b"another-key-0123456789")


# --- PostgreSQL triggers --------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("operation", ["update", "delete"])
def test_the_database_refuses_to_change_or_delete_an_event(make_application, operation):
    event = chain(make_application("accepted"))[0]
    events = ApplicationEvent.objects.filter(pk=event.pk)

    with pytest.raises(DatabaseError, match="append-only table applications_applicationevent"), transaction.atomic():
        events.update(comment="x") if operation == "update" else events.delete()


@pytest.mark.postgres
def test_the_database_refuses_to_change_or_delete_heads(make_application):
    make_application("accepted")
    snapshot = write_snapshot()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditHead.objects.filter(snapshot=snapshot).update(head="0" * 64)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM applications_audithead WHERE snapshot_id = %s", [snapshot.pk])


@pytest.mark.postgres
def test_truncate_is_not_refused_by_the_row_triggers(make_application):
    make_application("accepted")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses while deferred checks are pending
        cursor.execute("TRUNCATE applications_applicationevent CASCADE")
    assert not ApplicationEvent.objects.exists()
