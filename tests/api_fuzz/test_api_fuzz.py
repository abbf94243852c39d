"""Schemathesis over the whole OpenAPI schema (``/api/v1/schema/``), in process, as anonymous, as an applicant and as
staff (intake, approver or finance, drawn per case).

Every operation of the schema is generated from the schema itself (positive and negative data; the examples,
coverage and fuzzing phases) and sent to the Django WSGI handler inside the test database. Ids and codes in the path
and body are often swapped for real ones (the applicant's drafts, an attachment, the open call, a publicity notice
and its entries, an issued award notice's code, a payout batch, transition names, material kinds) so that requests
reach the services and not only the 404 branch; only components generated valid are swapped (see
``with_real_values``).

Checks run on every response, and only these:

- ``not_a_server_error``: no 5xx, whatever the input;
- ``status_code_conformance``: the status is one the schema declares for the operation (so 400/403/404/409 must be
  declared where they can happen);
- ``content_type_conformance``: the Content-Type is one the schema declares for that status;
- ``response_schema_conformance``: the body matches the declared schema (errors: ``{code, detail, fields}``);
- ``negative_data_rejection``: a request that violates the schema is refused with a 4xx, not accepted (except
  form-encoded bodies, see ``negative_json_data_rejection``);
- ``error_detail_is_chinese`` (ours): every 4xx, declared or not (405, 415, ...), has a Chinese ``detail``.

Each generated request runs in a savepoint that is rolled back, so a deleted draft or a filed objection does not
change what the next example meets. Bounded by the ``api-fuzz`` Hypothesis profile below (derandomized, so CI sees
the same cases on every run).
"""

import re
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.rules import build_uscc
from tests.applications.conftest import valid_data

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def error_detail_is_chinese(ctx, response, case) -> None:
    """Every 4xx explains itself in Chinese (the body's shape is checked against the schema)."""
    if 400 <= response.status_code < 500:
        body = response.json()
        detail = body.get("detail", "") if isinstance(body, dict) else ""
        assert isinstance(detail, str) and CJK.search(detail), f"4xx detail is not Chinese: {detail!r}"


FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def negative_json_data_rejection(ctx, response, case) -> bool | None:
    """``negative_data_rejection`` for every request but form-encoded bodies.

    Form encoding turns every value into a string, so many of schemathesis's body mutations (a number for a string,
    an object for a field) arrive valid; for multipart it cannot always tell and flags such requests as accepted
    invalid data ("Invalid component: positive test case"). Form bodies are still held to every other check.
    """
    if case.media_type in FORM_MEDIA_TYPES:
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_json_data_rejection,
    error_detail_is_chinese,
]

settings.register_profile(
    "api-fuzz",
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    # Each example is a full request through Django and the services: slow by Hypothesis's standards.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# Schemathesis's own settings: a fixed seed, so that with derandomize CI meets the same cases on every run. Two
# runs per caller: the fuzzing phase (random cases, ids swapped for real ones) and the coverage and examples phases
# (cases derived systematically from the schema: boundaries, each constraint broken in turn, sent as generated).
# The stateful phase is CLI-only.
SEED = 20261107
FUZZING = schemathesis.Config.from_dict(
    {"seed": SEED, "phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}}}
)
COVERAGE = schemathesis.Config.from_dict({"seed": SEED, "phases": {"fuzzing": {"enabled": False}}})

fuzzing = schemathesis.pytest.from_fixture("fuzzing_schema")
coverage = schemathesis.pytest.from_fixture("coverage_schema")


@pytest.fixture
def fuzzing_schema(world, _in_process_requests):
    return schemathesis.openapi.from_wsgi("/api/v1/schema/", WSGIHandler(), config=FUZZING)


@pytest.fixture
def coverage_schema(world, _in_process_requests):
    return schemathesis.openapi.from_wsgi("/api/v1/schema/", WSGIHandler(), config=COVERAGE)


def _real_or(value: Any, real: list[Any]) -> st.SearchStrategy:
    """One of the real values three times in four, else the generated one."""
    return st.integers(min_value=0, max_value=3).flatmap(lambda n: st.sampled_from(real) if n else st.just(value))


def _generated_valid(case, location: ParameterLocation) -> bool:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return True
    component = meta.components.get(location)
    return component is not None and not component.mode.is_negative


def with_real_values(case, world, data) -> None:
    """Swap ids and codes for real ones in the path and the body, only where these were generated valid.

    A component generated invalid (negative mode) is sent as generated, so that ``negative_data_rejection`` judges
    what was really sent; a valid one stays valid, as every real value is.
    """
    key = (case.method.upper(), case.operation.path.removeprefix("/api/v1"))
    for location, table, attribute in (
        (ParameterLocation.PATH, world.path_values, "path_parameters"),
        (ParameterLocation.BODY, world.body_values, "body"),
    ):
        real = table.get(key)
        values = getattr(case, attribute)
        if not real or not isinstance(values, dict) or not _generated_valid(case, location):
            continue
        mixed = {name: data.draw(_real_or(v, real[name])) if real.get(name) else v for name, v in values.items()}
        setattr(case, attribute, mixed)


def call_and_validate(case, headers: dict[str, str]) -> None:
    with transaction.atomic():
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    case.validate_response(response, checks=CHECKS, headers=headers)


def _token(world, caller: str | None) -> dict[str, str]:
    return {"Authorization": f"Token {world.tokens[caller]}"} if caller else {}


@fuzzing.parametrize()
@fuzzing.given(data=st.data())
@settings(settings.get_profile("api-fuzz"))
def test_api_answers_random_anonymous_requests_as_its_schema_says(case, data, world):
    with_real_values(case, world, data)
    call_and_validate(case, {})


@fuzzing.parametrize()
@fuzzing.given(data=st.data())
@settings(settings.get_profile("api-fuzz"))
def test_api_answers_random_requests_of_the_applicant_as_its_schema_says(case, data, world):
    with_real_values(case, world, data)
    call_and_validate(case, _token(world, "applicant"))


STAFF_CALLERS = ("intake", "approver", "finance")


@fuzzing.parametrize()
@fuzzing.given(data=st.data())
@settings(settings.get_profile("api-fuzz"))
def test_api_answers_random_requests_of_staff_as_its_schema_says(case, data, world):
    with_real_values(case, world, data)
    call_and_validate(case, _token(world, data.draw(st.sampled_from(STAFF_CALLERS))))


def _json_operations(schema: dict) -> list[tuple[str, str]]:
    """(method, path) of every operation whose request body may be JSON."""
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


def _with_ids(path: str, world) -> str:
    """The path with each parameter replaced by a real value where the world has one (else 1)."""
    key = path.removeprefix("/api/v1")
    real = {name: values[0] for table in world.path_values.values() for name, values in table.items() if values}
    for name in re.findall(r"{(\w+)}", key):
        path = path.replace("{" + name + "}", str(real.get(name, 1)))
    return path


@pytest.mark.parametrize("caller", [None, "applicant", "intake", "finance"])
def test_every_json_operation_answers_a_body_nested_5000_deep_with_a_4xx(client, world, caller):
    """Schemathesis does not nest deeply; this sends every JSON operation a body 5,000 levels deep as each caller."""
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    api = APIClient()
    if caller:
        api.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[caller]}")
    body = '{"x": ' + "[" * 5000 + "]" * 5000 + "}"
    operations = _json_operations(schema)
    assert len(operations) >= 5

    answers = {
        (method, path): api.generic(method, _with_ids(path, world), body, content_type="application/json")
        for method, path in operations
    }

    assert {key: r.status_code for key, r in answers.items() if not 400 <= r.status_code < 500} == {}
    parsed_deep = {key for key, r in answers.items() if r.json().get("code") not in ("json_too_deep",)}
    # Anonymous and unauthorised callers may be refused before the body is read; nobody gets past the parser.
    assert all(answers[key].status_code in (401, 403, 404, 405) for key in parsed_deep)


@coverage.parametrize()
@settings(settings.get_profile("api-fuzz"))
def test_api_answers_systematic_anonymous_requests_as_its_schema_says(case):
    call_and_validate(case, {})


@coverage.parametrize()
@settings(settings.get_profile("api-fuzz"))
def test_api_answers_systematic_requests_of_the_applicant_as_its_schema_says(case, world):
    call_and_validate(case, _token(world, "applicant"))


NEW_ORGANISATION = {
    "uscc": build_uscc("91440300MA5FPC011"),
    "name": "深圳市接口注册有限公司",
    "org_type": "enterprise",
    "founded_on": "2018-01-01",
    "district": "futian",
    "registered_address": "深圳市福田区",
    "legal_representative": "王五",
    "contact_person": "王五",
    "contact_phone": "13800138000",
    "contact_email": "api@example.cn",
}

# Known-good requests: (method, path, caller, request parts from the world, expected status). The fuzzer seldom
# builds a fully valid body, so these make sure the success bodies match the schema too.
SUCCESSES = [
    (
        "POST",
        "/auth/token/",
        None,
        lambda w: {"body": {"username": w.objects["owner"].email, "password": "correct-horse-battery-9"}},
        200,
    ),
    ("POST", "/organisation/", "newcomer", lambda w: {"body": NEW_ORGANISATION}, 201),
    (
        "POST",
        "/applications/",
        "applicant",
        lambda w: {"body": {"call": w.objects["call"].pk, "program": w.objects["draft"].program.code, **valid_data()}},
        201,
    ),
    (
        "PATCH",
        "/applications/{id}/",
        "applicant",
        lambda w: {"path_parameters": {"id": w.objects["draft"].pk}, "body": valid_data()},
        200,
    ),
    (
        "POST",
        "/applications/{id}/transitions/",
        "applicant",
        lambda w: {"path_parameters": {"id": w.objects["draft"].pk}, "body": {"name": "submit"}},
        200,
    ),
    (
        "POST",
        "/publicity/{id}/objections/",
        None,
        lambda w: {
            "path_parameters": {"id": w.objects["notice"].pk},
            "body": {"name": "张三", "phone": "13800138000", "content": "该企业的认证证书已被撤销。"},
        },
        201,
    ),
    ("GET", "/payout-batches/", "finance", lambda w: {}, 200),
    (
        "GET",
        "/payout-batches/{id}/",
        "finance",
        lambda w: {"path_parameters": {"id": w.objects["batch"].pk}},
        200,
    ),
    (
        "GET",
        "/calls/{call_id}/allocation-runs/",
        "approver",
        lambda w: {"path_parameters": {"call_id": w.objects["call"].pk}},
        200,
    ),
]


def test_success_responses_match_the_schema(fuzzing_schema, world, subtests):
    for method, path, caller, parts, expected in SUCCESSES:
        with subtests.test(msg=f"{method} {path}"):
            case = fuzzing_schema[f"/api/v1{path}"][method].Case(media_type="application/json", **parts(world))

            with transaction.atomic():
                response = case.call(headers=_token(world, caller))
                transaction.set_rollback(True)

            assert response.status_code == expected, response.text
            case.validate_response(response, checks=CHECKS, headers=_token(world, caller))
