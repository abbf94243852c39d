"""The guidance around the catalogue: 「申报本项目」, the call's table, 办事指南, 常见问题, the served policy texts,
the footer, the favicon and print styles, and the seeded material templates."""

from datetime import timedelta
from decimal import Decimal
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs.models import AttachmentRequirement, MaterialTemplate, Program, ProgramBudget, ReviewTrack
from programs.policies import POLICIES, policy_text
from tests.factories import CallFactory, MembershipFactory, ProgramFactory, StaffFactory, TierFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    call_command("seed_programs", verbosity=0)
    programs = list(Program.objects.all())
    call = CallFactory(title="2026年度专项资金申报", programs=programs)
    for program in programs:
        ProgramBudget.objects.create(program=program, year=call.year, amount=Decimal("6000000"))
    return call


def html_of(response) -> str:
    assert response.status_code == 200
    return unescape(response.content.decode())


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def new_url(call, code: str) -> str:
    return reverse("applications:new") + "?" + urlencode({"call": call.pk, "program": code})


# --- 申报本项目 -------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["program", "call", "guide"])
def test_logged_out_visitors_are_offered_to_log_in_and_come_back_to_apply(catalogue, page):
    url = {
        "program": reverse("programs:detail", args=["P8-3"]),
        "call": catalogue.get_absolute_url(),
        "guide": reverse("programs:guide", args=["P8-3"]),
    }[page]

    html = html_of(Client().get(url))

    login = reverse("account_login") + "?" + urlencode({"next": new_url(catalogue, "P8-3")})
    assert f'href="{login}"' in html
    assert "登录后申报本项目" in html


def test_a_member_applies_from_the_program_page_with_the_call_and_program_chosen(catalogue):
    member = MembershipFactory().user

    html = html_of(client_for(member).get(reverse("programs:detail", args=["P8-3"])))

    assert f'href="{new_url(catalogue, "P8-3")}"' in html
    assert ">申报本项目<" in html
    assert client_for(member).get(new_url(catalogue, "P8-3")).status_code == 200


def test_a_user_without_an_organisation_is_asked_to_register_it_and_staff_get_no_button(catalogue):
    url = reverse("programs:detail", args=["P8-3"])

    html = html_of(client_for(UserFactory()).get(url))
    assert f'href="{reverse("accounts:home")}"' in html
    assert "登记单位后申报" in html

    html = html_of(client_for(StaffFactory()).get(url))
    assert new_url(catalogue, "P8-3") not in html
    assert "申报本项目" not in html


def test_no_button_for_a_call_that_is_closed(catalogue):
    catalogue.opens_at = timezone.now() - timedelta(days=20)
    catalogue.closes_at = timezone.now() - timedelta(days=1)
    catalogue.save()

    html = html_of(Client().get(reverse("programs:detail", args=["P8-3"])))

    assert "申报本项目" not in html


# --- The call page's table ------------------------------------------------------------------


def test_the_call_page_tables_every_program_with_budget_caps_tiers_and_deadline(catalogue):
    html = html_of(Client().get(catalogue.get_absolute_url()))

    assert 'class="table stack call-table"' in html
    for program in Program.objects.all():
        assert f"{program.code} {program.name}" in html
    assert html.count("600万元") == Program.objects.count()  # each program's 年度资助总额
    assert "每家单位每年资助证书不超过3个" in html  # P8-3's cap
    assert "中国质量奖：300万元" in html  # P10-1's tiers, the table the amount rule says 见下表
    assert catalogue.closes_at.astimezone(timezone.get_current_timezone()).strftime("%Y年%-m月%-d日") in html
    assert f'href="{reverse("programs:policy", args=["operating-rules"])}"' in html  # 《操作规程》


def test_a_program_without_a_budget_for_the_year_says_so(catalogue):
    ProgramBudget.objects.filter(program__code="P8-3").delete()

    html = html_of(Client().get(catalogue.get_absolute_url()))

    assert "待定" in html


@pytest.mark.parametrize("name", ["programs:call_detail", "programs:call_guide"])
def test_the_call_pages_cost_the_same_queries_for_two_and_twelve_programs(name):
    def queries_for(count: int) -> int:
        programs = [ProgramFactory() for _ in range(count)]
        for program in programs:
            TierFactory(program=program)
            AttachmentRequirement.objects.create(program=program, kind="certificate", name="证书")
        call = CallFactory(programs=programs)
        with CaptureQueriesContext(connection) as captured:
            assert Client().get(reverse(name, args=[call.pk])).status_code == 200
        return len(captured)

    assert queries_for(2) == queries_for(12)


def test_unknown_and_unpublished_calls_are_404(catalogue):
    catalogue.is_published = False
    catalogue.save()

    for name in ("programs:call_detail", "programs:call_guide"):
        assert Client().get(reverse(name, args=[catalogue.pk])).status_code == 404
        assert Client().get(reverse(name, args=[catalogue.pk + 100])).status_code == 404


# --- 办事指南, 常见问题, policy texts ---------------------------------------------------------------


def test_the_program_guide_states_conditions_amounts_materials_process_contact_and_basis(catalogue):
    program = Program.objects.get(code="P8-3")

    html = html_of(Client().get(reverse("programs:guide", args=["P8-3"])))

    for text in (
        "绿色认证等高端认证发展项目办事指南",
        "申报条件",
        "申报主体：企业",
        program.amount_rule_text(),
        "每家单位每年资助证书不超过3个",
        "同一证书编号只资助一次",
        "认证证书",
        "下载申报承诺书模板（PDF）",
        "下载申报材料清单（PDF）",
        "办理流程和时限",
        "5 个工作日",
        "自拨付之日起 12 个月内",
        "深圳市市场监督管理局质量发展处",
        "政策依据",
    ):
        assert text in html, text
    assert reverse("notices:commitment", args=["P8-3"]) in html
    assert reverse("notices:checklist", args=["P8-3"]) in html
    assert reverse("programs:policy", args=["operating-rules"]) in html


def test_an_expert_review_guide_names_the_experts_and_the_stamped_form(catalogue):
    html = html_of(Client().get(reverse("programs:guide", args=["P8-1"])))

    assert "不少于 3 名专家" in html
    assert "申报书（签字盖章）" in html
    assert "在申报页面点“下载申报书”" in html


def test_the_call_guide_covers_each_program_of_the_call(catalogue):
    html = html_of(Client().get(reverse("programs:call_guide", args=[catalogue.pk])))

    assert "2026年度专项资金申报办事指南" in html
    for program in Program.objects.all():
        assert f"{program.code} {program.name}" in html
        assert reverse("notices:commitment", args=[program.code]) in html
    assert catalogue.closes_at.astimezone(timezone.get_current_timezone()).strftime("%Y年%-m月%-d日") in html


def test_the_program_page_links_every_download_template_and_the_rules(catalogue):
    html = html_of(Client().get(reverse("programs:detail", args=["P8-3"])))

    assert "下载模板" in html  # the commitment's help text promises a template…
    assert reverse("notices:commitment", args=["P8-3"]) in html  # …and here it is
    assert reverse("programs:guide", args=["P8-3"]) in html
    assert f'<a href="{reverse("programs:policy", args=["operating-rules"])}">《操作规程》</a>' in html


def test_the_faq_page_answers_where_the_templates_are():
    html = html_of(Client().get(reverse("programs:faq")))

    for text in ("常见问题", "申报承诺书的模板在哪里", "申报书要打印盖章吗", reverse("notices:verify_index")):
        assert text in html, text


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.slug)
def test_each_policy_text_is_served_as_a_page_and_as_its_original(policy):
    text = policy_text(policy)

    html = html_of(Client().get(reverse("programs:policy", args=[policy.slug])))
    for line in [line.strip() for line in text.splitlines() if line.strip()][:5]:
        assert line in html
    assert policy.title in html

    download = Client().get(reverse("programs:policy_download", args=[policy.slug]))
    assert download.status_code == 200
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert download.content.decode("utf-8") == text

    listing = html_of(Client().get(reverse("programs:policy_list")))
    assert reverse("programs:policy", args=[policy.slug]) in listing


def test_the_operating_rules_page_carries_the_nine_items_with_their_clauses():
    html = html_of(Client().get(reverse("programs:policy", args=["operating-rules"])))

    for clause in ("第八条第一款", "第八条第三款", "第九条第二款", "第十条第三款"):
        assert clause in html


def test_an_unknown_policy_is_404():
    assert Client().get(reverse("programs:policy", args=["nope"])).status_code == 404
    assert Client().get(reverse("programs:policy_download", args=["nope"])).status_code == 404


# --- Footer, favicon, print styles ----------------------------------------------------------


def test_the_footer_shows_contact_organiser_and_filing_number_from_the_settings(settings):
    settings.PORTAL_ORGANISER = "深圳市市场监督管理局（测试）"
    settings.PORTAL_CONTACT_PHONE = "0755-12345678"
    settings.PORTAL_ICP_NUMBER = "粤ICP备12345678号"

    html = html_of(Client().get(reverse("programs:faq")))

    for text in ("联系方式", "0755-12345678", "主办单位：深圳市市场监督管理局（测试）", "备案号：粤ICP备12345678号"):
        assert text in html, text
    assert reverse("programs:faq") in html
    assert reverse("notices:verify_index") in html


def test_without_a_filing_number_the_footer_leaves_the_line_out(settings):
    settings.PORTAL_ICP_NUMBER = ""

    assert "备案号" not in html_of(Client().get(reverse("programs:faq")))


def test_every_page_links_the_favicon_and_the_print_styles():
    html = html_of(Client().get(reverse("home")))

    assert 'rel="icon" href="/static/favicon.svg" type="image/svg+xml"' in html
    assert 'href="/static/css/print.css" media="print"' in html
    assert finders.find("favicon.svg")
    assert "<svg" in Path(finders.find("favicon.svg")).read_text(encoding="utf-8")
    assert "@page" in Path(finders.find("css/print.css")).read_text(encoding="utf-8")


# --- Seeded material templates ---------------------------------------------------------------


def test_seeded_commitments_point_at_their_template_and_expert_review_items_want_the_stamped_form():
    call_command("seed_programs", verbosity=0)

    assert set(AttachmentRequirement.objects.filter(kind="commitment").values_list("template", flat=True)) == {
        MaterialTemplate.COMMITMENT
    }
    stamped = AttachmentRequirement.objects.filter(template=MaterialTemplate.APPLICATION_FORM)
    assert sorted(stamped.values_list("program__code", flat=True)) == sorted(
        Program.objects.filter(review_track=ReviewTrack.EXPERT_REVIEW).values_list("code", flat=True)
    )
    assert all(r.is_required and r.kind == "signed-application-form" for r in stamped)
