"""What the admin shows on the demo data: numbering from 1, Beijing time, amounts with 元, the past notice."""

import re
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from allocations.services import execute_allocation, start_allocation
from programs.models import Call
from publicity import selectors as publicity_selectors
from publicity.models import PublicityNotice

pytestmark = pytest.mark.django_db

RAW_AMOUNT = re.compile(r">\s*\d{4,}\.\d{2}\s*<")


@pytest.fixture
def approver(client: Client) -> Client:
    call_command("seed_demo", "--with-samples", verbosity=0)
    client.force_login(User.objects.get(email="approver@demo.local"))
    return client


def test_the_seeded_award_notice_is_a_past_notice_on_the_public_list(approver):
    notice = PublicityNotice.objects.get(call__year=timezone.localdate().year - 1)

    html = approver.get(reverse("publicity:list")).content.decode()

    assert notice.closed_at is not None and notice.ends_on < timezone.localdate()
    assert list(publicity_selectors.past_notices()) == [notice]
    assert notice not in publicity_selectors.current_notices()
    past = html.split("往期公示", 1)[1]
    assert notice.title in past and "暂无往期公示" not in past


def test_the_admin_publicity_list_numbers_its_rows_from_one_and_shows_amounts_in_yuan(approver):
    notice = PublicityNotice.objects.get(call__year=timezone.localdate().year - 1)
    entry = notice.entries.get()

    html = approver.get(reverse("admin:publicity_publicitynotice_change", args=[notice.pk])).content.decode()

    row = html.split('class="field-row_number"', 1)[1]
    assert re.match(r"[^>]*>\s*(<p>)?\s*1\s*<", row), row[:80]
    assert f"{entry.amount:,.2f}元" in html
    assert not RAW_AMOUNT.search(html)


def test_the_allocation_page_shows_the_cap_sweep_in_beijing_time(approver):
    call = Call.objects.get(year=timezone.localdate().year)
    run = execute_allocation(run_id=start_allocation(call=call, actor=User.objects.get(email="approver@demo.local")).pk)
    swept = run.cap_sweep.ran_at
    beijing = timezone.localtime(swept, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    utc = swept.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M")

    html = approver.get(reverse("admin:allocations_allocationrun_change", args=[run.pk])).content.decode()

    assert beijing in html
    assert utc not in html


@pytest.mark.parametrize(
    "url",
    [
        "admin:allocations_allocationline_changelist",
        "admin:programs_programbudget_changelist",
        "admin:programs_program_changelist",
    ],
)
def test_admin_lists_show_amounts_with_separators_and_yuan(approver, url):
    html = approver.get(reverse(url)).content.decode()

    assert "元<" in html or "元 <" in html
    assert not RAW_AMOUNT.search(html)
