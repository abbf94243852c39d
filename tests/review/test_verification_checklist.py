"""核实: the intake officer records the checklist; a 核准制 approval needs every item passed."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from applications import services as application_services
from applications.models import ApplicationEvent, State
from review.models import VerificationCheck
from review.services import approval_blockers, record_verification
from tests.review.conftest import item_ids


def codes(error: ValidationError) -> list[str]:
    return [e.code for e in error.error_list]


def test_recording_writes_each_finding_with_who_and_when(make_application, checklist_program, roles):
    application = make_application("accepted", program=checklist_program)
    first, second = item_ids(checklist_program)

    record_verification(
        application=application, actor=roles["intake"], results={first: (True, "已在官网核验"), second: (False, "")}
    )

    rows = list(
        VerificationCheck.objects.order_by("item__sort_order").values("item_id", "passed", "note", "checked_by")
    )
    assert rows == [
        {"item_id": first, "passed": True, "note": "已在官网核验", "checked_by": roles["intake"].pk},
        {"item_id": second, "passed": False, "note": "", "checked_by": roles["intake"].pk},
    ]
    assert all(check.checked_at is not None for check in VerificationCheck.objects.all())


def test_recording_again_updates_the_finding_in_place(make_application, checklist_program, roles):
    application = make_application("accepted", program=checklist_program)
    first, _second = item_ids(checklist_program)
    record_verification(application=application, actor=roles["intake"], results={first: (False, "待核")})

    record_verification(application=application, actor=roles["intake"], results={first: (True, "已核")})

    assert list(VerificationCheck.objects.values_list("passed", "note")) == [(True, "已核")]


def test_recording_before_acceptance_is_refused_and_writes_nothing(make_application, checklist_program, roles):
    application = make_application("submitted", program=checklist_program)
    first, _second = item_ids(checklist_program)

    with pytest.raises(ValidationError) as caught:
        record_verification(application=application, actor=roles["intake"], results={first: (True, "")})

    assert caught.value.code == "not_accepted"
    assert VerificationCheck.objects.count() == 0


@pytest.mark.parametrize("role", ["owner", "expert", "approver", "finance"])
def test_only_the_intake_officer_records(make_application, checklist_program, roles, role):
    application = make_application("accepted", program=checklist_program)
    first, _second = item_ids(checklist_program)

    with pytest.raises(PermissionDenied):
        record_verification(application=application, actor=roles[role], results={first: (True, "")})

    assert VerificationCheck.objects.count() == 0


def test_an_item_of_another_program_is_refused(make_application, checklist_program, fixed_program, roles):
    application = make_application("accepted", program=fixed_program)
    first, _second = item_ids(checklist_program)

    with pytest.raises(ValidationError) as caught:
        record_verification(application=application, actor=roles["intake"], results={first: (True, "")})

    assert caught.value.code == "unknown_item"
    assert VerificationCheck.objects.count() == 0


def test_approval_without_a_complete_checklist_is_refused_naming_the_open_items(
    make_application, checklist_program, roles
):
    # Given one item passed and the other not recorded
    application = make_application("accepted", program=checklist_program)
    first, _second = item_ids(checklist_program)
    record_verification(application=application, actor=roles["intake"], results={first: (True, "")})
    events_before = ApplicationEvent.objects.count()

    # When the approver approves
    with pytest.raises(ValidationError) as caught:
        application_services.approve_application(application=application, actor=roles["approver"])

    # Then it is refused and nothing changed
    assert codes(caught.value) == ["checklist_incomplete"]
    assert caught.value.messages == ["核实清单未完成，以下事项未核实或未通过：持有人与申报单位一致"]
    application.refresh_from_db()
    assert application.state == State.ACCEPTED
    assert ApplicationEvent.objects.count() == events_before


def test_a_failed_item_also_blocks_approval(make_application, checklist_program, roles):
    application = make_application("accepted", program=checklist_program)
    first, second = item_ids(checklist_program)
    record_verification(
        application=application, actor=roles["intake"], results={first: (True, ""), second: (False, "")}
    )

    assert [e.code for e in approval_blockers(application)] == ["checklist_incomplete"]


def test_approval_after_every_item_passed_is_allowed(make_application, checklist_program, roles):
    application = make_application("accepted", program=checklist_program)
    first, second = item_ids(checklist_program)
    record_verification(application=application, actor=roles["intake"], results={first: (True, ""), second: (True, "")})

    application = application_services.approve_application(application=application, actor=roles["approver"])

    assert application.state == State.APPROVED


def test_a_verification_program_without_items_has_nothing_to_verify(make_application, roles):
    application = make_application("accepted")

    assert approval_blockers(application) == []
