"""Creating or changing a draft through the API: every field error in one answer, each with its code, and amounts
read as a clerk types them."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from applications.models import Application
from programs.models import FieldType, FormField
from tests.factories import TierFactory
from tests.tokens import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_api(roles) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(roles['owner'])}")
    return api


@pytest.fixture
def program(certificate_program):
    FormField.objects.create(
        program=certificate_program, name="annual_revenue", label="上年度营业收入", field_type=FieldType.DECIMAL
    )
    FormField.objects.create(
        program=certificate_program, name="staff_count", label="职工人数", field_type=FieldType.INTEGER
    )
    return certificate_program


@pytest.fixture
def application(owner_api, open_call, program) -> Application:
    created = owner_api.post(
        reverse("api:application-list"),
        {"call": open_call.pk, "program": program.code, "units": [{"key": "CQC-1", "claim_amount": "1000"}]},
        format="json",
    )
    assert created.status_code == 201
    return Application.objects.get(pk=created.json()["id"])


def state_of(application: Application) -> tuple:
    application = Application.objects.get(pk=application.pk)
    return (
        application.form_data,
        list(application.units.values_list("key", "claim_amount", "issued_on")),
        list(application.targets.values_list("indicator", "target")),
    )


BAD_BODY = {
    "units": [
        {"key": "CQC-1", "tier": "no-such-tier", "claim_amount": "1000"},
        {"key": "CQC-2", "claim_amount": "-5"},
        {"key": "CQC-3", "issued_on": "2026-02-30"},
        {"key": "cqc-1", "claim_amount": "三千"},
    ],
    "form_data": {"annual_revenue": "很多", "staff_count": "12.5", "no_such_field": "1"},
    "targets": [{"indicator": "培训企业数量", "target": ""}],
}


def test_a_change_answers_every_field_error_in_one_round(owner_api, application):
    before = state_of(application)

    response = owner_api.patch(reverse("api:application-detail", args=[application.pk]), BAD_BODY, format="json")

    body = response.json()
    assert response.status_code == 400
    assert body["field_codes"] == {
        "units": ["tier_invalid", "negative_amount", "invalid_date", "invalid_amount", "duplicate_unit_key"],
        "form_data": ["form_field_unknown", "form_field_invalid", "form_field_invalid"],
        "targets": ["target_incomplete"],
    }
    assert [m.split("：")[0] for m in body["fields"]["units"]] == [
        "第1项",
        "第2项",
        "第3项",
        "第4项",
        "第4项的编号“cqc-1”与第1项重复",
    ]
    assert body["fields"]["form_data"][1:] == ["“上年度营业收入”格式不正确", "“职工人数”格式不正确"]
    assert body["code"] == "tier_invalid"
    assert state_of(application) == before


def test_a_create_answers_every_field_error_in_one_round(owner_api, open_call, program):
    response = owner_api.post(
        reverse("api:application-list"), {"call": open_call.pk, "program": program.code, **BAD_BODY}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["field_codes"]) == {"units", "form_data", "targets"}
    assert len(response.json()["fields"]["units"]) == 5
    assert Application.objects.count() == 0


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("30,000", Decimal("30000.00")),
        ("3万", Decimal("30000.00")),
        ("３００００", Decimal("30000.00")),
        ("1.5万元", Decimal("15000.00")),
        ("¥30,000.50", Decimal("30000.50")),
        (30000, Decimal("30000.00")),
    ],
)
def test_amounts_are_read_as_a_clerk_types_them(owner_api, application, typed, stored):
    response = owner_api.patch(
        reverse("api:application-detail", args=[application.pk]),
        {"units": [{"key": "CQC-1", "claim_amount": typed}]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["units"][0]["claim_amount"] == f"{stored:.2f}"
    assert application.units.get().claim_amount == stored


def test_numbers_in_form_fields_are_read_as_typed(owner_api, application):
    response = owner_api.patch(
        reverse("api:application-detail", args=[application.pk]),
        {"form_data": {"annual_revenue": "1,200.5", "staff_count": "１２０"}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert Application.objects.get(pk=application.pk).form_data == {"annual_revenue": "1200.5", "staff_count": 120}


@pytest.mark.parametrize("amount", [True, ["1000"], {"yuan": 1000}])
def test_an_amount_of_the_wrong_type_is_refused_before_the_service(owner_api, application, amount):
    before = state_of(application)

    response = owner_api.patch(
        reverse("api:application-detail", args=[application.pk]),
        {"units": [{"key": "CQC-1", "claim_amount": amount}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "not_amount"
    assert state_of(application) == before


def test_a_foreign_tier_and_a_bad_amount_of_the_same_row_both_come_back(owner_api, application):
    response = owner_api.patch(
        reverse("api:application-detail", args=[application.pk]),
        {"units": [{"key": "CQC-1", "tier": TierFactory().code, "claim_amount": "abc"}]},
        format="json",
    )

    assert response.json()["field_codes"] == {"units": ["tier_invalid", "invalid_amount"]}
