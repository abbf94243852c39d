"""Opening notices, filing and deciding objections, and the closing job, through the services (SPEC §4)."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from applications.models import Application, ApplicationEvent, State
from core.exceptions import Conflict
from publicity.calendar import add_working_days
from publicity.models import Objection, ObjectionStatus, PublicityEntry, PublicityNotice
from publicity.services import close_ended_notices, decide_objection, file_objection, open_publicity_notice
from tests.applications.conftest import PDF_BYTES

pytestmark = pytest.mark.django_db

OBJECTOR = {"name": "张三", "organisation": "深圳市某某公司", "phone": "13800138000", "content": "该单位证书已被撤销。"}


def codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def end_period(notice: PublicityNotice, *, days_ago: int = 1) -> PublicityNotice:
    """Move a notice's period into the past (its end ``days_ago`` days before today)."""
    ends_on = timezone.localdate() - timedelta(days=days_ago)
    PublicityNotice.objects.filter(pk=notice.pk).update(starts_on=ends_on - timedelta(days=6), ends_on=ends_on)
    notice.refresh_from_db()
    return notice


# --- Opening ------------------------------------------------------------------------------------


def test_opening_before_the_allocation_has_run_is_refused(approved_pair, open_call, roles):
    with pytest.raises(ValidationError) as raised:
        open_publicity_notice(call=open_call, actor=roles["approver"])

    assert codes(raised.value) == {"allocation_missing"}
    assert PublicityNotice.objects.count() == 0
    assert set(Application.objects.values_list("state", flat=True)) == {State.APPROVED}
    assert not ApplicationEvent.objects.filter(name="publish").exists()


def test_opening_publishes_every_approved_application_with_its_allocated_amount(
    approved_pair, open_call, roles, allocate
):
    allocate(open_call)

    notice = open_publicity_notice(call=open_call, actor=roles["approver"])

    today = timezone.localdate()
    assert notice.starts_on == today
    assert (notice.ends_on, notice.provisional) == add_working_days(today, open_call.publicity_working_days)
    assert notice.working_days == 5
    assert notice.title == f"{open_call.title}拟资助项目公示"
    entries = list(notice.entries.select_related("application__organisation", "application__program"))
    assert {e.application_id for e in entries} == {a.pk for a in approved_pair}
    for entry in entries:
        assert entry.amount == Decimal("250000.00")
        assert entry.organisation_name == entry.application.organisation.name
        assert entry.program_code == entry.application.program.code
        assert entry.application.state == State.IN_PUBLICITY
    assert ApplicationEvent.objects.filter(name="publish", actor=roles["approver"]).count() == 2


def test_opening_with_no_approved_application_is_refused(approved_pair, open_call, roles, allocate):
    allocate(open_call)
    open_publicity_notice(call=open_call, actor=roles["approver"])

    with pytest.raises(ValidationError) as raised:
        open_publicity_notice(call=open_call, actor=roles["approver"])

    assert codes(raised.value) == {"nothing_to_publish"}
    assert PublicityNotice.objects.count() == 1


@pytest.mark.parametrize("role", ["owner", "intake", "expert", "finance"])
def test_only_an_approver_opens_a_notice(approved_pair, open_call, roles, allocate, role):
    allocate(open_call)

    with pytest.raises(PermissionDenied):
        open_publicity_notice(call=open_call, actor=roles[role])

    assert PublicityNotice.objects.count() == 0
    assert set(Application.objects.values_list("state", flat=True)) == {State.APPROVED}


# --- Objections ---------------------------------------------------------------------------------


def test_a_real_name_objection_is_recorded_with_a_hashed_ip(notice):
    entry = notice.entries.first()

    objection = file_objection(notice=notice, entry=entry, ip="203.0.113.9", **OBJECTOR)

    assert objection.status == ObjectionStatus.OPEN
    assert (objection.name, objection.phone, objection.entry) == ("张三", "13800138000", entry)
    assert len(objection.ip_hash) == 64
    assert "203.0.113.9" not in objection.ip_hash


def test_an_anonymous_objection_is_refused(notice):
    with pytest.raises(ValidationError) as raised:
        file_objection(notice=notice, name="", phone=" ", content="有问题")

    assert "anonymous_refused" in codes(raised.value)
    assert set(raised.value.error_dict) >= {"name", "phone"}
    assert Objection.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"name": ""}, "name", "required"),
        ({"content": ""}, "content", "required"),
        ({"phone": "12345"}, "phone", "phone_invalid"),
    ],
)
def test_an_incomplete_objection_names_the_field(notice, changes, field, code):
    with pytest.raises(ValidationError) as raised:
        file_objection(notice=notice, **{**OBJECTOR, **changes})

    assert [e.code for e in raised.value.error_dict[field]] == [code]
    assert Objection.objects.count() == 0


def test_an_objection_after_the_period_is_refused(notice):
    end_period(notice)

    with pytest.raises(ValidationError) as raised:
        file_objection(notice=notice, **OBJECTOR)

    assert codes(raised.value) == {"publicity_closed"}
    assert Objection.objects.count() == 0


def test_an_objection_naming_another_notices_entry_is_refused(notice, roles):
    other_entry = PublicityEntry(notice_id=notice.pk + 1000, pk=99999)

    with pytest.raises(ValidationError) as raised:
        file_objection(notice=notice, entry=other_entry, **OBJECTOR)

    assert codes(raised.value) == {"entry_invalid"}


def test_a_letter_is_judged_by_its_content_not_its_name(notice):
    fake = SimpleUploadedFile("异议书.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as raised:
        file_objection(notice=notice, letter=fake, **OBJECTOR)
    assert codes(raised.value) == {"file_type_not_allowed"}

    real = SimpleUploadedFile("异议书.png", PDF_BYTES, content_type="image/png")
    objection = file_objection(notice=notice, letter=real, **OBJECTOR)
    assert objection.letter_content_type == "application/pdf"
    assert objection.letter.name.startswith(f"private/objections/{notice.pk}/")
    assert objection.letter.name.endswith(".pdf")
    assert objection.letter_name == "异议书.png"


def test_a_letter_over_the_size_limit_is_refused(notice, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 10
    with pytest.raises(ValidationError) as raised:
        file_objection(notice=notice, letter=SimpleUploadedFile("a.pdf", PDF_BYTES), **OBJECTOR)

    assert codes(raised.value) == {"file_too_large"}


def test_an_upheld_objection_revokes_the_application_with_the_reason(notice, roles):
    entry = notice.entries.first()
    objection = file_objection(notice=notice, entry=entry, **OBJECTOR)

    decided = decide_objection(
        objection=objection, actor=roles["approver"], uphold=True, reason="证书已被撤销，异议成立"
    )

    assert decided.status == ObjectionStatus.UPHELD
    assert decided.decided_by == roles["approver"]
    application = Application.objects.get(pk=entry.application_id)
    assert application.state == State.REJECTED
    assert application.decision_reason == "证书已被撤销，异议成立"
    event = application.events.get(name="revoke")
    assert (event.from_state, event.to_state, event.actor) == (State.IN_PUBLICITY, State.REJECTED, roles["approver"])
    assert "证书已被撤销，异议成立" in event.comment


def test_a_dismissed_objection_changes_nothing_else(notice, roles):
    entry = notice.entries.first()
    objection = file_objection(notice=notice, entry=entry, **OBJECTOR)
    events_before = ApplicationEvent.objects.count()

    decided = decide_objection(objection=objection, actor=roles["approver"], uphold=False, reason="经核实，证书有效")

    assert decided.status == ObjectionStatus.DISMISSED
    assert decided.decision_reason == "经核实，证书有效"
    assert Application.objects.get(pk=entry.application_id).state == State.IN_PUBLICITY
    assert ApplicationEvent.objects.count() == events_before


def test_an_objection_is_decided_once(notice, roles):
    objection = file_objection(notice=notice, entry=notice.entries.first(), **OBJECTOR)
    decide_objection(objection=objection, actor=roles["approver"], uphold=False, reason="不成立")

    with pytest.raises(Conflict) as raised:
        decide_objection(objection=objection, actor=roles["approver"], uphold=True, reason="成立")

    assert raised.value.code == "already_decided"
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.DISMISSED


def test_a_decision_needs_a_reason_and_an_approver(notice, roles):
    objection = file_objection(notice=notice, entry=notice.entries.first(), **OBJECTOR)

    with pytest.raises(ValidationError) as raised:
        decide_objection(objection=objection, actor=roles["approver"], uphold=True, reason="  ")
    assert codes(raised.value) == {"reason_required"}
    with pytest.raises(PermissionDenied):
        decide_objection(objection=objection, actor=roles["intake"], uphold=False, reason="不成立")

    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN


def test_upholding_an_objection_without_an_application_is_refused(notice, roles):
    objection = file_objection(notice=notice, **OBJECTOR)

    with pytest.raises(ValidationError) as raised:
        decide_objection(objection=objection, actor=roles["approver"], uphold=True, reason="成立")

    assert codes(raised.value) == {"entry_required"}


# --- The closing job ----------------------------------------------------------------------------


def test_the_closing_job_confirms_after_the_period_and_a_second_run_changes_nothing(notice):
    today = notice.ends_on + timedelta(days=1)

    first = close_ended_notices(today=today)
    states = dict(Application.objects.values_list("pk", "state"))
    events = ApplicationEvent.objects.count()
    second = close_ended_notices(today=today)

    assert first == {"notices": 1, "confirmed": 2, "held": 0, "closed": 1}
    assert set(states.values()) == {State.AWARDED}
    assert ApplicationEvent.objects.filter(name="confirm", actor=None).count() == 2
    assert second == {"notices": 0, "confirmed": 0, "held": 0, "closed": 0}
    assert dict(Application.objects.values_list("pk", "state")) == states
    assert ApplicationEvent.objects.count() == events
    notice.refresh_from_db()
    assert notice.closed_at is not None


def test_the_closing_job_leaves_notices_in_their_period_alone(notice):
    result = close_ended_notices(today=notice.ends_on)

    assert result == {"notices": 0, "confirmed": 0, "held": 0, "closed": 0}
    assert set(Application.objects.values_list("state", flat=True)) == {State.IN_PUBLICITY}


def test_an_entry_with_an_open_objection_is_not_confirmed(notice, roles):
    held, free = notice.entries.order_by("position")
    file_objection(notice=notice, entry=held, **OBJECTOR)
    today = notice.ends_on + timedelta(days=1)

    first = close_ended_notices(today=today)
    second = close_ended_notices(today=today)

    assert first == {"notices": 1, "confirmed": 1, "held": 1, "closed": 0}
    assert second == {"notices": 1, "confirmed": 0, "held": 1, "closed": 0}
    assert Application.objects.get(pk=held.application_id).state == State.IN_PUBLICITY
    assert Application.objects.get(pk=free.application_id).state == State.AWARDED
    notice.refresh_from_db()
    assert notice.closed_at is None


def test_dismissing_the_last_objection_after_the_period_confirms_and_closes(notice, roles):
    held, _free = notice.entries.order_by("position")
    objection = file_objection(notice=notice, entry=held, **OBJECTOR)
    end_period(notice)
    close_ended_notices()

    decide_objection(objection=objection, actor=roles["approver"], uphold=False, reason="经核实不成立")

    assert Application.objects.get(pk=held.application_id).state == State.AWARDED
    notice.refresh_from_db()
    assert notice.closed_at is not None


def test_an_open_objection_to_the_whole_notice_holds_every_entry(notice):
    file_objection(notice=notice, **OBJECTOR)

    result = close_ended_notices(today=notice.ends_on + timedelta(days=1))

    assert result == {"notices": 1, "confirmed": 0, "held": 2, "closed": 0}
    assert set(Application.objects.values_list("state", flat=True)) == {State.IN_PUBLICITY}


def test_an_upheld_objection_leaves_the_rest_to_be_confirmed_and_closes(notice, roles):
    revoked, kept = notice.entries.order_by("position")
    objection = file_objection(notice=notice, entry=revoked, **OBJECTOR)
    decide_objection(objection=objection, actor=roles["approver"], uphold=True, reason="成立")

    result = close_ended_notices(today=notice.ends_on + timedelta(days=1))

    assert result == {"notices": 1, "confirmed": 1, "held": 0, "closed": 1}
    assert Application.objects.get(pk=revoked.application_id).state == State.REJECTED
    assert Application.objects.get(pk=kept.application_id).state == State.AWARDED


def test_the_command_prints_counts_and_accepts_a_date(notice):
    out = StringIO()

    call_command("close_publicity", "--today", (notice.ends_on + timedelta(days=1)).isoformat(), stdout=out)

    assert out.getvalue().strip() == "notices=1 confirmed=2 held=0 closed=1"


def test_the_task_runs_the_job(notice):
    from publicity.tasks import close_publicity_task

    end_period(notice)

    assert close_publicity_task() == {"notices": 1, "confirmed": 2, "held": 0, "closed": 1}


def test_a_past_date_for_the_command_is_parsed(notice):
    out = StringIO()
    call_command("close_publicity", "--today", date(2000, 1, 1).isoformat(), stdout=out)
    assert out.getvalue().strip() == "notices=0 confirmed=0 held=0 closed=0"
