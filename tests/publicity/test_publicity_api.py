"""The publicity endpoints of the REST API v1 (SPEC §8) and who may use them."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from applications.models import Application, State
from publicity.models import Objection, PublicityNotice
from tests.applications.conftest import PDF_BYTES

pytestmark = pytest.mark.django_db

BODY = {"name": "赵六", "organisation": "", "phone": "0755-88886666", "content": "该项目已获其他财政资金支持。"}


def client_for(roles, who: str) -> APIClient:
    api = APIClient()
    if who != "anonymous":
        api.force_authenticate(roles[who])
    return api


def test_anyone_lists_the_open_notices_with_their_entries(notice):
    response = APIClient().get(reverse("api:publicity-list"))

    assert response.status_code == 200
    (item,) = response.json()
    assert item["id"] == notice.pk
    assert item["starts_on"] == notice.starts_on.isoformat()
    assert item["ends_on"] == notice.ends_on.isoformat()
    assert item["provisional"] is False
    entry = notice.entries.first()
    assert {
        "id": entry.pk,
        "organisation": entry.organisation_name,
        "program": entry.program_code,
        "program_name": entry.program_name,
        "amount": "250000.00",
    } in item["entries"]


def test_ended_notices_are_not_listed(notice):
    ends_on = timezone.localdate() - timedelta(days=1)
    PublicityNotice.objects.filter(pk=notice.pk).update(starts_on=ends_on - timedelta(days=5), ends_on=ends_on)

    assert APIClient().get(reverse("api:publicity-list")).json() == []


@pytest.mark.parametrize("who", ["anonymous", "owner", "intake", "approver"])
def test_anyone_files_an_objection(notice, roles, who):
    entry = notice.entries.first()

    response = client_for(roles, who).post(
        reverse("api:publicity-objections", args=[notice.pk]), {**BODY, "entry": entry.pk}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["entry"] == entry.pk and body["status"] == "open"
    assert "name" not in body and "phone" not in body
    assert Objection.objects.get().name == "赵六"


def test_an_objection_with_a_letter_is_accepted_as_multipart(notice):
    letter = SimpleUploadedFile("异议书.pdf", PDF_BYTES, content_type="application/pdf")

    response = APIClient().post(
        reverse("api:publicity-objections", args=[notice.pk]), {**BODY, "letter": letter}, format="multipart"
    )

    assert response.status_code == 201
    assert Objection.objects.get().letter_content_type == "application/pdf"


def test_an_anonymous_objection_is_400_with_its_code(notice):
    response = APIClient().post(
        reverse("api:publicity-objections", args=[notice.pk]), {"content": "匿名举报"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "anonymous_refused"
    assert set(body["fields"]) >= {"name", "phone"}
    assert Objection.objects.count() == 0


def test_an_objection_after_the_period_is_400_publicity_closed(notice):
    ends_on = timezone.localdate() - timedelta(days=1)
    PublicityNotice.objects.filter(pk=notice.pk).update(starts_on=ends_on - timedelta(days=5), ends_on=ends_on)

    response = APIClient().post(reverse("api:publicity-objections", args=[notice.pk]), BODY, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "publicity_closed"


def test_an_objection_to_an_entry_of_another_notice_is_400(notice):
    response = APIClient().post(
        reverse("api:publicity-objections", args=[notice.pk]), {**BODY, "entry": 987654}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "entry_invalid"


def test_an_objection_to_an_unknown_notice_is_404(db):
    assert APIClient().post(reverse("api:publicity-objections", args=[4242]), BODY, format="json").status_code == 404


def test_objections_are_throttled(notice, settings):
    from django.core.cache import cache

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "objection": "1/hour"},
    }
    cache.clear()
    from rest_framework.throttling import ScopedRateThrottle

    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        url = reverse("api:publicity-objections", args=[notice.pk])
        assert APIClient().post(url, BODY, format="json").status_code == 201
        second = APIClient().post(url, BODY, format="json")
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original

    assert second.status_code == 429
    assert second.json()["code"] == "throttled"


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", (401, 403)), ("owner", (403,)), ("other", (403,)), ("intake", (403,)), ("finance", (403,))],
)
def test_only_approvers_open_notices_through_the_api(approved_pair, open_call, roles, allocate, who, status):
    allocate(open_call)

    response = client_for(roles, who).post(reverse("api:call-publicity-notices", args=[open_call.pk]), {})

    assert response.status_code in status
    assert PublicityNotice.objects.count() == 0
    assert set(Application.objects.values_list("state", flat=True)) == {State.APPROVED}


def test_the_approver_opens_a_notice_through_the_api(approved_pair, open_call, roles, allocate):
    allocate(open_call)

    response = client_for(roles, "approver").post(
        reverse("api:call-publicity-notices", args=[open_call.pk]),
        {"title": "2026年第一批拟资助项目公示"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "2026年第一批拟资助项目公示"
    assert len(body["entries"]) == 2
    assert set(Application.objects.values_list("state", flat=True)) == {State.IN_PUBLICITY}


def test_opening_before_the_allocation_is_400_allocation_missing(approved_pair, open_call, roles):
    response = client_for(roles, "approver").post(reverse("api:call-publicity-notices", args=[open_call.pk]), {})

    assert response.status_code == 400
    assert response.json()["code"] == "allocation_missing"


def test_opening_for_an_unknown_call_is_404(roles):
    assert client_for(roles, "approver").post(reverse("api:call-publicity-notices", args=[4242]), {}).status_code == 404
