"""The change page and the staff attachment download: read-only, and only for who may see the application."""

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import services
from review.models import ExpertAssignment
from tests.applications.conftest import PDF_BYTES, certificate_units, pdf, take, valid_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_certificate(roles, open_call, certificate_program):
    """A submitted certificate application with its required PDF."""
    application = services.create_application(
        actor=roles["owner"],
        call=open_call,
        program=certificate_program,
        data=valid_data(units=certificate_units("50000", "32000")),
    )
    attachment = services.add_attachment(
        application=application, actor=roles["owner"], kind="certificate", uploaded_file=pdf("认证证书.pdf")
    )
    application = take(application, "submit", roles["owner"])
    return application, attachment


def download_url(application, attachment) -> str:
    return reverse("admin:applications_application_attachment", args=[application.pk, attachment.pk])


def test_intake_downloads_an_attachment_as_a_file(client, roles, with_certificate):
    application, attachment = with_certificate
    client.force_login(roles["intake"])

    response = client.get(download_url(application, attachment))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES


@pytest.mark.parametrize("role", ["finance", "expert"])
def test_finance_before_award_and_unassigned_experts_get_404(client, roles, with_certificate, role):
    application, attachment = with_certificate
    client.force_login(roles[role])

    assert client.get(download_url(application, attachment)).status_code == 404
    assert client.get(reverse("admin:applications_application_change", args=[application.pk])).status_code == 302


def test_an_assigned_expert_may_download(client, roles, with_certificate):
    application, attachment = with_certificate
    ExpertAssignment.objects.create(
        application=application, expert=roles["expert"], no_conflict_confirmed_at=timezone.now()
    )
    client.force_login(roles["expert"])

    assert client.get(download_url(application, attachment)).status_code == 200


def test_an_attachment_of_another_application_is_404(client, roles, with_certificate, make_application):
    _, attachment = with_certificate
    other = make_application("submitted")
    client.force_login(roles["intake"])

    assert client.get(download_url(other, attachment)).status_code == 404


def test_the_owner_is_sent_to_the_admin_login(client, roles, with_certificate):
    application, attachment = with_certificate
    client.force_login(roles["owner"])

    response = client.get(download_url(application, attachment))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_the_change_page_shows_units_checks_attachments_and_events_read_only(client, roles, with_certificate):
    application, attachment = with_certificate
    client.force_login(roles["intake"])

    response = client.get(reverse("admin:applications_application_change", args=[application.pk]))
    page = response.content.decode()

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert "CQC-2026-001" in page
    assert "32,000.00元" in page  # the second certificate's counted amount
    assert "82,000.00元" in page  # the standard amount
    assert download_url(application, attachment) in page
    assert "认证证书.pdf" in page
    assert [check.number for check in response.context["checks"]][:1] == ["E1"]
    assert "流转记录" in page
    assert 'name="_save"' not in page


def test_the_change_page_cannot_be_posted(client, roles, with_certificate):
    application, _ = with_certificate
    client.force_login(roles["approver"])

    response = client.post(reverse("admin:applications_application_change", args=[application.pk]), {})

    assert response.status_code == 403
