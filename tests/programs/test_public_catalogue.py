from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import CallFactory, ProgramFactory, TierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    call_command("seed_programs", verbosity=0)


def test_the_home_page_lists_open_calls_with_the_time_left(client):
    program = ProgramFactory(name="绿色认证等高端认证发展项目")
    CallFactory(title="2026年度申报", programs=[program], closes_at=timezone.now() + timedelta(days=3, hours=2))
    CallFactory(
        title="已截止批次", opens_at=timezone.now() - timedelta(days=9), closes_at=timezone.now() - timedelta(days=1)
    )
    CallFactory(
        title="未开始批次", opens_at=timezone.now() + timedelta(days=5), closes_at=timezone.now() + timedelta(days=9)
    )

    html = client.get(reverse("home")).content.decode()

    assert "2026年度申报" in html
    assert "还剩 3 天" in html
    assert "绿色认证等高端认证发展项目" in html
    assert "已截止批次" not in html
    assert "未开始批次" in html  # listed under 即将开始


def test_the_catalogue_shows_the_nine_items(client, catalogue):
    html = client.get(reverse("programs:list")).content.decode()

    for code in ("P8-1", "P8-2", "P8-3", "P9-1", "P9-2", "P9-3", "P10-1", "P10-2", "P10-3"):
        assert code in html
    assert "3万—80万元" in html  # P9-2 tiers
    assert "10万—300万元" in html  # P10-1 tiers


def test_a_program_page_states_the_amount_rule_caps_materials_and_clause(client, catalogue):
    html = client.get(reverse("programs:detail", args=["P8-3"])).content.decode()

    assert "绿色认证等高端认证发展项目" in html
    assert "第八条第三款" in html
    assert "最高不超过5万元" in html
    assert "不超过3个" in html
    assert "只资助一次" in html


def test_an_unknown_or_inactive_program_is_404(client):
    ProgramFactory(code="OFF", is_active=False)

    assert client.get(reverse("programs:detail", args=["NOPE"])).status_code == 404
    assert client.get(reverse("programs:detail", args=["OFF"])).status_code == 404


def test_the_programs_endpoint_follows_the_contract(catalogue):
    response = APIClient().get("/api/v1/programs/")

    assert response.status_code == 200
    by_code = {p["code"]: p for p in response.json()}
    assert len(by_code) == 9
    p83 = by_code["P8-3"]
    assert p83["unit_amount"] == "50000.00"
    assert p83["claim_required"] is True
    assert p83["max_units_per_year"] == 3
    assert p83["review_track"] == "verification"
    assert {"kind", "name"} <= set(p83["required_attachments"][0])
    tiers = {t["code"]: Decimal(t["amount"]) for t in by_code["P10-1"]["tiers"]}
    assert tiers["china-quality-award"] == Decimal("3000000")
    for key in (
        "code",
        "name",
        "clause",
        "direction",
        "review_track",
        "unit_label",
        "unit_amount",
        "claim_required",
        "max_units_per_year",
        "tiers",
        "required_attachments",
    ):
        assert key in p83


def test_the_calls_endpoint_says_which_calls_are_open():
    program = ProgramFactory(code="PX")
    open_call = CallFactory(programs=[program])
    closed = CallFactory(opens_at=timezone.now() - timedelta(days=9), closes_at=timezone.now() - timedelta(seconds=1))

    body = {c["id"]: c for c in APIClient().get("/api/v1/calls/").json()}

    assert body[open_call.pk]["is_open"] is True
    assert body[open_call.pk]["programs"] == ["PX"]
    assert body[closed.pk]["is_open"] is False
    assert set(body[open_call.pk]) >= {"id", "year", "title", "opens_at", "closes_at", "programs", "is_open"}


def test_unpublished_calls_are_not_shown():
    CallFactory(title="草稿批次", is_published=False)

    assert APIClient().get("/api/v1/calls/").json() == []


@pytest.mark.parametrize("rows", [5, 50])
def test_catalogue_lists_use_a_constant_number_of_queries(client, django_assert_max_num_queries, rows):
    for _ in range(rows):
        tier = TierFactory()
        CallFactory(programs=[tier.program])

    with django_assert_max_num_queries(4):
        assert APIClient().get("/api/v1/programs/").status_code == 200
    with django_assert_max_num_queries(3):
        assert APIClient().get("/api/v1/calls/").status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get(reverse("programs:list")).status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(reverse("home")).status_code == 200


def test_the_openapi_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/v1/schema/")
    docs = client.get("/api/v1/docs/").content.decode()

    assert schema.status_code == 200
    assert b"/api/v1/programs/" in schema.content
    assert "cdn" not in docs.lower()
    assert "/static/drf_spectacular_sidecar/" in docs
