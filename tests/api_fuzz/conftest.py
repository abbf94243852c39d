"""Fixtures for the API fuzz tests: a portal with real objects behind the ids in the schema's paths.

The world holds an applicant (admin of an organisation) with two drafts (one with an attachment), two approved
applications under an open publicity notice, an awarded application with an issued award notice (a real
verification code) and a payout batch built by finance, all in an open call that also offers the seeded programs.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from applications import services
from applications.models import Application
from notices.services import ensure_award_notice
from payouts.services import create_batch
from programs.models import Program
from publicity.services import open_publicity_notice
from tests import stages
from tests.applications.conftest import certificate_units, pdf, valid_data
from tests.factories import UserFactory
from tests.publicity.conftest import *  # noqa: F403  (roles, open_call, make_application, notice, ...)
from tests.tokens import token_for


@dataclass
class World:
    """Real values the fuzzer mixes into generated requests, by (method, path template) and parameter name."""

    tokens: dict[str, str]
    objects: dict[str, Any]
    path_values: dict[tuple[str, str], dict[str, list[Any]]] = field(default_factory=dict)
    body_values: dict[tuple[str, str], dict[str, list[Any]]] = field(default_factory=dict)


@pytest.fixture(autouse=True)
def _schemathesis_node_id(request):
    """Give the test item the ``_nodeid`` attribute schemathesis 4.32's ``from_fixture`` reads and rewrites.

    pytest 9.2 keeps the id in ``_id`` and no longer has ``_nodeid``; schemathesis only uses it to name each
    operation's subtest in reports, so a plain copy of the id is enough.
    """
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture
def _in_process_requests():
    """Keep the test's database connection open across in-process requests.

    Django's handler closes "old" connections when a request starts and finishes; inside the test transaction that
    would break it. Django's own test client disconnects the same receivers.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(
    roles, open_call, certificate_program, make_application, approved_pair, allocate, django_capture_on_commit_callbacks
):
    call_command("seed_programs", verbosity=0)
    open_call.programs.add(*Program.objects.filter(code__startswith="P"))
    owner = roles["owner"]
    # Awarded first, through its own call's notice and the close job; then open_call's notice of the approved pair
    # opens today and stays open (the close job that awarded the first would otherwise have confirmed them too).
    awarded = make_application("awarded")
    allocate(open_call)
    notice = open_publicity_notice(call=open_call, actor=roles["approver"])

    draft = make_application("draft")
    certificate_draft = make_application(
        "draft", program=certificate_program, data=valid_data(units=certificate_units("50000.00"))
    )
    attachment = services.add_attachment(
        application=certificate_draft, actor=owner, kind="certificate", uploaded_file=pdf()
    )

    Application.objects.filter(pk=awarded.pk).update(allocated_amount=Decimal("132000.00"))
    award_notice = ensure_award_notice(application_id=awarded.pk)
    with django_capture_on_commit_callbacks(execute=True):
        batch = create_batch(actor=roles["finance"], applications=[awarded.pk]).batch

    approved = notice.entries.values_list("application_id", flat=True)
    applications = [draft.pk, certificate_draft.pk, awarded.pk, *approved]
    programs = list(Program.objects.values_list("code", flat=True))
    ids = {
        "application": applications,
        "call": [open_call.pk],
        "batch": [batch.pk],
    }
    newcomer = UserFactory()  # signed up, no organisation yet
    return World(
        tokens={
            name: token_for(user)
            for name, user in {
                "applicant": owner,
                "newcomer": newcomer,
                "finance": roles["finance"],
                "approver": roles["approver"],
                "intake": roles["intake"],
            }.items()
        },
        objects={
            "owner": owner,
            "draft": draft,
            "call": open_call,
            "notice": notice,
            "batch": batch,
        },
        path_values={
            ("GET", "/applications/{id}/"): {"id": ids["application"]},
            ("PATCH", "/applications/{id}/"): {"id": ids["application"]},
            ("DELETE", "/applications/{id}/"): {"id": ids["application"]},
            ("POST", "/applications/{id}/attachments/"): {"id": ids["application"]},
            ("DELETE", "/applications/{id}/attachments/{attachment_pk}/"): {
                "id": [certificate_draft.pk],
                "attachment_pk": [attachment.pk],
            },
            ("POST", "/applications/{id}/transitions/"): {"id": ids["application"]},
            ("GET", "/calls/{id}/"): {"id": ids["call"]},
            ("GET", "/calls/{call_id}/allocation-runs/"): {"call_id": ids["call"]},
            ("POST", "/calls/{call_id}/allocation-runs/"): {"call_id": ids["call"]},
            ("POST", "/calls/{call_id}/publicity-notices/"): {"call_id": ids["call"]},
            ("GET", "/programs/{code}/"): {"code": programs},
            ("POST", "/publicity/{id}/objections/"): {"id": [notice.pk]},
            ("GET", "/verify/{code}/"): {"code": [award_notice.verification_code]},
            ("GET", "/payout-batches/{id}/"): {"id": ids["batch"]},
            ("POST", "/payout-batches/{id}/approve/"): {"id": ids["batch"]},
            ("GET", "/payout-batches/{id}/export/"): {"id": ids["batch"]},
            ("POST", "/payout-batches/{id}/results/"): {"id": ids["batch"]},
        },
        body_values={
            ("POST", "/applications/"): {"call": ids["call"], "program": programs},
            ("POST", "/applications/{id}/attachments/"): {"kind": ["certificate", "other"]},
            ("POST", "/applications/{id}/transitions/"): {"name": [*stages.PERSON_STEPS, *stages.STAGE_STEPS]},
            ("POST", "/publicity/{id}/objections/"): {
                "entry": list(notice.entries.values_list("pk", flat=True)),
                "phone": ["13800138000", "0755-86000000"],
            },
            ("POST", "/payout-batches/"): {"call": ids["call"], "applications": [[awarded.pk]]},
        },
    )
