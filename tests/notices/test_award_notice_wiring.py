"""An award confirmed by the publicity stage renders its notice, and the applicant finds it on the dashboard and API."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from notices.models import AwardNotice
from tests import stages

pytestmark = pytest.mark.django_db


def test_confirming_an_award_renders_the_notice_and_links_it_everywhere(
    make_application, roles, client, django_capture_on_commit_callbacks
):
    application = make_application("in_publicity")
    assert not AwardNotice.objects.filter(application=application).exists()

    # When the close job ends the publicity period without objection (in_publicity → awarded, by the system)
    with django_capture_on_commit_callbacks(execute=True):
        stages.end_publicity(application.publicity_entry.notice)

    notice = AwardNotice.objects.get(application=application)
    assert notice.status == "done"
    download = reverse("notices:download", args=[application.pk])
    client.force_login(roles["owner"])
    assert download in client.get(reverse("applications:dashboard")).content.decode()
    assert download in client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    api = APIClient()
    api.force_authenticate(roles["owner"])
    body = api.get(reverse("api:application-detail", args=[application.pk])).json()
    assert body["award_notice_url"].endswith(download)
    assert client.get(download)["Content-Type"] == "application/pdf"


def test_no_link_before_the_award(make_application, roles, client):
    application = make_application("approved")
    client.force_login(roles["owner"])

    html = client.get(reverse("applications:detail", args=[application.pk])).content.decode()

    assert "下载资助通知书" not in html
    assert not AwardNotice.objects.filter(application=application).exists()
