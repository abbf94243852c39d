"""A refused submission through the API names every field at fault in ``fields``, in one round: form fields, unit
rows, materials and declarations, each by its path in the write body."""

from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from applications.models import Application, ApplicationEvent, State
from programs.models import EvidenceWindow, FieldType, FormField
from tests.applications.conftest import pdf
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

ALL_DECLARATIONS = {"truthful": True, "no_duplicate_funding": True, "accept_adjustment": True}


@pytest.fixture
def owner_api(roles) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(roles['owner'])}")
    return api


@pytest.fixture
def program(certificate_program):
    """Like P8-3, asking one required form field, and evidence of the previous year only."""
    certificate_program.evidence_window = EvidenceWindow.PREVIOUS_YEAR
    certificate_program.save()
    FormField.objects.create(
        program=certificate_program, name="annual_revenue", label="上年度营业收入", field_type=FieldType.DECIMAL
    )
    FormField.objects.create(
        program=certificate_program,
        name="remarks",
        label="备注",
        field_type=FieldType.TEXT,
        is_required=False,
    )
    return certificate_program


def last_year(month: int = 6) -> str:
    return date(date.today().year - 1, month, 1).isoformat()


def a_good_body(**overrides) -> dict:
    body = {
        "units": [{"key": "CQC-2025-001", "claim_amount": "30000", "issued_on": last_year()}],
        "form_data": {"annual_revenue": "1200.5"},
        "declarations": ALL_DECLARATIONS,
    }
    body.update(overrides)
    return body


def draft(owner_api, open_call, program, body, *, upload: bool = True) -> Application:
    created = owner_api.post(
        reverse("api:application-list"), {"call": open_call.pk, "program": program.code, **body}, format="json"
    )
    assert created.status_code == 201, created.json()
    application = Application.objects.get(pk=created.json()["id"])
    if upload:
        uploaded = owner_api.post(
            reverse("api:application-attachments", args=[application.pk]),
            {"kind": "certificate", "file": pdf()},
            format="multipart",
        )
        assert uploaded.status_code == 201
    return application


def submit(owner_api, application):
    return owner_api.post(
        reverse("api:application-transitions", args=[application.pk]), {"name": "submit"}, format="json"
    )


def assert_unchanged(application: Application) -> None:
    application.refresh_from_db()
    assert application.state == State.DRAFT
    assert application.submitted_at is None
    assert not ApplicationEvent.objects.filter(application=application).exists()


def test_a_missing_form_field_is_named(owner_api, open_call, program):
    application = draft(owner_api, open_call, program, a_good_body(form_data={"remarks": "无"}))

    response = submit(owner_api, application)

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "incomplete"
    assert body["fields"] == {"form_data.annual_revenue": ["请填写“上年度营业收入”"]}
    assert body["field_codes"] == {"form_data.annual_revenue": ["incomplete"]}
    assert_unchanged(application)


def test_unit_rows_are_named_by_position_and_field(owner_api, open_call, program):
    # given a first row that is fine, and a second one without its number, claim, or a date in the window
    units = [
        {"key": "CQC-2025-001", "claim_amount": "30000", "issued_on": last_year()},
        {"key": "", "claim_amount": None, "issued_on": "2019-05-01"},
    ]
    application = draft(owner_api, open_call, program, a_good_body(units=units))

    response = submit(owner_api, application)

    body = response.json()
    assert response.status_code == 400
    assert set(body["fields"]) == {"units.1.issued_on", "units.1.key", "units.1.claim_amount"}
    assert body["field_codes"]["units.1.issued_on"] == ["evidence_out_of_window"]
    assert body["field_codes"]["units.1.key"] == ["incomplete"]
    assert body["field_codes"]["units.1.claim_amount"] == ["incomplete"]
    assert "第2项" in body["fields"]["units.1.issued_on"][0]
    assert_unchanged(application)


def test_an_application_without_units_names_units(owner_api, open_call, program):
    application = draft(owner_api, open_call, program, a_good_body(units=[]))

    body = submit(owner_api, application).json()

    assert body["fields"] == {"units": ["请至少填写一项申报事项"]}
    assert_unchanged(application)


def test_a_missing_material_is_named_by_its_kind(owner_api, open_call, program):
    application = draft(owner_api, open_call, program, a_good_body(), upload=False)

    response = submit(owner_api, application)

    body = response.json()
    assert (response.status_code, body["code"]) == (400, "attachment_missing")
    assert body["fields"] == {"attachments.certificate": ["请上传“认证证书”"]}
    assert_unchanged(application)


def test_unticked_declarations_are_named_one_by_one(owner_api, open_call, program):
    declarations = {"truthful": True, "no_duplicate_funding": False, "accept_adjustment": False}
    application = draft(owner_api, open_call, program, a_good_body(declarations=declarations))

    response = submit(owner_api, application)

    body = response.json()
    assert (response.status_code, body["code"]) == (400, "declarations_missing")
    assert body["fields"] == {
        "declarations.no_duplicate_funding": ["请勾选“不多头申报承诺”"],
        "declarations.accept_adjustment": ["请勾选“接受折算调整”"],
    }
    assert_unchanged(application)


def test_every_problem_comes_in_one_round(owner_api, open_call, program):
    # given a draft wrong in every part at once
    body = a_good_body(
        units=[{"key": "", "claim_amount": None, "issued_on": None}],
        form_data={},
        declarations={"truthful": False, "no_duplicate_funding": True, "accept_adjustment": True},
    )
    application = draft(owner_api, open_call, program, body, upload=False)

    # when it is submitted
    response = submit(owner_api, application)

    # then one answer names them all, and the summary keeps every failed check
    answer = response.json()
    assert response.status_code == 400
    assert set(answer["fields"]) == {
        "units.0.issued_on",
        "units.0.key",
        "units.0.claim_amount",
        "form_data.annual_revenue",
        "attachments.certificate",
        "declarations.truthful",
    }
    assert answer["field_codes"]["attachments.certificate"] == ["attachment_missing"]
    for name in ("证明材料时间", "申报承诺", "申报材料", "申报内容"):
        assert name in answer["detail"]
    assert_unchanged(application)


def test_a_complete_draft_submits(owner_api, open_call, program):
    application = draft(owner_api, open_call, program, a_good_body())

    response = submit(owner_api, application)

    assert response.status_code == 200
    assert response.json()["state"] == State.SUBMITTED
