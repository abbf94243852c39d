"""The answer to a write shows the eligibility the service just computed, without assessing a second time.

The load benchmark (benchmarks/load.py) found that every create, PATCH and submit ran the whole assessment twice:
once in the service and once again for the response body.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from applications import services
from applications.models import Application
from tests.applications.conftest import certificate_units, pdf, valid_data
from tests.tokens import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_api(roles) -> APIClient:
    key = token_for(roles["owner"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def assessments_run(queries: CaptureQueriesContext) -> int:
    """Each assessment looks up the organisation's sanctions exactly once."""
    return sum('FROM "accounts_sanction"' in q["sql"] for q in queries.captured_queries)


def detail(api: APIClient, pk: int) -> dict:
    return api.get(reverse("api:application-detail", args=[pk])).json()


def test_create_and_patch_answer_with_the_services_assessment(owner_api, open_call, certificate_program):
    with CaptureQueriesContext(connection) as queries:
        created = owner_api.post(
            reverse("api:application-list"),
            {"call": open_call.pk, "program": certificate_program.code, **valid_data(units=certificate_units("50000"))},
            format="json",
        )
    assert created.status_code == 201
    assert assessments_run(queries) == 1
    pk = created.json()["id"]
    assert created.json()["eligibility"] == detail(owner_api, pk)["eligibility"]

    with CaptureQueriesContext(connection) as queries:
        patched = owner_api.patch(
            reverse("api:application-detail", args=[pk]),
            {"units": certificate_units("50000", "60000")},
            format="json",
        )
    assert patched.status_code == 200
    assert assessments_run(queries) == 1
    body = patched.json()
    assert body["eligibility"] == detail(owner_api, pk)["eligibility"]
    assert [c["number"] for c in body["eligibility"] if not c["passed"]] == ["M1"]  # still no certificate scan


def test_submit_answers_with_the_assessment_it_passed(owner_api, roles, open_call, certificate_program):
    application = services.create_application(
        actor=roles["owner"], call=open_call, program=certificate_program, data=valid_data(units=certificate_units("1"))
    )
    services.add_attachment(application=application, actor=roles["owner"], kind="certificate", uploaded_file=pdf())

    with CaptureQueriesContext(connection) as queries:
        submitted = owner_api.post(
            reverse("api:application-transitions", args=[application.pk]), {"name": "submit"}, format="json"
        )

    assert submitted.status_code == 200
    assert submitted.json()["state"] == "submitted"
    assert assessments_run(queries) == 1
    assert submitted.json()["eligibility"] == detail(owner_api, application.pk)["eligibility"]


def read_body_after_write(user, pk: int, fallback: Application) -> dict:
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from applications.api import _read_body

    request = Request(APIRequestFactory().get("/"))
    request.user = user
    return _read_body(request, pk, fallback=fallback)


@pytest.mark.parametrize("change", ["row", "upload"])
def test_a_change_made_after_the_write_is_assessed_afresh(roles, open_call, certificate_program, change):
    """The shortcut holds only while the application is as the service left it."""
    owner = roles["owner"]
    written = services.create_application(
        actor=owner, call=open_call, program=certificate_program, data=valid_data(units=certificate_units("1"))
    )
    assert not written.latest_assessment.is_eligible  # no certificate scan yet
    if change == "row":  # e.g. another member's PATCH committed in between
        written.declaration_truthful = False
        Application.objects.filter(pk=written.pk).update(declaration_truthful=False, updated_at=timezone.now())
    else:  # another member's upload (which leaves the application row alone)
        services.add_attachment(
            application=Application.objects.get(pk=written.pk), actor=owner, kind="certificate", uploaded_file=pdf()
        )

    body = read_body_after_write(owner, written.pk, written)

    failed = [c["number"] for c in body["eligibility"] if not c["passed"]]
    assert failed == (["E8", "M1"] if change == "row" else [])


def test_unchanged_application_reuses_the_assessment(roles, open_call, certificate_program):
    owner = roles["owner"]
    written = services.create_application(
        actor=owner, call=open_call, program=certificate_program, data=valid_data(units=certificate_units("1"))
    )
    with CaptureQueriesContext(connection) as queries:
        body = read_body_after_write(owner, written.pk, written)
    assert assessments_run(queries) == 0
    assert [c["number"] for c in body["eligibility"] if not c["passed"]] == ["M1"]


def row_statements(queries: CaptureQueriesContext) -> list[str]:
    """The statements that read or write rows: not BEGIN, COMMIT or SAVEPOINT, which differ by backend."""
    return [q["sql"] for q in queries.captured_queries if q["sql"].split(None, 1)[0] in {"SELECT", "INSERT", "UPDATE"}]


# What each step of the load benchmark's journey (benchmarks/load.py) costs, as measured: token (with its user and
# membership), the permission check, the row under its lock, the assessment, the writes and the answer's body.
# The counts do not depend on the data; a change that adds a statement to deadline day's requests shows here.
# The caps and the keys funded once ever are counted in one query (counted_elsewhere).
JOURNEY_STATEMENTS = {"create": 20, "fill": 22, "upload": 5, "submit": 24}


def test_the_deadline_day_journey_costs_a_known_number_of_statements(owner_api, open_call, certificate_program):
    counts: dict[str, int] = {}

    def step(name: str, send) -> dict:
        with CaptureQueriesContext(connection) as queries:
            response = send()
        assert response.status_code in (200, 201), response.content
        counts[name] = len(row_statements(queries))
        return response.json()

    created = step(
        "create",
        lambda: owner_api.post(
            reverse("api:application-list"), {"call": open_call.pk, "program": certificate_program.code}, format="json"
        ),
    )
    detail_url = reverse("api:application-detail", args=[created["id"]])
    step(
        "fill",
        lambda: owner_api.patch(detail_url, valid_data(units=certificate_units("50000", "36000")), format="json"),
    )
    upload_url = reverse("api:application-attachments", args=[created["id"]])
    step("upload", lambda: owner_api.post(upload_url, {"kind": "certificate", "file": pdf()}, format="multipart"))
    transitions_url = reverse("api:application-transitions", args=[created["id"]])
    submitted = step("submit", lambda: owner_api.post(transitions_url, {"name": "submit"}, format="json"))

    assert submitted["state"] == "submitted"
    assert counts == JOURNEY_STATEMENTS


def test_a_write_checks_permission_on_the_id_alone_and_reads_the_row_under_its_lock(
    owner_api, roles, open_call, certificate_program
):
    application = services.create_application(actor=roles["owner"], call=open_call, program=certificate_program)

    with CaptureQueriesContext(connection) as queries:
        response = owner_api.post(
            reverse("api:application-attachments", args=[application.pk]),
            {"kind": "certificate", "file": pdf()},
            format="multipart",
        )

    assert response.status_code == 201
    reads = [sql for sql in row_statements(queries) if sql.startswith("SELECT") and '"applications_application"' in sql]
    permission_check, locked_read = reads
    assert '"applications_application"."reference"' not in permission_check  # the id alone
    assert "JOIN" not in locked_read  # an upload needs none of the joined rows
