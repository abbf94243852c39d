"""Concentration figures: first-time and repeat awardees, the top-10 share, money by district and by type."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import District, OrganisationType
from dashboard.concentration import call_concentration, share
from programs.models import ProgramBudget
from tests import stages
from tests.factories import CallFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _member(**organisation):
    return MembershipFactory(**{f"organisation__{k}": v for k, v in organisation.items()}).user


@pytest.fixture
def awards(make_application, open_call, fixed_program, certificate_program, roles):
    """This year's call: the owner (awarded two years ago) and two newcomers (one in 福田区, a 事业单位) approved at
    300,000 each, the owner twice; one rejected. Last-but-one year's call awarded the owner."""
    fixed_program.applicant_types = [OrganisationType.ENTERPRISE, OrganisationType.PUBLIC_INSTITUTION]
    fixed_program.save(update_fields=["applicant_types"])
    earlier = CallFactory(year=open_call.year - 2, programs=[fixed_program])
    ProgramBudget.objects.create(program=fixed_program, year=open_call.year - 2, amount=Decimal("9000000"))
    ProgramBudget.objects.create(program=fixed_program, year=open_call.year, amount=Decimal("9000000"))
    stages.walk_all([make_application("approved", call=earlier)], "awarded", roles)
    futian = _member(
        district=District.FUTIAN, org_type=OrganisationType.PUBLIC_INSTITUTION, name="深圳市计量质量检测研究院"
    )
    make_application("approved")
    make_application("approved")
    make_application("approved", owner=futian)
    make_application("approved", owner=_member(name="深圳市新来科技有限公司"))
    make_application("rejected", owner=_member())
    return open_call


def test_share_is_a_percentage_with_one_decimal():
    assert share(1, 3) == Decimal("33.3")
    assert share(2, 3) == Decimal("66.7")
    assert share(0, 0) == Decimal("0.0")


def test_first_time_and_repeat_awardees_and_the_top_share(awards, roles):
    c = call_concentration(awards)

    assert c.count == 3
    assert c.total == Decimal("1200000.00")
    assert (c.first_time_count, c.first_time_share, c.first_time_amount) == (2, Decimal("66.7"), Decimal("600000.00"))
    assert (c.repeat_count, c.repeat_share, c.repeat_amount) == (1, Decimal("33.3"), Decimal("600000.00"))
    assert c.awardees[0].organisation_id == roles["owner"].membership.organisation_id  # two awards: the largest
    assert c.top_share == Decimal("100.0")  # three awardees: all in the top 10


def test_money_by_district_and_by_organisation_type(awards):
    c = call_concentration(awards)

    assert c.districts == [("南山区", Decimal("900000.00")), ("福田区", Decimal("300000.00"))]
    assert c.org_types == [("企业", Decimal("900000.00")), ("事业单位", Decimal("300000.00"))]


def test_an_award_four_years_back_is_not_a_repeat(make_application, open_call, fixed_program, roles):
    earlier = CallFactory(year=open_call.year - 4, programs=[fixed_program])
    ProgramBudget.objects.create(program=fixed_program, year=open_call.year - 4, amount=Decimal("9000000"))
    stages.walk_all([make_application("approved", call=earlier)], "awarded", roles)
    make_application("approved")

    c = call_concentration(open_call)

    assert (c.first_time_count, c.repeat_count) == (0, 0)


def test_the_top_ten_take_the_ten_largest(make_application, open_call, fixed_program, roles):
    for _ in range(11):
        make_application("approved", owner=_member())
    make_application("approved")  # the owner twice: 600,000, the largest
    make_application("approved")

    c = call_concentration(open_call)

    assert len(c.top) == 10 and c.count == 12
    assert c.top_amount == Decimal("3300000.00")  # 600,000 + 9 × 300,000
    assert c.top_share == share(Decimal("3300000"), Decimal("3900000"))


@pytest.mark.parametrize(
    ("chart", "expected"),
    [
        ("concentration", "首次获资助单位,2,66.7,600000.00,50.0"),
        ("top10", "1,"),
        ("districts", "福田区,300000.00,25.0"),
        ("org-types", "事业单位,300000.00,25.0"),
    ],
)
def test_each_figure_downloads_as_csv(client, roles, awards, chart, expected):
    client.force_login(roles["finance"])

    response = client.get(reverse("dashboard:csv", args=[awards.pk, chart]))

    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert expected in text


def test_an_organisation_name_that_looks_like_a_formula_stays_text_in_the_csv(
    client, roles, make_application, open_call
):
    make_application("approved", owner=_member(name='=HYPERLINK("http://x")有限公司'))
    client.force_login(roles["approver"])

    text = client.get(reverse("dashboard:csv", args=[open_call.pk, "top10"])).content.decode()

    assert "'=HYPERLINK" in text


def test_an_unknown_chart_is_404(client, roles, open_call):
    client.force_login(roles["approver"])

    assert client.get(reverse("dashboard:csv", args=[open_call.pk, "nothing"])).status_code == 404


def test_the_dashboard_shows_the_concentration_figures(client, roles, awards):
    client.force_login(roles["intake"])

    html = client.get(reverse("dashboard:call", args=[awards.pk])).content.decode()

    assert "资助集中度" in html
    assert "66.7%" in html and "33.3%" in html and "100.0%" in html
    assert "福田区" in html and "事业单位" in html


def test_the_figures_use_a_constant_number_of_queries(make_application, open_call, roles):
    make_application("approved")
    with CaptureQueriesContext(connection) as few:
        call_concentration(open_call)
    for _ in range(5):
        make_application("approved", owner=_member())
    with CaptureQueriesContext(connection) as more:
        call_concentration(open_call)

    assert len(few) == len(more) == 2
