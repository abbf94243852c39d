"""The program configuration the applicant's writes read (program, tiers, attachment requirements, form fields, the
call's programs) is cached across requests; every edit of it is seen by the very next request."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from programs.models import AttachmentRequirement, FieldType, FormField
from programs.selectors import call_config, program_config
from tests.applications.conftest import certificate_units, pdf, valid_data
from tests.tokens import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_api(roles) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(roles['owner'])}")
    return api


def create(api: APIClient, call, program, **data):
    return api.post(reverse("api:application-list"), {"call": call.pk, "program": program.code, **data}, format="json")


def failed_codes(body: dict) -> list[str]:
    return [c["code"] for c in body["eligibility"] if not c["passed"]]


def test_a_second_request_reads_no_configuration_table(owner_api, open_call, certificate_program):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    create(owner_api, open_call, certificate_program)  # fills the cache
    with CaptureQueriesContext(connection) as queries:
        assert create(owner_api, open_call, certificate_program).status_code == 201
    tables = ("programs_tier", "programs_attachmentrequirement", "programs_formfield", "programs_call_programs")
    assert not [q["sql"] for q in queries.captured_queries if any(f'"{t}"' in q["sql"] for t in tables)]


def test_an_edited_amount_is_counted_at_once(owner_api, open_call, certificate_program):
    pk = create(owner_api, open_call, certificate_program).json()["id"]
    url = reverse("api:application-detail", args=[pk])
    assert (
        owner_api.patch(url, valid_data(units=certificate_units("60000")), format="json").json()["standard_amount"]
        == "50000.00"
    )

    certificate_program.unit_amount = Decimal("40000.00")  # what the admin's change form saves
    certificate_program.save()

    body = owner_api.patch(url, valid_data(units=certificate_units("60000")), format="json").json()
    assert body["standard_amount"] == "40000.00"


def test_a_new_required_attachment_is_asked_for_at_once(owner_api, open_call, certificate_program):
    pk = create(owner_api, open_call, certificate_program, **valid_data(units=certificate_units("1"))).json()["id"]
    owner_api.post(reverse("api:application-attachments", args=[pk]), {"kind": "certificate", "file": pdf()})
    detail_url = reverse("api:application-detail", args=[pk])
    assert failed_codes(owner_api.patch(detail_url, {}, format="json").json()) == []

    AttachmentRequirement.objects.create(program=certificate_program, kind="licence", name="营业执照", is_required=True)

    assert failed_codes(owner_api.patch(detail_url, {}, format="json").json()) == ["attachment_missing"]
    uploaded = owner_api.post(reverse("api:application-attachments", args=[pk]), {"kind": "licence", "file": pdf()})
    assert uploaded.status_code == 201  # the new kind is accepted too
    submitted = owner_api.post(reverse("api:application-transitions", args=[pk]), {"name": "submit"}, format="json")
    assert submitted.json()["state"] == "submitted"


def test_a_new_form_field_is_known_at_once(owner_api, open_call, certificate_program):
    pk = create(owner_api, open_call, certificate_program).json()["id"]
    url = reverse("api:application-detail", args=[pk])
    refused = owner_api.patch(url, {"form_data": {"staff": "12"}}, format="json")
    assert refused.status_code == 400

    FormField.objects.create(program=certificate_program, name="staff", label="职工人数", field_type=FieldType.INTEGER)

    assert owner_api.patch(url, {"form_data": {"staff": "12"}}, format="json").json()["form_data"] == {"staff": 12}


def test_a_program_taken_out_of_the_call_is_refused_at_once(owner_api, open_call, certificate_program):
    assert create(owner_api, open_call, certificate_program).status_code == 201

    open_call.programs.remove(certificate_program)

    refused = create(owner_api, open_call, certificate_program)
    assert refused.status_code == 400
    assert "program_not_in_call" in refused.content.decode()


def test_an_edit_committed_later_is_not_hidden_by_a_read_in_between(
    open_call, certificate_program, django_capture_on_commit_callbacks
):
    """The version moves at the save and again at commit: a read between the two cannot keep the old rows."""
    with django_capture_on_commit_callbacks(execute=True):
        certificate_program.unit_amount = Decimal("30000.00")
        certificate_program.save()
        program_config(certificate_program.pk)  # e.g. another request, reading before the commit
        call_config(open_call.pk)
    assert program_config(certificate_program.pk).program.unit_amount == Decimal("30000.00")
    before = program_config(certificate_program.pk)
    assert program_config(certificate_program.pk) == before  # and a later read is a cache hit


def test_an_edit_committed_by_another_process_is_seen_by_the_next_request(owner_api, open_call, certificate_program):
    """Each process keeps the configurations it used; the shared version tells it when they are old."""
    from django.core.cache import cache

    from programs.models import Program
    from programs.selectors import CONFIG_VERSION_KEY

    pk = create(owner_api, open_call, certificate_program).json()["id"]
    url = reverse("api:application-detail", args=[pk])
    owner_api.patch(url, valid_data(units=certificate_units("60000")), format="json")  # this process keeps it

    # Another process's edit: the row changes and the shared version moves; nothing here is told.
    Program.objects.filter(pk=certificate_program.pk).update(unit_amount=Decimal("30000.00"))
    cache.incr(CONFIG_VERSION_KEY)

    body = owner_api.patch(url, valid_data(units=certificate_units("60000")), format="json").json()
    assert body["standard_amount"] == "30000.00"


def test_a_request_asks_the_shared_cache_for_the_version_once(owner_api, open_call, certificate_program, monkeypatch):
    from django.core.cache import cache

    from programs.selectors import CONFIG_VERSION_KEY

    pk = create(owner_api, open_call, certificate_program).json()["id"]
    url = reverse("api:application-detail", args=[pk])
    owner_api.patch(url, valid_data(units=certificate_units("60000")), format="json")
    asked: list[str] = []
    original = cache.get

    def get(key, *args, **kwargs):
        asked.append(key)
        return original(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", get)
    assert owner_api.patch(url, valid_data(units=certificate_units("60000")), format="json").status_code == 200
    # The version once, and no configuration: this process holds them.
    assert [key for key in asked if key.startswith("programs:")] == [CONFIG_VERSION_KEY]
