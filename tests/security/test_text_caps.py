"""Issue 13: every text a write keeps is bounded and clean, refused with a code and never cut, on the staff side too.

The transition comment and reason (API, admin, applicant pages) are capped in the service, not only in a page's
form; so are the checklist notes, the expert comments, the objection decisions and the performance reports.
"""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from applications import services as application_services
from applications.models import ApplicationEvent, State
from evaluations import services as evaluation_services
from evaluations.models import ReportStatus, ReportTargetResult
from publicity import services as publicity_services
from publicity.models import ObjectionStatus
from review.models import VerificationCheck
from review.services import record_verification
from tests.evaluations.conftest import answers, disbursed, report  # noqa: F401 (fixtures)
from tests.publicity.conftest import allocate, approved_pair, notice  # noqa: F401 (fixtures)
from tests.review.conftest import checklist_program, item_ids  # noqa: F401 (fixtures)
from tests.tokens import token_for

pytestmark = pytest.mark.django_db


def codes_by_field(error: ValidationError) -> dict[str, set[str]]:
    return {field: {e.code for e in errors} for field, errors in error.error_dict.items()}


def test_a_million_character_comment_over_the_api_is_a_400_on_comment_and_nothing_moves(make_application, roles):
    application = make_application("submitted")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(roles['intake'])}")

    response = api.post(
        f"/api/v1/applications/{application.pk}/transitions/",
        {"name": "accept", "comment": "很" * 1_000_000},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "text_too_long"
    assert list(response.json()["fields"]) == ["comment"]
    application.refresh_from_db()
    assert application.state == State.SUBMITTED
    assert not ApplicationEvent.objects.filter(application=application, name="accept").exists()


def test_a_comment_of_exactly_1000_characters_is_kept_whole(make_application, roles):
    application = make_application("submitted")

    application_services.run_transition(
        application=application, actor=roles["intake"], name="accept", comment="审" * 1000
    )

    event = ApplicationEvent.objects.get(application=application, name="accept")
    assert event.comment == "审" * 1000


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"reason": "原因" * 501}, "reason", "text_too_long"),
        ({"reason": "营业执照\x00不清晰"}, "reason", "text_invalid_characters"),
        ({"reason": {"x": 1}}, "reason", "text_not_text"),
        ({"reason": "营业执照不清晰", "comment": "\ud800"}, "comment", "text_invalid_characters"),
    ],
)
def test_a_return_reason_or_comment_that_cannot_be_stored_is_refused_on_its_field(
    make_application, roles, params, field, code
):
    application = make_application("submitted")

    with pytest.raises(ValidationError) as refused:
        application_services.run_transition(
            application=application, actor=roles["intake"], name="return", due_on="2099-01-05", **params
        )

    assert codes_by_field(refused.value) == {field: {code}}
    application.refresh_from_db()
    assert application.state == State.SUBMITTED


def test_a_checklist_note_too_long_is_refused_and_nothing_is_recorded(make_application, checklist_program, roles):  # noqa: F811
    application = make_application("accepted", program=checklist_program)
    first, second = item_ids(checklist_program)

    with pytest.raises(ValidationError) as refused:
        record_verification(
            application=application,
            actor=roles["intake"],
            results={first: (True, "已核"), second: (False, "注" * 1001)},
        )

    assert codes_by_field(refused.value) == {f"note_{second}": {"text_too_long"}}
    assert not VerificationCheck.objects.exists()


def test_an_objection_decision_with_a_nul_is_refused_and_the_objection_stays_open(notice, roles):  # noqa: F811
    objection = publicity_services.file_objection(
        notice=notice, name="张三", phone="13800138000", content="对名单有异议", organisation=""
    )

    with pytest.raises(ValidationError) as refused:
        publicity_services.decide_objection(
            objection=objection, actor=roles["approver"], uphold=False, reason="不成立\x00"
        )

    assert codes_by_field(refused.value) == {"reason": {"text_invalid_characters"}}
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN


def test_an_achieved_value_over_100_characters_is_refused_not_cut(report, roles):  # noqa: F811
    results = answers(report.application, achieved="5" * 101)

    with pytest.raises(ValidationError) as refused:
        evaluation_services.submit_report(report=report, actor=roles["owner"], results=results)

    assert {code for codes in codes_by_field(refused.value).values() for code in codes} == {"text_too_long"}
    report.refresh_from_db()
    assert report.status != ReportStatus.SUBMITTED
    assert not ReportTargetResult.objects.exists()


def test_the_chain_is_verified_nightly_at_a_fixed_beijing_hour(settings):
    from celery.schedules import crontab

    schedule = settings.CELERY_BEAT_SCHEDULE["verify-audit-chain"]

    assert schedule["task"] == "applications.audit_tasks.verify_audit_chain_task"
    assert schedule["schedule"] == crontab(hour=2, minute=30)
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
