"""Issue 13: hostile input gets a 4xx with a code, never a 500, and nothing unreadable is stored."""

import json
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import Organisation
from accounts.rules import build_uscc
from applications.services import create_application, update_application
from core.csv import neutralise, safe_row
from core.parsers import JSON_MAX_DEPTH
from core.text import clean_text
from programs.models import FieldType, FormField
from tests.factories import CallFactory, MembershipFactory, OrganisationFactory, ProgramFactory, UserFactory
from tests.publicity.conftest import allocate, approved_pair, notice  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def error_of(response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


# --- The JSON parser ------------------------------------------------------------------------------------------


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_a_body_nested_5000_deep_at_the_token_endpoint_is_a_400_json_too_deep():
    response = APIClient().generic("POST", "/api/v1/auth/token/", deep(5000), content_type="application/json")

    assert error_of(response) == (400, "json_too_deep")
    assert response.json()["detail"]


def test_a_body_nested_5000_deep_at_the_objection_endpoint_is_a_400_json_too_deep(notice):  # noqa: F811
    url = f"/api/v1/publicity/{notice.pk}/objections/"
    body = json.dumps({"name": "张三", "phone": "13800138000", "content": "x"})[:-1] + ', "x": ' + deep(5000) + "}"

    response = APIClient().generic("POST", url, body, content_type="application/json")

    assert error_of(response) == (400, "json_too_deep")


def test_a_body_just_past_the_depth_limit_is_refused_and_one_at_it_is_parsed():
    too_deep = APIClient().generic(
        "POST", "/api/v1/auth/token/", deep(JSON_MAX_DEPTH + 1), content_type="application/json"
    )
    shallow = APIClient().generic("POST", "/api/v1/auth/token/", deep(3), content_type="application/json")

    assert error_of(too_deep) == (400, "json_too_deep")
    assert shallow.status_code == 400 and shallow.json()["code"] != "json_too_deep"


def test_a_6_mb_json_body_gets_the_json_error_body_413():
    body = json.dumps({"username": "a@example.cn", "password": "x" * (6 * 1024 * 1024)})

    response = APIClient().generic("POST", "/api/v1/auth/token/", body, content_type="application/json")

    assert response["Content-Type"] == "application/json"
    assert error_of(response) == (413, "body_too_large")
    assert "过大" in response.json()["detail"]


def test_the_api_answers_a_csrf_failure_in_chinese_with_csrf_failed():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())

    response = client.post("/api/v1/auth/tokens/", {}, content_type="application/json")

    assert error_of(response) == (403, "csrf_failed")
    assert "CSRF" in response.json()["detail"] and "Failed" not in response.json()["detail"]


# --- Text: one rule --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "multiline", "code"),
    [
        ("a\x00b", True, "text_invalid_characters"),
        ("a\ud800b", True, "text_invalid_characters"),
        ("a\x1bb", True, "text_invalid_characters"),
        ("公司\r\nBcc: x@example.cn", False, "text_invalid_characters"),
        ("公司\u2028名称", False, "text_invalid_characters"),
        ("x" * 11, False, "text_too_long"),
        ({"a": 1}, True, "text_not_text"),
    ],
)
def test_clean_text_refuses_with_a_stable_code(value, multiline, code):
    with pytest.raises(ValidationError) as caught:
        clean_text(value, max_length=10, multiline=multiline)

    assert caught.value.code == code
    assert caught.value.messages[0]  # Chinese message


def test_clean_text_keeps_line_breaks_and_tabs_in_multi_line_text():
    assert clean_text("第一行\r\n第二行\t完", max_length=100, multiline=True) == "第一行\r\n第二行\t完"


# --- form_data -------------------------------------------------------------------------------------------------


@pytest.fixture
def draft_with_fields():
    program = ProgramFactory()
    for name, field_type in (("summary", FieldType.TEXTAREA), ("brand", FieldType.TEXT), ("since", FieldType.DATE)):
        FormField.objects.create(program=program, name=name, label=name, field_type=field_type, is_required=False)
    call = CallFactory(programs=[program])
    actor = MembershipFactory().user
    application = create_application(actor=actor, call=call, program=program)
    return application, actor


@pytest.mark.parametrize(
    ("form_data", "code"),
    [
        ({"summary": "含有\x00的文字"}, "text_invalid_characters"),
        ({"summary": "孤立代理\ud800"}, "text_invalid_characters"),
        ({"brand": "品牌\n第二行"}, "text_invalid_characters"),
        ({"summary": "长" * 100_000}, "text_too_long"),
        ({"brand": {"nested": "object"}}, "text_not_text"),
        ({"since": "2026-02-30"}, "invalid_date"),
        ({"since": ["2026-02-01"]}, "invalid_date"),
    ],
)
def test_bad_form_data_is_refused_with_a_code_and_the_draft_is_unchanged(draft_with_fields, form_data, code):
    application, actor = draft_with_fields

    with pytest.raises(ValidationError) as caught:
        update_application(application=application, actor=actor, data={"form_data": form_data})

    assert caught.value.error_dict["form_data"][0].code == code
    application.refresh_from_db()
    assert application.form_data in ({}, None)


def test_form_data_over_the_api_with_nul_is_a_400_not_a_500(draft_with_fields):
    application, actor = draft_with_fields
    api = APIClient()
    api.force_authenticate(actor)

    response = api.patch(f"/api/v1/applications/{application.pk}/", {"form_data": {"summary": "a\x00b"}}, format="json")

    assert error_of(response) == (400, "text_invalid_characters")
    assert list(response.json()["fields"]) == ["form_data"]
    assert api.get(f"/api/v1/applications/{application.pk}/").status_code == 200


def test_good_form_data_is_stored_whole(draft_with_fields):
    application, actor = draft_with_fields
    summary = "第一段\n第二段" + "长" * 4000

    update_application(
        application=application, actor=actor, data={"form_data": {"summary": summary, "since": "2024-02-29"}}
    )

    application.refresh_from_db()
    assert application.form_data == {"summary": summary, "since": "2024-02-29"}


def test_a_unit_description_too_long_is_refused_not_cut(draft_with_fields):
    application, actor = draft_with_fields

    with pytest.raises(ValidationError) as caught:
        update_application(application=application, actor=actor, data={"units": [{"description": "长" * 301}]})

    assert caught.value.error_dict["units"][0].code == "text_too_long"


# --- Organisations ---------------------------------------------------------------------------------------------


def profile(**overrides):
    data = {
        "name": "深圳市鹏城精密制造有限公司",
        "org_type": "enterprise",
        "founded_on": date(2012, 5, 18),
        "district": "nanshan",
        "registered_address": "深圳市南山区科技园",
        "legal_representative": "王建国",
        "contact_person": "李四",
        "contact_phone": "0755-86000000",
        "contact_email": "contact@example.cn",
    }
    data.update(overrides)
    return data


USCC = build_uscc("91440300MA5FPC011")


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"name": "坏公司\r\nBcc: victim@example.cn"}, "name", "text_invalid_characters"),
        ({"registered_address": "地址\x00"}, "registered_address", "text_invalid_characters"),
        ({"founded_on": date(9999, 12, 31)}, "founded_on", "founded_on_future"),
        ({"founded_on": date.today() + timedelta(days=1)}, "founded_on", "founded_on_future"),
        ({"founded_on": date(1800, 1, 1)}, "founded_on", "founded_on_too_old"),
    ],
)
def test_registration_refuses_line_breaks_control_characters_and_implausible_founding_dates(overrides, field, code):
    with pytest.raises(ValidationError) as caught:
        account_services.register_organisation(actor=UserFactory(), uscc=USCC, **profile(**overrides))

    assert caught.value.error_dict[field][0].code == code
    assert not Organisation.objects.exists()


def test_an_update_cannot_put_a_line_break_in_the_name():
    membership = MembershipFactory()

    with pytest.raises(ValidationError) as caught:
        account_services.update_organisation(
            organisation=membership.organisation, actor=membership.user, data={"name": "新名\n称"}
        )

    assert caught.value.error_dict["name"][0].code == "text_invalid_characters"


def test_an_invitation_from_an_organisation_whose_stored_name_has_a_line_break_is_sent(
    django_capture_on_commit_callbacks,
):
    membership = MembershipFactory(role="admin")
    Organisation.objects.filter(pk=membership.organisation.pk).update(name="旧数据\r\n公司")
    membership.organisation.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        account_services.invite_member(
            organisation=membership.organisation, actor=membership.user, email="new@example.cn", role="handler"
        )

    assert len(mail.outbox) == 1
    assert "\n" not in mail.outbox[0].subject and "\r" not in mail.outbox[0].subject


# --- Logins with a 300-character username ---------------------------------------------------------------------


LONG_EMAIL = "a" * 290 + "@example.cn"


def test_the_site_login_refuses_a_300_character_address_in_the_form():
    response = Client().post(reverse("account_login"), {"login": LONG_EMAIL, "password": "whatever-123"})

    assert response.status_code == 200
    assert "login" in response.context["form"].errors


def test_the_admin_login_refuses_a_300_character_address_in_the_form(settings):
    settings.STAFF_MFA_REQUIRED = False
    response = Client().post(reverse("admin:login"), {"username": LONG_EMAIL, "password": "whatever-123"})

    assert response.status_code == 200
    assert "username" in response.context["form"].errors


# --- CSV -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x","点我")', "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise_prefixes_formula_text_with_an_apostrophe(cell):
    assert neutralise(cell) == "'" + cell


def test_safe_row_leaves_numbers_alone():
    from decimal import Decimal

    assert safe_row(["=1+1", Decimal("-5.00"), 3, None]) == ["'=1+1", Decimal("-5.00"), 3, None]


def test_the_dashboard_csv_neutralises_a_program_name_that_is_a_formula(client, roles):
    program = ProgramFactory(name='=HYPERLINK("http://evil.example","点我")')
    call = CallFactory(programs=[program])
    client.force_login(roles["finance"])

    response = client.get(reverse("dashboard:csv", args=[call.pk, "programs"]))

    text = response.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text and ',"=HYPERLINK' not in text


# --- Bank account masking in the organisation admin -------------------------------------------------------------


def test_intake_sees_the_bank_account_masked_and_finance_sees_it_whole(client, roles):
    organisation = OrganisationFactory(bank_account_number="6222020200112233445")
    url = reverse("admin:accounts_organisation_change", args=[organisation.pk])

    client.force_login(roles["intake"])
    intake_page = client.get(url)
    client.force_login(roles["finance"])
    finance_page = client.get(url)

    assert intake_page.status_code == 200
    assert "6222020200112233445" not in intake_page.content.decode()
    assert "6222 **** **** 3445" in intake_page.content.decode()
    if finance_page.status_code == 200:  # finance may read organisations
        assert "6222020200112233445" in finance_page.content.decode()


# --- Downloads: the stored type, not the name's ----------------------------------------------------------------


def test_an_attachment_named_html_downloads_as_the_pdf_it_is(client, roles, make_application, certificate_program):
    from applications.services import add_attachment
    from tests.applications.conftest import pdf

    draft = make_application("draft", program=certificate_program)
    attachment = add_attachment(
        application=draft, actor=roles["owner"], kind="certificate", uploaded_file=pdf("证书.html")
    )
    client.force_login(roles["owner"])

    download = client.get(attachment.get_absolute_url())

    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"


# --- Objections --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("content", "异议\x00内容"), ("name", "张\n三"), ("organisation", "单位\x07")],
)
def test_an_objection_with_control_characters_is_a_400_with_a_code(notice, field, value):  # noqa: F811
    body = {"name": "张三", "phone": "13800138000", "content": "该单位存在重复申报"}
    body[field] = value

    response = APIClient().post(f"/api/v1/publicity/{notice.pk}/objections/", body, format="json")

    assert error_of(response) == (400, "text_invalid_characters")
    assert field in response.json()["fields"]
