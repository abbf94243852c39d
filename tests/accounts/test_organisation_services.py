from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import services
from accounts.error_codes import AccountErrorCode
from accounts.models import Invitation, Membership, MembershipRole, Organisation
from accounts.rules import build_uscc
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

VALID_USCC = build_uscc("91440300MA5FPC011")


def profile(**overrides: object) -> dict:
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


def test_registering_an_organisation_makes_the_actor_its_administrator():
    user = UserFactory()

    organisation = services.register_organisation(actor=user, uscc=VALID_USCC.lower(), **profile())

    assert organisation.uscc == VALID_USCC
    assert (organisation.org_type, organisation.founded_on) == ("enterprise", date(2012, 5, 18))
    membership = Membership.objects.get(user=user)
    assert membership.organisation == organisation
    assert membership.role == MembershipRole.ADMIN


@pytest.mark.parametrize(
    ("uscc", "code"),
    [
        ("12345", "uscc_invalid_format"),
        ("91440300MA5FPC01I0", "uscc_invalid_format"),
        (VALID_USCC[:-1] + ("0" if VALID_USCC[-1] != "0" else "1"), "uscc_invalid_check"),
    ],
)
def test_an_invalid_uscc_is_refused_and_nothing_is_saved(uscc, code):
    user = UserFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.register_organisation(actor=user, uscc=uscc, **profile())

    assert [e.code for e in excinfo.value.error_dict["uscc"]] == [code]
    assert Organisation.objects.count() == 0
    assert Membership.objects.count() == 0


def test_a_uscc_already_registered_is_refused_with_uscc_taken():
    services.register_organisation(actor=UserFactory(), uscc=VALID_USCC, **profile())
    latecomer = UserFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.register_organisation(actor=latecomer, uscc=VALID_USCC.lower(), **profile(name="另一家公司"))

    assert excinfo.value.error_dict["uscc"][0].code == "uscc_taken"
    assert Organisation.objects.count() == 1
    assert not Membership.objects.filter(user=latecomer).exists()


def test_a_member_cannot_register_a_second_organisation():
    membership = MembershipFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.register_organisation(actor=membership.user, uscc=build_uscc("91440300MA5GRN022"), **profile())

    assert excinfo.value.code == "already_member"
    assert Organisation.objects.count() == 1


def test_a_bank_account_name_other_than_the_organisation_name_is_refused():
    user = UserFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.register_organisation(
            actor=user,
            uscc=VALID_USCC,
            **profile(bank_name="中国银行", bank_account_number="745300012345678", bank_account_name="别的公司"),
        )

    assert excinfo.value.error_dict["bank_account_name"][0].code == "account_name_mismatch"
    assert Organisation.objects.count() == 0


def test_updating_the_profile_keeps_the_uscc_and_refuses_to_change_it():
    membership = MembershipFactory()
    organisation = membership.organisation
    original = organisation.uscc

    services.update_organisation(organisation=organisation, actor=membership.user, data={"contact_person": "赵六"})
    with pytest.raises(ValidationError) as excinfo:
        services.update_organisation(
            organisation=organisation, actor=membership.user, data={"uscc": build_uscc("91440300MA5GRN022")}
        )

    organisation.refresh_from_db()
    assert organisation.contact_person == "赵六"
    assert organisation.uscc == original
    assert excinfo.value.error_dict["uscc"][0].code == AccountErrorCode.USCC_IMMUTABLE


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("founded_on", date(2010, 1, 1), "成立日期"),
        ("founded_on", "2010-01-01", "成立日期"),
        ("founded_on", "not a date", "成立日期"),
        ("founded_on", 20100101, "成立日期"),
        ("founded_on", None, "成立日期"),
        ("org_type", "other", "单位类型"),
    ],
)
def test_changing_a_registration_field_is_refused_and_nothing_is_saved(field, value, label):
    membership = MembershipFactory(organisation__founded_on=date(2015, 3, 1), organisation__org_type="enterprise")
    organisation = membership.organisation
    history_rows = organisation.history.count()

    with pytest.raises(ValidationError) as excinfo:
        services.update_organisation(
            organisation=organisation, actor=membership.user, data={field: value, "contact_person": "赵六"}
        )

    assert set(excinfo.value.error_dict) == {field}
    error = excinfo.value.error_dict[field][0]
    assert error.code == AccountErrorCode.REGISTRATION_FIELD_LOCKED
    assert error.messages == [f"{label}在登记后不能修改，如有错误请联系主管部门更正"]
    organisation.refresh_from_db()
    assert (organisation.founded_on, organisation.org_type) == (date(2015, 3, 1), "enterprise")
    assert organisation.contact_person != "赵六"
    assert organisation.history.count() == history_rows


def test_every_changed_registration_field_is_reported_in_one_round_with_the_other_errors():
    membership = MembershipFactory()
    organisation = membership.organisation

    with pytest.raises(ValidationError) as excinfo:
        services.update_organisation(
            organisation=organisation,
            actor=membership.user,
            data={
                "uscc": build_uscc("91440300MA5GRN022"),
                "org_type": "other",
                "founded_on": date(2010, 1, 1),
                "bank_account_name": "别的公司",
            },
        )

    codes = {field: [e.code for e in errors] for field, errors in excinfo.value.error_dict.items()}
    assert codes == {
        "uscc": [AccountErrorCode.USCC_IMMUTABLE],
        "org_type": [AccountErrorCode.REGISTRATION_FIELD_LOCKED],
        "founded_on": [AccountErrorCode.REGISTRATION_FIELD_LOCKED],
        "bank_account_name": [AccountErrorCode.ACCOUNT_NAME_MISMATCH],
    }
    organisation.refresh_from_db()
    assert organisation.bank_account_name == organisation.name


@pytest.mark.parametrize("founded_on", [date(2015, 3, 1), "2015-03-01"])
def test_sending_the_stored_registration_values_is_no_change(founded_on):
    membership = MembershipFactory(organisation__founded_on=date(2015, 3, 1), organisation__org_type="enterprise")
    organisation = membership.organisation

    services.update_organisation(
        organisation=organisation,
        actor=membership.user,
        data={
            "uscc": organisation.uscc.lower(),
            "org_type": "enterprise",
            "founded_on": founded_on,
            "contact_person": "赵六",
        },
    )

    organisation.refresh_from_db()
    assert organisation.contact_person == "赵六"
    assert (organisation.founded_on, organisation.org_type) == (date(2015, 3, 1), "enterprise")


def test_the_error_codes_are_the_strings_clients_already_receive():
    assert {str(code) for code in AccountErrorCode} == {
        "uscc_invalid_format",
        "uscc_invalid_check",
        "uscc_taken",
        "uscc_immutable",
        "registration_field_locked",
        "phone_invalid",
        "bank_account_invalid",
        "cnaps_invalid",
        "account_name_mismatch",
        "already_member",
        "role_invalid",
        "invitation_invalid",
        "last_admin",
        "sanction_dates_invalid",
        "invalid_credentials",
        "locked_out",
        "mfa_setup_required",
        "mfa_required",
        "mfa_locked",
        "mfa_code_required",
        "mfa_code_invalid",
    }


def test_a_non_member_cannot_update_an_organisation():
    organisation = OrganisationFactory()

    with pytest.raises(PermissionDenied):
        services.update_organisation(organisation=organisation, actor=UserFactory(), data={"contact_person": "X"})

    organisation.refresh_from_db()
    assert organisation.contact_person != "X"


def test_profile_history_records_who_changed_the_bank_account():
    membership = MembershipFactory()
    organisation = membership.organisation

    services.update_organisation(
        organisation=organisation, actor=membership.user, data={"bank_account_number": "6222000011112222"}
    )

    latest = organisation.history.latest()
    assert latest.bank_account_number == "6222000011112222"
    assert latest.history_change_reason == "update_organisation"


def test_an_invited_user_is_emailed_and_joins_with_the_invited_role(django_capture_on_commit_callbacks, mailoutbox):
    admin = MembershipFactory(role=MembershipRole.ADMIN)
    invitee = UserFactory(email="newcomer@example.cn")

    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite_member(
            organisation=admin.organisation, actor=admin.user, email="NewComer@example.cn", role=MembershipRole.FINANCE
        )
    assert mailoutbox[0].to == ["newcomer@example.cn"]
    assert admin.organisation.name in mailoutbox[0].subject
    assert "财务联系人" in mailoutbox[0].body
    membership = services.accept_invitation(invitation=invitation, actor=invitee)

    assert membership.organisation == admin.organisation
    assert membership.role == MembershipRole.FINANCE
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_an_invitation_cannot_be_accepted_by_another_address_or_twice():
    admin = MembershipFactory()
    invitation = services.invite_member(
        organisation=admin.organisation, actor=admin.user, email="a@example.cn", role=MembershipRole.HANDLER
    )

    with pytest.raises(ValidationError) as excinfo:
        services.accept_invitation(invitation=invitation, actor=UserFactory(email="b@example.cn"))
    assert excinfo.value.code == "invitation_invalid"

    services.accept_invitation(invitation=invitation, actor=UserFactory(email="a@example.cn"))
    with pytest.raises(ValidationError):
        services.accept_invitation(invitation=invitation, actor=UserFactory(email="A@example.cn".lower() + "x"))
    assert Membership.objects.filter(organisation=admin.organisation).count() == 2


def test_only_administrators_invite_and_remove_members():
    admin = MembershipFactory(role=MembershipRole.ADMIN)
    handler = MembershipFactory(organisation=admin.organisation, role=MembershipRole.HANDLER)

    with pytest.raises(PermissionDenied):
        services.invite_member(
            organisation=admin.organisation, actor=handler.user, email="x@example.cn", role=MembershipRole.HANDLER
        )
    with pytest.raises(PermissionDenied):
        services.remove_member(membership=admin, actor=handler.user)

    assert Invitation.objects.count() == 0
    services.remove_member(membership=handler, actor=admin.user)
    assert list(Membership.objects.values_list("pk", flat=True)) == [admin.pk]


def test_the_last_administrator_cannot_be_removed():
    admin = MembershipFactory(role=MembershipRole.ADMIN)

    with pytest.raises(ValidationError) as excinfo:
        services.remove_member(membership=admin, actor=admin.user)

    assert excinfo.value.code == "last_admin"
    assert Membership.objects.filter(pk=admin.pk).exists()


def test_registration_reports_the_uscc_the_phone_and_the_account_name_together():
    """Every error in one round: a bad USCC does not hide the phone and the account name."""
    user = UserFactory()
    data = {**profile(), "contact_phone": "0755123", "bank_account_name": "别的名称"}

    with pytest.raises(ValidationError) as excinfo:
        services.register_organisation(actor=user, uscc="12345", **data)

    codes = {field: [e.code for e in errors] for field, errors in excinfo.value.error_dict.items()}
    assert codes["uscc"] == ["uscc_invalid_format"]
    assert codes["contact_phone"] == ["phone_invalid"]
    assert codes["bank_account_name"] == ["account_name_mismatch"]


@pytest.mark.parametrize("phone", ["13800138000", "0755-88888888", "075588888888", "0755-88888888-123", "010-1234567"])
def test_chinese_mobile_and_landline_numbers_are_accepted(phone):
    organisation = services.register_organisation(
        actor=UserFactory(), uscc=VALID_USCC, **{**profile(), "contact_phone": phone}
    )
    assert organisation.contact_phone == phone


@pytest.mark.parametrize("phone", ["1380013800", "23800138000", "755-88888888", "0755-888", "+86 138 0013 8000"])
def test_a_phone_that_is_neither_mobile_nor_landline_is_refused(phone):
    with pytest.raises(ValidationError) as excinfo:
        services.register_organisation(actor=UserFactory(), uscc=VALID_USCC, **{**profile(), "contact_phone": phone})
    assert [e.code for e in excinfo.value.error_dict["contact_phone"]] == ["phone_invalid"]
