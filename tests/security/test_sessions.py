"""Sessions end after SESSION_COOKIE_AGE of inactivity; every request starts the age again."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_client(client):
    client.force_login(MembershipFactory().user)
    return client


def stored_session(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_the_policy_is_two_idle_hours_renewed_on_every_request():
    assert settings.SESSION_COOKIE_AGE == 2 * 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_an_idle_session_past_its_age_is_signed_out(member_client):
    Session.objects.filter(pk=stored_session(member_client).pk).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    response = member_client.get(reverse("accounts:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_active_session_is_renewed_for_another_full_age(member_client):
    # Nearly idle for the whole age: one minute left.
    Session.objects.filter(pk=stored_session(member_client).pk).update(
        expire_date=timezone.now() + timedelta(minutes=1)
    )
    before = timezone.now()

    response = member_client.get(reverse("accounts:home"))

    assert response.status_code in (200, 302)
    assert not response.get("Location", "").startswith(reverse("account_login"))
    renewed = stored_session(member_client).expire_date
    assert before + timedelta(seconds=settings.SESSION_COOKIE_AGE - 5) <= renewed
    assert renewed <= timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    # Still signed in on the next request.
    assert member_client.get(reverse("applications:dashboard")).status_code == 200


def test_a_short_age_expires_between_requests(member_client, settings):
    settings.SESSION_COOKIE_AGE = 60
    member_client.get(reverse("accounts:home"))  # the session is saved with the short age
    assert stored_session(member_client).expire_date <= timezone.now() + timedelta(seconds=60)
    Session.objects.filter(pk=stored_session(member_client).pk).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    assert member_client.get(reverse("applications:dashboard"))["Location"].startswith(reverse("account_login"))
