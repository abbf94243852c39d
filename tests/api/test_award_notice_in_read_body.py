"""The application's API read body carries the award notice's verification code and verify URL once the notice is
issued, the same URL the notice prints under its QR code; null before."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from notices.models import AwardNotice
from tests import stages

pytestmark = pytest.mark.django_db


def read(user, application) -> dict:
    api = APIClient()
    api.force_authenticate(user)
    return api.get(reverse("api:application-detail", args=[application.pk])).json()


def test_an_awarded_application_carries_its_notice_code_and_verify_url(
    make_application, roles, settings, django_capture_on_commit_callbacks
):
    # given the portal served at its public address
    settings.SITE_URL = "https://zlpp.example.gov.cn/"
    application = make_application("in_publicity")

    # when publicity ends without objection and the notice is rendered
    with django_capture_on_commit_callbacks(execute=True):
        stages.end_publicity(application.publicity_entry.notice)

    # then the read body gives the notice's code and the public verify page of that code
    notice = AwardNotice.objects.get(application=application)
    body = read(roles["owner"], application)
    assert body["award_notice_code"] == notice.verification_code
    verify_path = reverse("notices:verify", args=[notice.verification_code])
    assert body["verify_url"] == "https://zlpp.example.gov.cn" + verify_path
    # and the page it points at confirms the notice
    page = APIClient().get(verify_path)
    assert page.status_code == 200
    assert application.reference in page.content.decode()


def test_the_list_carries_them_too(make_application, roles, django_capture_on_commit_callbacks):
    application = make_application("in_publicity")
    with django_capture_on_commit_callbacks(execute=True):
        stages.end_publicity(application.publicity_entry.notice)
    notice = AwardNotice.objects.get(application=application)

    api = APIClient()
    api.force_authenticate(roles["owner"])
    rows = api.get(reverse("api:application-list")).json()["results"]

    (row,) = [r for r in rows if r["id"] == application.pk]
    assert row["award_notice_code"] == notice.verification_code
    assert row["verify_url"].endswith(reverse("notices:verify", args=[notice.verification_code]))


@pytest.mark.parametrize("state", ["draft", "submitted", "approved", "in_publicity"])
def test_before_the_award_both_are_null(make_application, roles, state):
    application = make_application(state)

    body = read(roles["owner"], application)

    assert body["award_notice_code"] is None
    assert body["verify_url"] is None
