"""The application event log is chained by SHA-256 per application; verify_audit_chain finds the first broken link."""

import datetime as dt
import importlib
import itertools
import re
import threading
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from applications import audit, services
from applications.admin import EventInline
from applications.models import Application, ApplicationEvent
from core.exceptions import Conflict
from tests import stages
from tests.applications.conftest import take
from tests.security.tamper import triggers_off

pytestmark = pytest.mark.django_db

fill_migration = importlib.import_module("applications.migrations.0004_fill_event_hashes")


def verify(*args: str) -> tuple[int, str]:
    """Run verify_audit_chain; return (exit status, output)."""
    out = StringIO()
    try:
        call_command("verify_audit_chain", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def chain(application: Application) -> list[ApplicationEvent]:
    return list(ApplicationEvent.objects.filter(application=application).order_by("pk"))


def broken_links(output: str) -> list[tuple[int, str]]:
    """(event id, problem) of each BROKEN line."""
    return [(int(m[1]), m[2]) for m in re.finditer(r"^BROKEN .*: event (\d+), (\w+) expected", output, re.M)]


# --- The pure functions ---------------------------------------------------------------------------------------


def event(**overrides):
    fields = {
        "pk": 1,
        "application_id": 7,
        "name": "submit",
        "from_state": "draft",
        "to_state": "submitted",
        "actor_id": 3,
        "at": dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC),
        "comment": "请审核",
        "data": {"standard_amount": "50000.00"},
        "prev_hash": "",
        "hash": "",
    }
    return SimpleNamespace(**{**fields, **overrides})


def test_the_hash_is_sha256_of_a_canonical_json_that_ignores_time_zone_and_key_order():
    utc = event()
    shanghai = event(at=utc.at.astimezone(dt.timezone(dt.timedelta(hours=8))), data={"standard_amount": "50000.00"})

    assert audit.compute_hash(utc, audit.GENESIS_HASH) == audit.compute_hash(shanghai, audit.GENESIS_HASH)
    assert re.fullmatch(r"[0-9a-f]{64}", audit.compute_hash(utc, audit.GENESIS_HASH))
    assert (
        audit.canonical_payload(
            application_id=7,
            prev_hash="0" * 64,
            name="submit",
            from_state="draft",
            to_state="submitted",
            actor_id=None,
            at=utc.at,
            comment="",
            data={"b": 1, "a": 2},
        )
        == (
            '{"actor":null,"application":7,"at":"2026-03-01T09:30:15.123456+00:00","comment":"","data":{"a":2,"b":1},'
            '"from":"draft","name":"submit","prev":"' + "0" * 64 + '","to":"submitted"}'
        ).encode()
    )


@pytest.mark.parametrize(
    "change",
    [
        {"application_id": 8},
        {"name": "withdraw"},
        {"from_state": "returned"},
        {"to_state": "withdrawn"},
        {"actor_id": 4},
        {"actor_id": None},
        {"at": dt.datetime(2026, 3, 1, 9, 30, 15, 123457, tzinfo=dt.UTC)},
        {"comment": "请审核。"},
        {"data": {"standard_amount": "50000.01"}},
    ],
)
def test_every_field_is_covered_by_the_hash(change):
    assert audit.compute_hash(event(**change), audit.GENESIS_HASH) != audit.compute_hash(event(), audit.GENESIS_HASH)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        audit.compute_hash(event(at=dt.datetime(2026, 3, 1, 9, 30)), audit.GENESIS_HASH)


def test_verify_chain_reports_the_first_broken_link_only():
    first = audit.seal(event(pk=1), audit.GENESIS_HASH)
    second = audit.seal(event(pk=2, name="accept"), first.hash)
    third = audit.seal(event(pk=3, name="approve"), second.hash)
    assert audit.verify_chain([first, second, third]) == audit.ChainCheck(None, 3, third.hash)

    second.comment = "改过"
    third.prev_hash = "f" * 64
    check = audit.verify_chain([first, second, third])

    assert check.broken == audit.BrokenLink(2, 7, "hash", audit.compute_hash(second, first.hash), second.hash)
    assert check.events == 2


# --- The chain written by the services ------------------------------------------------------------------------


def test_a_real_workflow_writes_a_valid_chain(make_application, roles):
    returned = make_application("returned")
    take(returned, "submit", roles["owner"])
    published = make_application("in_publicity")

    for application in (returned, published):
        events = chain(application)
        assert events[0].prev_hash == audit.GENESIS_HASH
        for previous, current in itertools.pairwise(events):
            assert current.prev_hash == previous.hash
        assert all(e.hash == audit.compute_hash(e, e.prev_hash, audit.chain_key()) for e in events)
    assert [e.name for e in chain(published)] == ["submit", "accept", "approve", "publish"]
    status, output = verify()
    assert status == 0
    assert "2 applications checked, 7 events checked, 0 broken chains" in output


def test_a_refused_transition_adds_no_link(make_application, roles):
    application = make_application("submitted")
    before = [(e.pk, e.hash) for e in chain(application)]

    with pytest.raises(PermissionDenied):
        services.accept_application(application=application, actor=roles["owner"])

    assert [(e.pk, e.hash) for e in chain(application)] == before


def test_an_edited_comment_is_reported_as_exactly_that_event(make_application, roles):
    application = make_application("approved")
    untouched = make_application("accepted")
    accept = chain(application)[1]

    with triggers_off("applications_applicationevent"):
        ApplicationEvent.objects.filter(pk=accept.pk).update(comment="材料齐全，同意受理")

    status, output = verify()
    assert status == 1
    assert broken_links(output) == [(accept.pk, "hash")]
    assert f"BROKEN {application.reference} (application {application.pk})" in output
    assert f"stored {accept.hash}" in output
    assert "2 applications checked, 5 events checked, 1 broken chains" in output  # the whole chain is read
    assert verify("--application", untouched.reference)[0] == 0


def test_a_deleted_event_in_the_middle_is_reported_at_the_event_after_it(make_application):
    application = make_application("in_publicity")
    submit, accept, approve, _publish = chain(application)

    with triggers_off("applications_applicationevent"):
        ApplicationEvent.objects.filter(pk=accept.pk).delete()

    status, output = verify("--application", str(application.pk))
    assert status == 1
    assert broken_links(output) == [(approve.pk, "prev_hash")]
    assert f"expected {submit.hash}, stored {accept.hash}" in output


def test_a_forged_event_is_reported_or_refused(make_application, roles):
    application = make_application("accepted")
    other = make_application("submitted")  # its event takes an id between this application's events
    application = take(application, "approve", roles["approver"])
    _submit, accept, approve = chain(application)
    gap = chain(other)[0].pk
    with triggers_off("applications_applicationevent"):
        other.delete()
    forged = {
        "application": application,
        "name": "return",
        "from_state": "accepted",
        "to_state": "returned",
        "at": accept.at + dt.timedelta(minutes=1),
    }

    # Chained correctly after "accept": the database refuses a second event after the same one.
    with pytest.raises(IntegrityError), transaction.atomic():
        audit.seal(ApplicationEvent(pk=gap, **forged), accept.hash).save(force_insert=True)
    # Slipped into the gap with a made-up link: reported at the forged event.
    fake = ApplicationEvent(pk=gap, **forged)
    audit.seal(fake, "e" * 64)
    fake.save(force_insert=True)

    status, output = verify("--application", application.reference)
    assert status == 1
    assert broken_links(output) == [(gap, "prev_hash")]
    with triggers_off("applications_applicationevent"):
        ApplicationEvent.objects.filter(pk=gap).delete()
    # Appended with a hash that is not the hash of its content.
    appended = ApplicationEvent.objects.create(
        prev_hash=approve.hash, hash="0" * 64, **{**forged, "at": timezone.now()}
    )
    status, output = verify("--application", application.reference)
    assert status == 1
    assert broken_links(output) == [(appended.pk, "hash")]


def test_verify_names_an_unknown_application(db):
    with pytest.raises(CommandError, match="No application with reference or id 'SZ-0000'"):
        call_command("verify_audit_chain", "--application", "SZ-0000")


def test_heads_are_printed_for_keeping_elsewhere(make_application):
    application = make_application("accepted")

    status, output = verify("--heads")

    assert status == 0
    assert f"HEAD {application.reference} (application {application.pk}) 2 {chain(application)[-1].hash}" in output


def test_events_are_read_only_in_the_admin(rf, roles):
    request = rf.get("/")
    request.user = roles["approver"]
    inline = EventInline(Application, admin.site)

    assert ApplicationEvent not in admin.site._registry
    assert not inline.has_add_permission(request)
    assert not inline.has_change_permission(request)
    assert not inline.has_delete_permission(request)


# --- The data migration ---------------------------------------------------------------------------------------


def test_the_data_migration_rebuilds_the_same_chains_in_batches(make_application, roles, monkeypatch):
    first = make_application("approved")
    second = make_application("returned")
    stages.publish([first], roles)  # the allocation run and the notice of open_call, which holds only this one
    # The migration rebuilds the chains of the events written before the keyed hashes with the plain SHA-256.
    written = {}
    for application in (first, second):
        prev = audit.GENESIS_HASH
        for e in chain(application):
            written[e.pk] = (prev, audit.compute_hash(e, prev))
            prev = written[e.pk][1]
    monkeypatch.setattr(fill_migration, "BATCH", 2)  # batches that cut across applications

    from django.apps import apps

    with triggers_off("applications_applicationevent"):
        # Blank the chain (distinct placeholders: the no-fork constraint holds meanwhile).
        for pk in written:
            ApplicationEvent.objects.filter(pk=pk).update(prev_hash=f"old-{pk}", hash="")
        fill_migration.fill_hashes(apps, None)

    assert len(written) == 6 and {e.application_id for e in ApplicationEvent.objects.all()} == {first.pk, second.pk}
    assert {e.pk: (e.prev_hash, e.hash) for e in ApplicationEvent.objects.all()} == written


# --- Concurrency ----------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_keep_every_chain_valid(make_application, roles):
    applications = [make_application("submitted") for _ in range(8)]
    barrier = threading.Barrier(len(applications) * 2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def act(application: Application, name: str) -> None:
        try:
            barrier.wait()
            take(application, name, roles["intake"])
            outcome = name
        except Conflict:
            outcome = "conflict"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    # Two intake officers accept each application at the same moment: one wins, one finds it already accepted.
    threads = [threading.Thread(target=act, args=(a, "accept")) for a in applications for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accept"] * len(applications) + ["conflict"] * len(applications)
    assert ApplicationEvent.objects.count() == len(applications) * 2
    status, output = verify()
    assert status == 0
    assert "8 applications checked, 16 events checked, 0 broken chains" in output
