"""The applications part of the REST API (SPEC §8): the applicant's round trip, coded errors that change
nothing, who sees and may do what, and a list whose cost does not grow with its length."""

import hashlib
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from applications import services
from applications.models import Application, ApplicationEvent, Attachment
from review.models import ExpertAssignment
from tests import stages
from tests.applications.conftest import PDF_BYTES, certificate_units, pdf, valid_data
from tests.factories import TierFactory
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

ELIGIBILITY_NUMBERS = ["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9", "M1", "U1"]
ROLE_KEYS = ("anonymous", "owner", "other", "intake", "expert", "approver", "finance", "administrator")


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def as_user(api: APIClient, user) -> APIClient:
    """Authenticate the client with a real API token (or as nobody)."""
    if user is None:
        api.credentials()
    else:
        api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return api


def list_url() -> str:
    return reverse("api:application-list")


def detail_url(application) -> str:
    return reverse("api:application-detail", args=[application.pk])


def attachments_url(application) -> str:
    return reverse("api:application-attachments", args=[application.pk])


def attachment_url(attachment) -> str:
    return reverse("api:application-attachment-detail", args=[attachment.application_id, attachment.pk])


def transitions_url(application) -> str:
    return reverse("api:application-transitions", args=[application.pk])


def snapshot(application: Application) -> tuple:
    """Everything a refused request must leave as it was."""
    application = Application.objects.get(pk=application.pk)
    return (
        application.state,
        application.form_data,
        (
            application.declaration_truthful,
            application.declaration_no_duplicate_funding,
            application.declaration_accept_adjustment,
        ),
        list(application.units.values_list("key", "tier_id", "claim_amount", "issued_on").order_by("position")),
        list(application.targets.values_list("indicator", "target", "unit").order_by("position")),
        sorted(application.attachments.values_list("kind", "sha256")),
        application.standard_amount,
        application.updated_at,
        ApplicationEvent.objects.filter(application=application).count(),
    )


def error(response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


@pytest.fixture
def certificate_draft(roles, open_call, certificate_program):
    """A P8-3-like draft of the owner that is ready to submit (unless told otherwise)."""

    def make(*claims: str, with_attachment: bool = True, **overrides) -> Application:
        application = services.create_application(
            actor=roles["owner"],
            call=open_call,
            program=certificate_program,
            data=valid_data(units=certificate_units(*claims), **overrides),
        )
        if with_attachment:
            services.add_attachment(
                application=application, actor=roles["owner"], kind="certificate", uploaded_file=pdf()
            )
        return application

    return make


# --- the applicant's round trip ----------------------------------------------------------------


def test_an_owner_creates_edits_uploads_and_submits_with_a_token(api, roles, open_call, certificate_program, password):
    # given an applicant who exchanges email and password for a token
    owner = roles["owner"]
    token = api.post(reverse("api:token"), {"username": owner.email, "password": password}, format="json")
    assert token.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    # when they start a draft with one certificate
    created = api.post(
        list_url(),
        {"call": open_call.pk, "program": certificate_program.code, **valid_data(units=certificate_units("50000"))},
        format="json",
    )

    # then the draft is theirs and the read body says what it is
    assert created.status_code == 201
    body = created.json()
    application = Application.objects.get(pk=body["id"])
    assert application.organisation_id == owner.membership.organisation_id
    assert body["reference"] == f"ZLPP-{open_call.year}-{application.pk:06d}"
    assert body["call"] == open_call.pk
    assert body["call_title"] == open_call.title
    assert body["program"] == certificate_program.code
    assert body["program_name"] == certificate_program.name
    assert body["organisation"] == owner.membership.organisation.name
    assert (body["state"], body["state_label"]) == ("draft", "草稿")
    assert body["standard_amount"] == "50000.00"
    assert body["allocated_amount"] is None
    assert body["declarations"] == {"truthful": True, "no_duplicate_funding": True, "accept_adjustment": True}
    assert body["targets"] == [{"indicator": "培训企业数量", "target": "50", "unit": "家"}]
    assert body["available_transitions"] == ["submit", "withdraw"]
    assert body["events"] == []
    assert body["attachments"] == []
    assert body["award_notice_url"] is None
    assert body["submitted_at"] is None

    # when they add a second certificate
    units = certificate_units("50000", "32000")
    patched = api.patch(detail_url(application), {"units": units}, format="json")

    # then both count, and only the missing certificate scan stands between them and submission
    assert patched.status_code == 200
    body = patched.json()
    assert body["claimed_amount"] == "82000.00"
    assert body["standard_amount"] == "82000.00"
    assert body["units"] == [
        {
            "key": "CQC-2026-001",
            "tier": None,
            "claim_amount": "50000.00",
            "issued_on": units[0]["issued_on"],
            "description": "",
            "counted_amount": "50000.00",
            "reason_code": "",
            "reason": "",
        },
        {
            "key": "CQC-2026-002",
            "tier": None,
            "claim_amount": "32000.00",
            "issued_on": units[1]["issued_on"],
            "description": "",
            "counted_amount": "32000.00",
            "reason_code": "",
            "reason": "",
        },
    ]
    assert [c["number"] for c in body["eligibility"]] == ELIGIBILITY_NUMBERS
    assert set(body["eligibility"][0]) == {"number", "code", "name", "passed", "message"}
    # Each check has one stable code, the one a refused submission gives (E1's is applicant_type_not_allowed).
    assert body["eligibility"][0]["code"] == "applicant_type_not_allowed"
    assert [c["number"] for c in body["eligibility"] if not c["passed"]] == ["M1"]
    assert body["available_transitions"] == ["submit", "withdraw"]

    # when they upload the certificate scan
    uploaded = api.post(attachments_url(application), {"kind": "certificate", "file": pdf()}, format="multipart")

    # then it is stored with its digest and offered through the permission-checked download page
    assert uploaded.status_code == 201
    attachment = Attachment.objects.get(application=application)
    upload_body = uploaded.json()
    assert parse_datetime(upload_body.pop("uploaded_at")) == attachment.uploaded_at
    assert upload_body == {
        "id": attachment.pk,
        "kind": "certificate",
        "name": "证书.pdf",
        "size": len(PDF_BYTES),
        "content_type": "application/pdf",
        "sha256": hashlib.sha256(PDF_BYTES).hexdigest(),
        "url": "http://testserver"
        + reverse("applications:attachment", kwargs={"pk": application.pk, "attachment_pk": attachment.pk}),
    }
    detail = api.get(detail_url(application)).json()
    assert [c["number"] for c in detail["eligibility"] if not c["passed"]] == []
    assert [a["id"] for a in detail["attachments"]] == [attachment.pk]

    # when they submit
    submitted = api.post(transitions_url(application), {"name": "submit", "comment": ""}, format="json")

    # then it is submitted with one event naming them
    assert submitted.status_code == 200
    body = submitted.json()
    assert (body["state"], body["state_label"]) == ("submitted", "已提交")
    assert body["available_transitions"] == ["withdraw"]
    assert body["submitted_at"] is not None
    event = ApplicationEvent.objects.get(application=application)
    assert body["events"] == [
        {
            "name": "submit",
            "label": "提交申报",  # the applicant's words for the step
            "from_state": "draft",
            "to_state": "submitted",
            "actor": owner.full_name,
            "at": body["events"][0]["at"],
            "comment": "",
        }
    ]
    assert parse_datetime(body["events"][0]["at"]) == event.at
    application.refresh_from_db()
    assert application.state == "submitted"


def test_an_owner_does_the_same_with_a_browser_session_and_csrf_token(roles, open_call, certificate_program):
    # given a signed-in browser session that must send the CSRF token on writes
    owner = roles["owner"]
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(owner)
    body = {"call": open_call.pk, "program": certificate_program.code, **valid_data(units=certificate_units("50000"))}

    # when a write arrives without the token, then it is refused and nothing is created
    refused = api.post(list_url(), body, format="json")
    assert refused.status_code == 403
    assert Application.objects.count() == 0

    # when the token is sent, then create, patch, upload and submit all work
    secret = "A" * 32
    api.cookies["csrftoken"] = secret
    created = api.post(list_url(), body, format="json", HTTP_X_CSRFTOKEN=secret)
    assert created.status_code == 201
    application = Application.objects.get(pk=created.json()["id"])
    patched = api.patch(
        detail_url(application),
        {"units": certificate_units("50000", "32000")},
        format="json",
        HTTP_X_CSRFTOKEN=secret,
    )
    assert patched.json()["standard_amount"] == "82000.00"
    uploaded = api.post(
        attachments_url(application),
        {"kind": "certificate", "file": pdf()},
        format="multipart",
        HTTP_X_CSRFTOKEN=secret,
    )
    assert uploaded.status_code == 201
    submitted = api.post(transitions_url(application), {"name": "submit"}, format="json", HTTP_X_CSRFTOKEN=secret)
    assert submitted.status_code == 200
    assert submitted.json()["state"] == "submitted"
    assert api.get(list_url()).json()["results"][0]["state_label"] == "已提交"


def test_the_list_shows_only_the_requesting_organisations_applications(api, roles, make_application):
    # given one draft of the owner's organisation
    application = make_application("draft")

    # when the owner and another organisation list applications
    own = as_user(api, roles["owner"]).get(list_url())
    others = as_user(api, roles["other"]).get(list_url())

    # then the owner sees it, paginated, and the other organisation sees nothing
    assert own.status_code == 200
    body = own.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    row = body["results"][0]
    assert (row["id"], row["state"], row["state_label"], row["unit_count"]) == (application.pk, "draft", "草稿", 1)
    assert row["standard_amount"] == "300000.00"
    assert row["available_transitions"] == ["submit", "withdraw"]
    assert others.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_create_refused_by_the_service_leaves_nothing_behind(api, roles, open_call, certificate_program):
    # given a tier of a different program
    foreign_tier = TierFactory()

    # when a draft is created with it
    response = as_user(api, roles["owner"]).post(
        list_url(),
        {
            "call": open_call.pk,
            "program": certificate_program.code,
            "units": [{"key": "CQC-1", "tier": foreign_tier.code, "claim_amount": "1000.00"}],
        },
        format="json",
    )

    # then the service's code reaches the client and no application exists
    assert error(response) == (400, "tier_invalid")
    assert list(response.json()["fields"]) == ["units"]
    assert Application.objects.count() == 0


# --- bad input: 400 with the service's code, and the draft unchanged -----------------------------


def test_a_duplicate_unit_key_is_refused(api, roles, certificate_draft):
    application = certificate_draft("50000")
    before = snapshot(application)
    units = [{"key": "CQC-2026-101", "claim_amount": "1000"}, {"key": "CQC-2026-101", "claim_amount": "2000"}]

    response = as_user(api, roles["owner"]).patch(detail_url(application), {"units": units}, format="json")

    assert error(response) == (400, "duplicate_unit_key")
    assert list(response.json()["fields"]) == ["units"]
    assert snapshot(application) == before


def test_a_tier_of_another_program_is_refused(api, roles, certificate_draft):
    application = certificate_draft("50000")
    before = snapshot(application)
    units = [{"key": "CQC-2026-101", "tier": TierFactory().code, "claim_amount": "1000"}]

    response = as_user(api, roles["owner"]).patch(detail_url(application), {"units": units}, format="json")

    assert error(response) == (400, "tier_invalid")
    assert snapshot(application) == before


def test_a_negative_claim_is_refused(api, roles, certificate_draft):
    application = certificate_draft("50000")
    before = snapshot(application)
    units = [{"key": "CQC-2026-101", "claim_amount": "-1.00"}]

    response = as_user(api, roles["owner"]).patch(detail_url(application), {"units": units}, format="json")

    assert error(response) == (400, "negative_amount")
    assert snapshot(application) == before


def test_an_unknown_form_field_is_refused(api, roles, certificate_draft):
    application = certificate_draft("50000")
    before = snapshot(application)

    response = as_user(api, roles["owner"]).patch(
        detail_url(application), {"form_data": {"no_such_field": "1"}}, format="json"
    )

    assert error(response) == (400, "form_field_unknown")
    assert list(response.json()["fields"]) == ["form_data"]
    assert snapshot(application) == before


def test_a_body_of_the_wrong_shape_is_refused_before_the_service(api, roles, certificate_draft):
    application = certificate_draft("50000")
    before = snapshot(application)

    response = as_user(api, roles["owner"]).patch(
        detail_url(application), {"units": {"key": "not a list"}, "declarations": "yes"}, format="json"
    )

    assert response.status_code == 400
    assert sorted(response.json()["fields"]) == ["declarations", "units"]
    assert snapshot(application) == before


def test_an_executable_renamed_pdf_is_refused(api, roles, certificate_draft):
    application = certificate_draft("50000")
    before = snapshot(application)
    executable = SimpleUploadedFile(
        "证书.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, content_type="application/pdf"
    )

    response = as_user(api, roles["owner"]).post(
        attachments_url(application), {"kind": "certificate", "file": executable}, format="multipart"
    )

    assert error(response) == (400, "file_type_not_allowed")
    assert list(response.json()["fields"]) == ["file"]
    assert snapshot(application) == before


def test_a_file_over_the_limit_is_refused(api, roles, certificate_draft, settings):
    application = certificate_draft("50000")
    before = snapshot(application)
    settings.FILE_UPLOAD_MAX_BYTES = len(PDF_BYTES) - 1

    response = as_user(api, roles["owner"]).post(
        attachments_url(application), {"kind": "certificate", "file": pdf()}, format="multipart"
    )

    assert error(response) == (400, "file_too_large")
    assert snapshot(application) == before


def test_submitting_without_every_declaration_is_refused(api, roles, certificate_draft):
    application = certificate_draft(
        "50000", declarations={"truthful": True, "no_duplicate_funding": False, "accept_adjustment": True}
    )
    before = snapshot(application)

    response = as_user(api, roles["owner"]).post(transitions_url(application), {"name": "submit"}, format="json")

    assert error(response) == (400, "declarations_missing")
    assert snapshot(application) == before


def test_submitting_without_a_required_attachment_is_refused(api, roles, certificate_draft):
    application = certificate_draft("50000", with_attachment=False)
    before = snapshot(application)

    response = as_user(api, roles["owner"]).post(transitions_url(application), {"name": "submit"}, format="json")

    assert error(response) == (400, "attachment_missing")
    assert snapshot(application) == before


def test_submitting_after_the_call_closed_is_refused(api, roles, certificate_draft, open_call):
    application = certificate_draft("50000")
    open_call.closes_at = timezone.now() - timedelta(minutes=1)
    open_call.save(update_fields=["closes_at"])
    before = snapshot(application)

    response = as_user(api, roles["owner"]).post(transitions_url(application), {"name": "submit"}, format="json")

    assert error(response) == (400, "call_closed")
    assert snapshot(application) == before


def test_submitting_a_certificate_past_the_yearly_cap_is_refused(api, roles, certificate_draft):
    # given four certificates where the program funds three a year
    application = certificate_draft("50000", "50000", "32000", "10000")
    before = snapshot(application)

    response = as_user(api, roles["owner"]).post(transitions_url(application), {"name": "submit"}, format="json")

    assert error(response) == (400, "yearly_cap_reached")
    assert snapshot(application) == before
    detail = api.get(detail_url(application)).json()
    assert [u["reason_code"] for u in detail["units"]] == ["", "", "", "yearly_cap_reached"]
    assert [(c["number"], c["code"]) for c in detail["eligibility"] if not c["passed"]] == [
        ("E6", "yearly_cap_reached")
    ]


def test_an_unknown_transition_name_is_refused(api, roles, make_application):
    application = make_application("draft")
    before = snapshot(application)

    response = as_user(api, roles["owner"]).post(transitions_url(application), {"name": "approve_all"}, format="json")

    assert error(response) == (400, "transition_unknown")
    assert snapshot(application) == before


def test_a_return_without_a_reason_is_refused(api, roles, make_application):
    application = make_application("submitted")
    before = snapshot(application)

    response = as_user(api, roles["intake"]).post(
        transitions_url(application),
        {"name": "return", "reason": " ", "due_on": (date.today() + timedelta(days=7)).isoformat()},
        format="json",
    )

    assert error(response) == (400, "reason_required")
    assert snapshot(application) == before


# --- authorization matrix ----------------------------------------------------------------------


@pytest.fixture
def prepared(roles, make_application):
    """An application of the owner with one attachment, walked to ``state`` through the stages."""

    def make(state: str) -> Application:
        application = make_application("draft")
        services.add_attachment(application=application, actor=roles["owner"], kind="other", uploaded_file=pdf())
        return stages.walk(application, state, roles)

    return make


def do_get(api, application):
    return api.get(detail_url(application))


def do_patch(api, application):
    body = {"targets": [{"indicator": "新增认证证书", "target": "2", "unit": "张"}]}
    return api.patch(detail_url(application), body, format="json")


def do_delete(api, application):
    return api.delete(detail_url(application))


def do_upload(api, application):
    return api.post(attachments_url(application), {"kind": "other", "file": pdf("补充.pdf")}, format="multipart")


def do_delete_attachment(api, application):
    return api.delete(attachment_url(application.attachments.get()))


def do_transition(api, application):
    # the natural next step: the owner submits a draft, intake accepts a submitted application
    name = "submit" if application.state == "draft" else "accept"
    return api.post(transitions_url(application), {"name": name, "comment": "材料齐全"}, format="json")


ACTIONS = {
    "get": do_get,
    "patch": do_patch,
    "delete": do_delete,
    "upload": do_upload,
    "delete_attachment": do_delete_attachment,
    "transition": do_transition,
}
# Another organisation, an unassigned expert and finance (before awarded) never see it; drafts are the owner's only.
UNSEEN = {"anonymous": 403, "other": 404, "expert": 404, "finance": 404}
ONLY_OWNER = {**UNSEEN, "intake": 404, "approver": 404, "administrator": 404}
EXPECTED = {
    ("get", "draft"): {**ONLY_OWNER, "owner": 200},
    ("get", "submitted"): {**UNSEEN, "owner": 200, "intake": 200, "approver": 200, "administrator": 200},
    ("patch", "draft"): {**ONLY_OWNER, "owner": 200},
    ("patch", "submitted"): {**UNSEEN, "owner": 409, "intake": 403, "approver": 403, "administrator": 403},
    ("delete", "draft"): {**ONLY_OWNER, "owner": 204},
    ("delete", "submitted"): {**UNSEEN, "owner": 409, "intake": 403, "approver": 403, "administrator": 403},
    ("upload", "draft"): {**ONLY_OWNER, "owner": 201},
    ("upload", "submitted"): {**UNSEEN, "owner": 409, "intake": 403, "approver": 403, "administrator": 403},
    ("delete_attachment", "draft"): {**ONLY_OWNER, "owner": 204},
    ("delete_attachment", "submitted"): {
        **UNSEEN,
        "owner": 409,
        "intake": 403,
        "approver": 403,
        "administrator": 403,
    },
    ("transition", "draft"): {**ONLY_OWNER, "owner": 200},
    ("transition", "submitted"): {**UNSEEN, "owner": 403, "intake": 200, "approver": 403, "administrator": 403},
}
CONFLICT_CODES = {
    "patch": "not_editable",
    "delete": "not_deletable",
    "upload": "not_editable",
    "delete_attachment": "not_editable",
}
MATRIX = [
    pytest.param(action, state, role, expected[role], id=f"{action}-{state}-{role}")
    for (action, state), expected in EXPECTED.items()
    for role in ROLE_KEYS
]


def test_the_matrix_names_every_role_for_every_cell():
    assert all(set(expected) == set(ROLE_KEYS) for expected in EXPECTED.values())


@pytest.mark.parametrize(("action", "state", "role", "expected"), MATRIX)
def test_who_may_do_what_with_an_application(api, roles, prepared, action, state, role, expected):
    # given an application in ``state`` and a user in ``role``
    application = prepared(state)
    before = snapshot(application)
    attachments_before = application.attachments.count()
    as_user(api, None if role == "anonymous" else roles[role])

    # when the user tries the action
    response = ACTIONS[action](api, application)

    # then the status is as the matrix says, and a refusal changes nothing
    assert response.status_code == expected
    if expected >= 400:
        code = response.json()["code"]
        if expected == 404:
            assert code == "not_found"
        elif expected == 403:
            assert code == ("not_authenticated" if role == "anonymous" else "permission_denied")
        else:
            assert code == CONFLICT_CODES[action]
        assert snapshot(application) == before
        return
    if action == "delete":
        assert not Application.objects.filter(pk=application.pk).exists()
        return
    application.refresh_from_db()
    if action == "get":
        assert response.json()["id"] == application.pk
    elif action == "patch":
        assert response.json()["targets"] == [{"indicator": "新增认证证书", "target": "2", "unit": "张"}]
    elif action == "upload":
        assert application.attachments.count() == attachments_before + 1
    elif action == "delete_attachment":
        assert application.attachments.count() == attachments_before - 1
    elif action == "transition":
        expected_state = "submitted" if state == "draft" else "accepted"
        assert (response.json()["state"], application.state) == (expected_state, expected_state)
        assert ApplicationEvent.objects.filter(application=application).count() == before[-1] + 1


def test_anonymous_users_cannot_list_or_create(api, open_call, fixed_program):
    listed = api.get(list_url())
    created = api.post(list_url(), {"call": open_call.pk, "program": fixed_program.code}, format="json")

    assert error(listed) == (403, "not_authenticated")
    assert error(created) == (403, "not_authenticated")
    assert Application.objects.count() == 0


def test_staff_without_an_organisation_cannot_create_applications(api, roles, open_call, fixed_program):
    response = as_user(api, roles["intake"]).post(
        list_url(), {"call": open_call.pk, "program": fixed_program.code}, format="json"
    )

    assert error(response) == (403, "permission_denied")
    assert Application.objects.count() == 0


def test_an_expert_sees_an_application_only_once_assigned_and_clear_of_conflict(api, roles, make_application):
    # given a submitted application and an expert
    application = make_application("submitted")
    expert = as_user(api, roles["expert"])
    assert expert.get(detail_url(application)).status_code == 404
    assert expert.get(list_url()).json()["count"] == 0

    # when the expert is assigned to it, it stays hidden until they declare no conflict of interest
    assignment = ExpertAssignment.objects.create(
        application=application, expert=roles["expert"], assigned_by=roles["approver"]
    )
    assert expert.get(detail_url(application)).status_code == 404
    assignment.no_conflict_confirmed_at = timezone.now()
    assignment.save()

    # then they see it, with the staff label, but may not take an intake officer's step
    detail = expert.get(detail_url(application))
    assert detail.status_code == 200
    assert (detail.json()["state_label"], detail.json()["available_transitions"]) == ("已提交（待受理）", [])
    assert [row["id"] for row in expert.get(list_url()).json()["results"]] == [application.pk]
    before = snapshot(application)
    assert error(expert.post(transitions_url(application), {"name": "accept"}, format="json")) == (
        403,
        "permission_denied",
    )
    assert snapshot(application) == before


@pytest.mark.parametrize(("state", "expected"), [("submitted", 404), ("in_publicity", 404), ("awarded", 200)])
def test_finance_sees_applications_from_awarded_on(api, roles, make_application, state, expected):
    application = make_application(state)

    response = as_user(api, roles["finance"]).get(detail_url(application))

    assert response.status_code == expected
    if expected == 200:
        assert response.json()["state_label"] == "已核准（待拨付）"
        # disburse is the payout stage's (a paid line), never offered to the generic transitions endpoint
        assert response.json()["available_transitions"] == []


@pytest.mark.parametrize(
    ("state", "name", "role"),
    [
        ("submitted", "submit", "owner"),
        ("submitted", "approve", "approver"),
        ("accepted", "accept", "intake"),
        ("withdrawn", "withdraw", "owner"),
        ("awarded", "approve", "approver"),
    ],
)
def test_a_transition_the_state_does_not_allow_is_a_conflict(api, roles, make_application, state, name, role):
    application = make_application(state)
    before = snapshot(application)

    response = as_user(api, roles[role]).post(transitions_url(application), {"name": name}, format="json")

    assert error(response) == (409, "transition_not_allowed")
    assert snapshot(application) == before


# Stage-driven transitions, by who would otherwise be allowed them, from the state each leaves; the owner too.
STAGE_DRIVEN_REQUESTS = [
    ("approved", "publish", "approver"),
    ("in_publicity", "confirm", "approver"),
    ("in_publicity", "revoke", "approver"),
    ("awarded", "disburse", "finance"),
    ("disbursed", "evaluate", "intake"),
    ("disbursed", "claw_back", "approver"),
    ("evaluated", "close", "approver"),
    ("clawback", "close", "finance"),
    ("awarded", "confirm", "owner"),
    ("draft", "publish", "owner"),
]


@pytest.mark.parametrize(("state", "name", "role"), STAGE_DRIVEN_REQUESTS)
def test_a_stage_driven_transition_is_a_409_driven_by_stage_and_changes_nothing(
    api, roles, make_application, state, name, role
):
    # Given an application in the state the transition leaves, reached through the stages
    application = make_application(state)
    before = snapshot(application)

    # When the role that used to take it asks the generic endpoint for it
    response = as_user(api, roles[role]).post(
        transitions_url(application), {"name": name, "reason": "异议成立", "comment": ""}, format="json"
    )

    # Then it is refused as the stage's, with a message saying where it happens, and nothing changes
    assert error(response) == (409, "transition_driven_by_stage")
    assert response.json()["detail"]
    assert snapshot(application) == before


def test_stage_driven_transitions_are_never_offered_as_available(api, roles, make_application):
    stage_driven = set(stages.STAGE_STEPS)
    # (in_publicity last: the close job that awards the others would confirm it too)
    for state, role in [
        ("approved", "approver"),
        ("awarded", "finance"),
        ("disbursed", "intake"),
        ("disbursed", "approver"),
        ("in_publicity", "approver"),
    ]:
        application = make_application(state)

        body = as_user(api, roles[role]).get(detail_url(application)).json()

        assert not stage_driven & set(body["available_transitions"]), (state, role, body["available_transitions"])


def test_staff_see_staff_labels_and_names_while_the_applicant_sees_labels_and_roles(api, roles, make_application):
    # given a submitted application
    application = make_application("submitted")

    # when intake accepts it through the API
    accepted = as_user(api, roles["intake"]).post(
        transitions_url(application), {"name": "accept", "comment": "材料齐全"}, format="json"
    )

    # then staff read the staff label and the officer's name
    assert accepted.status_code == 200
    body = accepted.json()
    assert (body["state"], body["state_label"]) == ("accepted", "已受理（审核中）")
    assert [(e["name"], e["actor"], e["comment"]) for e in body["events"]] == [
        ("submit", roles["owner"].full_name, ""),
        ("accept", roles["intake"].full_name, "材料齐全"),
    ]
    assert body["available_transitions"] == ["return", "reject"]

    # and the applicant reads the applicant label and only the officer's role
    own = as_user(api, roles["owner"]).get(detail_url(application)).json()
    assert own["state_label"] == "审核中"
    assert [(e["name"], e["actor"]) for e in own["events"]] == [
        ("submit", roles["owner"].full_name),
        ("accept", "受理员"),
    ]
    assert roles["intake"].email not in str(own)
    assert own["available_transitions"] == ["withdraw"]


def test_a_return_carries_its_reason_and_due_date_back_to_the_applicant(api, roles, make_application):
    application = make_application("submitted")
    due_on = (date.today() + timedelta(days=7)).isoformat()

    response = as_user(api, roles["intake"]).post(
        transitions_url(application),
        {"name": "return", "reason": "营业执照扫描件不清晰", "due_on": due_on},
        format="json",
    )

    assert response.status_code == 200
    own = as_user(api, roles["owner"]).get(detail_url(application)).json()
    assert (own["state"], own["state_label"]) == ("returned", "待补正")
    assert (own["return_reason"], own["return_due_on"]) == ("营业执照扫描件不清晰", due_on)
    assert own["available_transitions"] == ["submit", "withdraw"]
    assert own["events"][-1]["comment"] == "营业执照扫描件不清晰"


# --- query counts ------------------------------------------------------------------------------


# Measured on SQLite: authentication (the token with its user and membership; or session, user and the session save,
# then the membership), the user's groups (staff only), the page count and the page itself. Whatever the number, it
# must not grow with the rows.
LIST_QUERIES = {
    ("owner", "token"): 3,
    ("intake", "token"): 4,
    ("owner", "session"): 8,
    ("intake", "session"): 9,
}


@pytest.mark.parametrize(("role", "auth"), list(LIST_QUERIES))
def test_the_list_costs_the_same_queries_for_5_and_50_applications(api, roles, make_application, role, auth):
    def list_queries(expected_rows: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(list_url())
        assert response.status_code == 200
        assert len(response.json()["results"]) == expected_rows
        return len(queries)

    if auth == "token":
        as_user(api, roles[role])
    else:
        api.force_login(roles[role])
    for _ in range(5):
        make_application("submitted")
    at_5 = list_queries(5)

    for _ in range(45):
        make_application("submitted")
    at_50 = list_queries(50)

    assert at_5 == at_50 == LIST_QUERIES[(role, auth)]


# --- the schema --------------------------------------------------------------------------------


def test_the_openapi_schema_generates_and_describes_the_application_endpoints(api):
    response = api.get(reverse("api:schema"), {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert {
        "/api/v1/applications/",
        "/api/v1/applications/{id}/",
        "/api/v1/applications/{id}/attachments/",
        "/api/v1/applications/{id}/attachments/{attachment_pk}/",
        "/api/v1/applications/{id}/transitions/",
    } <= set(schema["paths"])
    detail = schema["paths"]["/api/v1/applications/{id}/"]
    assert set(detail) >= {"get", "patch", "delete"}
    assert detail["get"]["tags"] == ["申报"]
    properties = schema["components"]["schemas"]["Application"]["properties"]
    assert properties["eligibility"]["type"] == "array"
    assert properties["standard_amount"]["type"] == "string"
    assert "state" not in schema["components"]["schemas"]["PatchedApplicationWriteRequest"]["properties"]
