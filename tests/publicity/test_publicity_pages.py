"""Public publicity pages and the staff admin screens."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, State
from publicity import views
from publicity.models import Objection, ObjectionStatus, PublicityNotice
from publicity.services import file_objection

pytestmark = pytest.mark.django_db

FORM = {
    "entry": "",
    "name": "李四",
    "organisation": "某某检测公司",
    "phone": "13912345678",
    "content": "申报材料不实。",
}


def test_the_list_shows_organisation_program_amount_and_period(client, notice):
    entry = notice.entries.first()

    page = client.get(reverse("publicity:list")).content.decode()

    assert notice.title in page
    assert entry.organisation_name in page
    assert entry.program_name in page
    assert "250,000.00" in page
    assert f"{notice.ends_on.year}年{notice.ends_on.month}月{notice.ends_on.day}日" in page
    assert "（暂定）" not in page


def test_a_provisional_period_is_marked(client, notice):
    PublicityNotice.objects.filter(pk=notice.pk).update(provisional=True)

    assert "（暂定）" in client.get(reverse("publicity:detail", args=[notice.pk])).content.decode()


def test_a_past_notice_is_listed_as_past_and_takes_no_objection(client, notice):
    ends_on = timezone.localdate() - timedelta(days=1)
    PublicityNotice.objects.filter(pk=notice.pk).update(starts_on=ends_on - timedelta(days=6), ends_on=ends_on)

    listing = client.get(reverse("publicity:list")).content.decode()
    response = client.post(reverse("publicity:detail", args=[notice.pk]), FORM)

    assert "目前没有正在公示的项目" in listing and notice.title in listing
    assert response.status_code == 302
    assert Objection.objects.count() == 0
    assert "不再受理异议" in client.get(response.url).content.decode()


def test_an_objection_is_filed_from_the_notice_page(client, notice):
    entry = notice.entries.first()

    response = client.post(reverse("publicity:detail", args=[notice.pk]), {**FORM, "entry": entry.pk})

    assert response.status_code == 302
    objection = Objection.objects.get()
    assert (objection.entry, objection.name, objection.phone) == (entry, "李四", "13912345678")
    assert "您的异议已提交" in client.get(response.url).content.decode()


def test_errors_are_summarised_and_shown_by_their_fields_and_nothing_typed_is_lost(client, notice):
    response = client.post(
        reverse("publicity:detail", args=[notice.pk]), {**FORM, "phone": "12345", "content": "申报材料不实，见附件"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in page
    assert 'id="id_phone_error"' in page
    assert 'value="12345"' in page and 'value="李四"' in page and "申报材料不实，见附件" in page
    assert Objection.objects.count() == 0


def test_an_anonymous_objection_is_refused_on_the_page(client, notice):
    response = client.post(reverse("publicity:detail", args=[notice.pk]), {**FORM, "name": "", "phone": ""})

    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert Objection.objects.count() == 0


def test_objections_are_rate_limited_per_ip(client, notice, monkeypatch):
    monkeypatch.setattr(views, "OBJECTIONS_PER_HOUR", 2)
    url = reverse("publicity:detail", args=[notice.pk])
    for _ in range(2):
        assert client.post(url, FORM, REMOTE_ADDR="198.51.100.7").status_code == 302

    refused = client.post(url, FORM, REMOTE_ADDR="198.51.100.7")
    other_ip = client.post(url, FORM, REMOTE_ADDR="198.51.100.8")

    assert refused.status_code == 429
    assert "每小时最多提交2份异议" in refused.content.decode()
    assert 'value="李四"' in refused.content.decode()
    assert other_ip.status_code == 302
    assert Objection.objects.count() == 3


def test_public_pages_never_show_the_objector(client, notice):
    file_objection(
        notice=notice,
        entry=notice.entries.first(),
        name="王五",
        organisation="秘密单位",
        phone="13700001111",
        content="异议内容保密",
    )

    pages = [
        client.get(reverse("publicity:list")).content.decode(),
        client.get(reverse("publicity:detail", args=[notice.pk])).content.decode(),
        client.get(reverse("api:publicity-list")).content.decode(),
    ]

    for page in pages:
        for secret in ("王五", "秘密单位", "13700001111", "异议内容保密"):
            assert secret not in page


def test_the_list_page_query_count_does_not_grow_with_entries(client, notice, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        client.get(reverse("publicity:list"))


def test_an_unknown_notice_is_404(client, db):
    assert client.get(reverse("publicity:detail", args=[999])).status_code == 404


# --- Admin -------------------------------------------------------------------------------------


def test_the_approver_opens_a_notice_in_the_admin(client, approved_pair, open_call, roles, allocate):
    allocate(open_call)
    client.force_login(roles["approver"])

    response = client.post(reverse("admin:publicity_publicitynotice_open"), {"call": open_call.pk, "title": ""})

    notice = PublicityNotice.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:publicity_publicitynotice_change", args=[notice.pk])
    page = client.get(response.url).content.decode()
    assert approved_pair[0].organisation.name in page


def test_opening_in_the_admin_before_the_allocation_shows_the_error(client, approved_pair, open_call, roles):
    client.force_login(roles["approver"])

    response = client.post(reverse("admin:publicity_publicitynotice_open"), {"call": open_call.pk})

    assert response.status_code == 200
    assert "尚未完成资金分配" in response.content.decode()
    assert PublicityNotice.objects.count() == 0


@pytest.mark.parametrize("role", ["intake", "finance", "expert"])
def test_other_staff_may_not_open_notices(client, roles, role, open_call):
    client.force_login(roles[role])

    assert client.get(reverse("admin:publicity_publicitynotice_open")).status_code == 403


def test_the_approver_upholds_an_objection_in_the_admin(client, notice, roles):
    entry = notice.entries.first()
    objection = file_objection(notice=notice, entry=entry, **{k: v for k, v in FORM.items() if k != "entry"})
    client.force_login(roles["approver"])

    detail = client.get(reverse("admin:publicity_objection_change", args=[objection.pk])).content.decode()
    blank = client.post(reverse("admin:publicity_objection_decide", args=[objection.pk, "uphold"]), {"reason": ""})
    response = client.post(
        reverse("admin:publicity_objection_decide", args=[objection.pk, "uphold"]), {"reason": "核实属实"}
    )

    assert "13912345678" in detail and "认定异议成立" in detail
    assert blank.status_code == 200
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.UPHELD
    assert Application.objects.get(pk=entry.application_id).state == State.REJECTED


@pytest.mark.parametrize("role", ["intake", "finance"])
def test_other_staff_see_no_objections(client, notice, roles, role):
    objection = file_objection(notice=notice, **{k: v for k, v in FORM.items() if k != "entry"})
    client.force_login(roles[role])

    assert client.get(reverse("admin:publicity_objection_changelist")).status_code == 403
    assert (
        client.post(
            reverse("admin:publicity_objection_decide", args=[objection.pk, "dismiss"]), {"reason": "x"}
        ).status_code
        == 403
    )
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN


def test_the_administrator_edits_holiday_overrides(client, roles):
    client.force_login(roles["administrator"])

    response = client.post(
        reverse("admin:publicity_holidayoverride_add"), {"date": "2027-01-01", "is_working_day": "", "note": "元旦"}
    )

    assert response.status_code == 302
