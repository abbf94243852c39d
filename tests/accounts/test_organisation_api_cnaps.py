"""The organisation API carries the bank's 开户行联行号 (CNAPS), checked as 12 digits like the profile page."""

import pytest
from rest_framework.test import APIClient

from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    membership = MembershipFactory()
    client = APIClient()
    client.force_authenticate(membership.user)
    client.organisation = membership.organisation
    return client


def test_the_organisation_api_reads_and_writes_the_cnaps_code(api):
    response = api.patch("/api/v1/organisation/", {"bank_cnaps": "102584000002"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["bank_cnaps"] == "102584000002"
    api.organisation.refresh_from_db()
    assert api.organisation.bank_cnaps == "102584000002"
    assert api.get("/api/v1/organisation/").json()["bank_cnaps"] == "102584000002"


@pytest.mark.parametrize("code", ["10258400000", "1025840000021", "10258400000X"])
def test_a_cnaps_code_that_is_not_12_digits_is_refused_and_nothing_is_saved(api, code):
    response = api.patch("/api/v1/organisation/", {"bank_cnaps": code}, format="json")

    assert response.status_code == 400
    assert "cnaps_invalid" in str(response.json())
    api.organisation.refresh_from_db()
    assert api.organisation.bank_cnaps == ""
