import re
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from accounts.error_codes import AccountErrorCode
from accounts.forms import OrganisationRegistrationForm
from accounts.models import Membership, Organisation
from accounts.rules import build_uscc
from accounts.services import REGISTRATION_FIELDS
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

USCC = build_uscc("91440300MA5FPC011")


def registration_form(**overrides: str) -> dict:
    data = {
        "uscc": USCC,
        "name": "深圳市鹏城精密制造有限公司",
        "org_type": "enterprise",
        "founded_on": "2012-05-18",
        "district": "nanshan",
        "registered_address": "深圳市南山区科技园",
        "legal_representative": "王建国",
        "contact_person": "李四",
        "contact_phone": "0755-86000000",
        "contact_email": "contact@example.cn",
        "bank_name": "",
        "bank_account_number": "",
        "bank_account_name": "",
    }
    data.update(overrides)
    return data


def profile_form(**overrides: str) -> dict:
    """The profile page as posted: the registration form without the registration fields, which it shows as text."""
    data = {k: v for k, v in registration_form().items() if k not in REGISTRATION_FIELDS}
    data.update(overrides)
    return data


def test_sign_up_verify_email_then_register_the_organisation(client, password):
    response = client.post(
        reverse("account_signup"), {"email": "new@example.cn", "password1": password, "password2": password}
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    confirm_url = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/", mail.outbox[0].body).group(0)

    client.post(confirm_url)
    page = client.get(reverse("accounts:home"))
    assert "用统一社会信用代码登记单位" in page.content.decode()

    response = client.post(reverse("accounts:register_organisation"), registration_form())

    assert response.status_code == 302
    organisation = Organisation.objects.get(uscc=USCC)
    assert Membership.objects.get(user__email="new@example.cn").organisation == organisation


def test_registration_waits_for_a_verified_email(client):
    user = UserFactory(verified=False)
    client.force_login(user)

    response = client.post(reverse("accounts:register_organisation"), registration_form())

    assert response.status_code == 302
    assert response.url == reverse("account_email")
    assert Organisation.objects.count() == 0


def test_a_taken_uscc_is_shown_beside_the_field_and_the_typed_values_are_kept(client):
    OrganisationFactory(uscc=USCC)
    client.force_login(UserFactory())

    response = client.post(reverse("accounts:register_organisation"), registration_form(name="我的新公司"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "该统一社会信用代码已注册" in html
    assert 'class="error-summary"' in html
    assert 'value="我的新公司"' in html
    assert Organisation.objects.count() == 1


def test_an_invalid_check_character_is_refused_with_a_chinese_message(client):
    client.force_login(UserFactory())
    wrong = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")

    response = client.post(reverse("accounts:register_organisation"), registration_form(uscc=wrong))

    assert "统一社会信用代码校验位不正确" in response.content.decode()
    assert Organisation.objects.count() == 0


def test_a_member_edits_the_profile_and_sees_the_bank_warning_until_complete(client):
    membership = MembershipFactory(organisation=OrganisationFactory(bank_name="", bank_account_number=""))
    client.force_login(membership.user)
    organisation = membership.organisation

    page = client.get(reverse("accounts:organisation")).content.decode()
    assert "收款账户尚未填写完整" in page

    data = profile_form(
        name=organisation.name,
        bank_name="招商银行深圳分行",
        bank_account_number="755912345610801",
        bank_account_name=organisation.name,
    )
    response = client.post(reverse("accounts:organisation"), data)

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.bank_account_number == "755912345610801"
    assert organisation.has_complete_bank_account


@pytest.mark.parametrize("url_name", ["accounts:organisation", "accounts:members"])
def test_organisation_pages_need_login_and_a_membership(client, url_name):
    url = reverse(url_name)

    assert client.get(url).status_code == 302  # anonymous → login
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404  # signed in without an organisation


def test_a_member_cannot_remove_members_of_another_organisation(client):
    mine = MembershipFactory()
    theirs = MembershipFactory()
    client.force_login(mine.user)

    response = client.post(reverse("accounts:remove_member", args=[theirs.pk]))

    assert response.status_code == 404
    assert Membership.objects.filter(pk=theirs.pk).exists()


def test_a_handler_cannot_invite(client):
    admin = MembershipFactory()
    handler = MembershipFactory(organisation=admin.organisation, role="handler")
    client.force_login(handler.user)

    response = client.post(reverse("accounts:members"), {"email": "x@example.cn", "role": "handler"})

    assert response.status_code == 403
    assert not admin.organisation.invitations.exists()


def test_the_admin_invites_and_the_invitee_accepts_on_the_page(client):
    admin = MembershipFactory()
    client.force_login(admin.user)
    client.post(reverse("accounts:members"), {"email": "joiner@example.cn", "role": "finance"})
    invitation = admin.organisation.invitations.get()

    joiner = UserFactory(email="joiner@example.cn")
    client.force_login(joiner)
    assert "接受邀请" in client.get(reverse("accounts:home")).content.decode()
    client.post(reverse("accounts:accept_invitation", args=[invitation.token]))

    assert Membership.objects.get(user=joiner).role == "finance"


def test_login_is_locked_after_five_failures_for_that_username_and_address(client, password):
    UserFactory(email="victim@example.cn")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "victim@example.cn", "password": "wrong-password"})

    response = client.post(reverse("account_login"), {"login": "victim@example.cn", "password": password})

    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


# --- Registration fields (统一社会信用代码, 单位类型, 成立日期): set at registration, corrected only by staff ---------


def test_the_registration_form_shows_a_date_in_the_iso_format_of_the_date_input():
    form = OrganisationRegistrationForm(initial={"founded_on": date(2018, 5, 1)})

    html = str(form["founded_on"])

    assert 'type="date"' in html
    assert 'value="2018-05-01"' in html  # not 2018/05/01, which the browser shows as blank


def test_registration_on_the_page_sets_the_registration_fields(client):
    client.force_login(UserFactory())

    response = client.post(reverse("accounts:register_organisation"), registration_form(org_type="social_organisation"))

    assert response.status_code == 302
    organisation = Organisation.objects.get(uscc=USCC)
    assert (organisation.org_type, organisation.founded_on) == ("social_organisation", date(2012, 5, 18))


def test_the_profile_page_shows_the_registration_fields_as_text_with_how_to_correct_them(client):
    membership = MembershipFactory(organisation__founded_on=date(2018, 5, 1), organisation__org_type="enterprise")
    client.force_login(membership.user)

    response = client.get(reverse("accounts:organisation"))

    html = response.content.decode()
    form = response.context["form"]
    assert not set(REGISTRATION_FIELDS) & set(form.fields)
    assert 'name="founded_on"' not in html
    assert 'name="org_type"' not in html
    assert form.registration_facts() == [
        ("统一社会信用代码", membership.organisation.uscc),
        ("单位类型", "企业"),
        ("成立日期", "2018年5月1日"),
    ]
    assert "<dt>成立日期</dt><dd>2018年5月1日</dd>" in html
    assert "请联系主管部门更正" in html


def test_saving_the_profile_no_longer_fails_on_the_founding_date(client):
    """The reported bug: the date input showed 2018/05/01 as blank, so every save failed (成立日期：该字段是必填项)."""
    membership = MembershipFactory(organisation__founded_on=date(2018, 5, 1))
    organisation = membership.organisation
    client.force_login(membership.user)

    response = client.post(
        reverse("accounts:organisation"),
        profile_form(name=organisation.name, contact_person="钱七", bank_account_name=organisation.name),
    )

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert (organisation.contact_person, organisation.founded_on) == ("钱七", date(2018, 5, 1))


@pytest.mark.parametrize(
    ("posted", "field"),
    [({"founded_on": "2010-01-01"}, "founded_on"), ({"org_type": "other"}, "org_type")],
)
def test_a_posted_change_of_a_registration_field_is_refused_and_nothing_is_saved(client, posted, field):
    """A page from before the fields were locked, or a crafted request, still posts them: refused, not ignored."""
    membership = MembershipFactory(organisation__founded_on=date(2018, 5, 1), organisation__org_type="enterprise")
    organisation = membership.organisation
    client.force_login(membership.user)
    history_rows = organisation.history.count()

    response = client.post(
        reverse("accounts:organisation"),
        {**profile_form(name=organisation.name, contact_person="钱七", bank_account_name=organisation.name), **posted},
    )

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors().as_data()
    assert [e.code for e in errors] == [AccountErrorCode.REGISTRATION_FIELD_LOCKED]
    label = Organisation._meta.get_field(field).verbose_name
    assert f"{label}在登记后不能修改，如有错误请联系主管部门更正" in response.content.decode()
    organisation.refresh_from_db()
    assert (organisation.founded_on, organisation.org_type) == (date(2018, 5, 1), "enterprise")
    assert organisation.contact_person != "钱七"
    assert organisation.history.count() == history_rows


@pytest.mark.parametrize("founded_on", ["2018-05-01", "2018/05/01", ""])
def test_an_old_page_posting_the_stored_registration_values_or_a_blank_date_saves(client, founded_on):
    membership = MembershipFactory(organisation__founded_on=date(2018, 5, 1), organisation__org_type="enterprise")
    organisation = membership.organisation
    client.force_login(membership.user)
    data = profile_form(name=organisation.name, contact_person="钱七", bank_account_name=organisation.name)

    response = client.post(
        reverse("accounts:organisation"), {**data, "org_type": "enterprise", "founded_on": founded_on}
    )

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert (organisation.contact_person, organisation.founded_on) == ("钱七", date(2018, 5, 1))
