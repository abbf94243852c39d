"""Writes for users, organisations and memberships. Views, the admin, the API and commands call these."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.error_codes import AccountErrorCode
from accounts.models import Invitation, Membership, MembershipRole, Organisation, User
from accounts.roles import ROLES, Role
from accounts.rules import validate_uscc
from core.text import header_safe, text_error

# Set at registration from the business licence (营业执照或登记证书); afterwards only staff correct them, in the admin,
# where the history records who changed what and when. Eligibility rests on them: E1 (单位类型), E3 (经营年限, counted
# from 成立日期) and E9 (统一社会信用代码).
REGISTRATION_FIELDS = ("uscc", "org_type", "founded_on")
# What the applicant keeps up to date after registration.
ORGANISATION_EDITABLE_FIELDS = (
    "name",
    "district",
    "registered_address",
    "legal_representative",
    "contact_person",
    "contact_phone",
    "contact_email",
    "bank_name",
    "bank_account_number",
    "bank_account_name",
    "bank_cnaps",
)


# 成立日期 earlier than this is a typing error, not an organisation (the oldest registrations on file are later).
FOUNDED_ON_EARLIEST = dt.date(1949, 1, 1)
FOUNDED_ON_FUTURE = "founded_on_future"
FOUNDED_ON_TOO_OLD = "founded_on_too_old"


def organisation_input_errors(
    organisation: Organisation, *, check_founded_on: bool = True
) -> dict[str, list[ValidationError]]:
    """Return the errors of the text fields (each single-line, within its column, without control characters:
    codes "text_invalid_characters", "text_too_long") and of 成立日期 ("founded_on_future", "founded_on_too_old").

    The admin's form calls this too.
    """
    errors: dict[str, list[ValidationError]] = {}
    for field in Organisation._meta.concrete_fields:
        if field.get_internal_type() not in ("CharField", "TextField") or field.choices:
            continue
        value = getattr(organisation, field.attname)
        if value in (None, ""):
            continue
        error = text_error(value, max_length=field.max_length, multiline=False)
        if error is not None:
            errors[field.name] = [error]
    founded_on = organisation.founded_on
    if check_founded_on and isinstance(founded_on, dt.date):
        if founded_on > timezone.localdate():
            errors["founded_on"] = [ValidationError(_("成立日期不能晚于今天"), code=FOUNDED_ON_FUTURE)]
        elif founded_on < FOUNDED_ON_EARLIEST:
            errors["founded_on"] = [
                ValidationError(_("成立日期不能早于1949年1月1日，请核对营业执照"), code=FOUNDED_ON_TOO_OLD)
            ]
    return errors


def _clean_organisation(
    organisation: Organisation, *, exclude: list[str] | None = None, check_founded_on: bool = True
) -> None:
    """Raise one ValidationError holding every field's error (text, format, 成立日期, the account name)."""
    errors = organisation_input_errors(organisation, check_founded_on=check_founded_on)
    # A field whose text was refused is left out of full_clean, whose validators would choke on (or misreport)
    # a NUL or a 300-character value; every other field is still checked in the same round.
    try:
        organisation.full_clean(exclude=[*(exclude or []), *errors])
    except ValidationError as error:
        error.update_error_dict(errors)
    if (
        "bank_account_name" not in errors
        and organisation.bank_account_name
        and organisation.bank_account_name != organisation.name
    ):
        errors["bank_account_name"] = [
            ValidationError(_("账户名称必须与单位名称完全一致"), code=AccountErrorCode.ACCOUNT_NAME_MISMATCH)
        ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def register_organisation(*, actor: User, uscc: str, **fields: Any) -> Organisation:
    """Register an organisation by its USCC and make the actor its administrator.

    ``fields`` are the other registration fields (``REGISTRATION_FIELDS``: set here, afterwards only staff correct
    them) and the profile (``ORGANISATION_EDITABLE_FIELDS``); any other name is a ValueError.
    Raise ValidationError with code "uscc_invalid_format", "uscc_invalid_check", "uscc_taken" or
    "already_member" (the actor already belongs to an organisation); nothing is saved then.
    """
    if Membership.objects.filter(user=actor).exists():
        raise ValidationError(_("您的账号已属于一个申报单位，不能再注册新的单位"), code=AccountErrorCode.ALREADY_MEMBER)
    unknown = set(fields) - set(REGISTRATION_FIELDS) - set(ORGANISATION_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown organisation fields: {sorted(unknown)}")
    # Every error in one round: the USCC's and every other field's together.
    errors: dict[str, list[ValidationError]] = {}
    try:
        uscc = validate_uscc(uscc)
    except ValidationError as error:
        errors["uscc"] = error.error_list
    else:
        if Organisation.objects.filter(uscc__iexact=uscc).exists():
            errors["uscc"] = [
                ValidationError(
                    _("该统一社会信用代码已注册，请联系本单位管理员邀请您加入"), code=AccountErrorCode.USCC_TAKEN
                )
            ]
    organisation = Organisation(uscc=uscc, **fields)
    try:
        _clean_organisation(organisation, exclude=["uscc"])
    except ValidationError as error:
        error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            organisation.save()
    except IntegrityError as exc:  # a concurrent registration of the same USCC
        raise ValidationError(
            {
                "uscc": ValidationError(
                    _("该统一社会信用代码已注册，请联系本单位管理员邀请您加入"), code=AccountErrorCode.USCC_TAKEN
                )
            }
        ) from exc
    Membership.objects.create(user=actor, organisation=organisation, role=MembershipRole.ADMIN)
    return organisation


@transaction.atomic
def update_organisation(*, organisation: Organisation, actor: User, data: dict[str, Any]) -> Organisation:
    """Change what the applicant keeps up to date: the profile, the contacts and the bank account.

    The registration fields (``REGISTRATION_FIELDS``) are refused, not ignored, when ``data`` holds a value other than
    the stored one; sending the stored value is no change. Raise PermissionDenied unless the actor is a member;
    ValidationError with every field's error at once: "uscc_immutable", "registration_field_locked" (单位类型, 成立日期)
    and the profile's own ("account_name_mismatch", ...). Nothing is saved then. Other keys of ``data`` are ignored.
    """
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not Membership.objects.filter(user=actor, organisation=organisation).exists():
        raise PermissionDenied
    errors = _registration_field_errors(organisation, data)
    changed = [field for field in ORGANISATION_EDITABLE_FIELDS if field in data]
    for field in changed:
        setattr(organisation, field, data[field])
    try:
        # 成立日期 cannot change here: a stored date, however wrong, is for staff to correct, not a reason to refuse.
        _clean_organisation(organisation, exclude=["uscc"], check_founded_on=False)
    except ValidationError as error:
        error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    organisation._change_reason = "update_organisation"
    organisation.save(update_fields=[*changed, "updated_at"])
    return organisation


def _registration_field_errors(organisation: Organisation, data: dict[str, Any]) -> dict[str, list[ValidationError]]:
    """Return an error for each registration field to which ``data`` gives a value other than the stored one."""
    errors = {}
    for name in REGISTRATION_FIELDS:
        if name in data and _differs_from_stored(organisation, name, data[name]):
            # The USCC kept the code it had before the other registration fields were locked: clients match on it.
            code = AccountErrorCode.USCC_IMMUTABLE if name == "uscc" else AccountErrorCode.REGISTRATION_FIELD_LOCKED
            message = _("%(field)s在登记后不能修改，如有错误请联系主管部门更正")
            field = Organisation._meta.get_field(name)
            errors[name] = [ValidationError(message, code=code, params={"field": field.verbose_name})]
    return errors


def _differs_from_stored(organisation: Organisation, name: str, value: Any) -> bool:
    """Say whether ``value`` (as sent: a date or ISO text, a code in any case) differs from the stored one."""
    if name == "uscc":
        return validate_uscc_or_none(value) != organisation.uscc
    try:
        value = Organisation._meta.get_field(name).to_python(value)
    except (ValidationError, TypeError, ValueError):
        return True  # not even a value of the field, so not the stored one
    return value != getattr(organisation, name)


def validate_uscc_or_none(value: str) -> str | None:
    try:
        return validate_uscc(value)
    except ValidationError:
        return None


def _require_admin(*, organisation: Organisation, actor: User) -> None:
    if not Membership.objects.filter(user=actor, organisation=organisation, role=MembershipRole.ADMIN).exists():
        raise PermissionDenied


@transaction.atomic
def invite_member(*, organisation: Organisation, actor: User, email: str, role: str) -> Invitation:
    """Invite an email address to join the organisation (administrators only).

    Raise ValidationError "already_member" when that address already belongs to an organisation.
    """
    _require_admin(organisation=organisation, actor=actor)
    email = email.strip().lower()
    if role not in MembershipRole.values:
        raise ValidationError({"role": ValidationError(_("请选择有效的角色"), code=AccountErrorCode.ROLE_INVALID)})
    if Membership.objects.filter(user__email__iexact=email).exists():
        raise ValidationError(
            {"email": ValidationError(_("该邮箱已是某个申报单位的成员"), code=AccountErrorCode.ALREADY_MEMBER)}
        )
    invitation = Invitation.objects.create(organisation=organisation, email=email, role=role, invited_by=actor)
    transaction.on_commit(lambda: _send_invitation_email(invitation))
    return invitation


def _send_invitation_email(invitation: Invitation) -> None:
    url = f"{settings.SITE_URL.rstrip('/')}{reverse('accounts:home')}"
    send_mail(
        # header_safe: a line break in a header is BadHeaderError (names from before CR/LF was refused).
        subject=header_safe(_("【质量品牌专项资金】%(org)s 邀请您加入") % {"org": invitation.organisation.name}),
        message=str(
            _(
                "您好：\n\n%(org)s 邀请您以“%(role)s”身份加入本单位的专项资金申报账号。\n"
                "请用本邮箱（%(email)s）注册或登录后，在以下页面接受邀请：\n%(url)s\n\n邀请有效期至 %(expires)s。"
            )
            % {
                "org": invitation.organisation.name,
                "role": invitation.get_role_display(),
                "email": invitation.email,
                "url": url,
                "expires": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M"),
            }
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def accept_invitation(*, invitation: Invitation, actor: User) -> Membership:
    """Join the inviting organisation as the invited role.

    Raise ValidationError "invitation_invalid" (expired, used or for another address) or "already_member".
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending or invitation.email.lower() != actor.email.lower():
        raise ValidationError(_("邀请已失效或不属于当前账号"), code=AccountErrorCode.INVITATION_INVALID)
    if Membership.objects.filter(user=actor).exists():
        raise ValidationError(_("您的账号已属于一个申报单位"), code=AccountErrorCode.ALREADY_MEMBER)
    membership = Membership.objects.create(user=actor, organisation=invitation.organisation, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def remove_member(*, membership: Membership, actor: User) -> None:
    """Remove a member from the organisation (administrators only); the last administrator stays.

    Raise ValidationError "last_admin" when removing the only administrator.
    """
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    _require_admin(organisation=membership.organisation, actor=actor)
    if membership.is_admin:
        admins = Membership.objects.filter(organisation=membership.organisation, role=MembershipRole.ADMIN).count()
        if admins <= 1:
            raise ValidationError(_("单位至少需要保留一名管理员"), code=AccountErrorCode.LAST_ADMIN)
    membership.delete()


def _permissions_for(role: Role) -> list[Permission]:
    permissions: list[Permission] = []
    for spec in role.permissions:
        app_label, codename = spec.split(".", 1)
        queryset = Permission.objects.filter(content_type__app_label=app_label)
        if codename != "*":
            queryset = queryset.filter(codename=codename)
        found = list(queryset)
        if not found:
            raise LookupError(f"Permission {spec} of role {role.key} does not exist (run migrate first)")
        permissions.extend(found)
    return permissions


@transaction.atomic
def sync_roles() -> list[tuple[Group, bool]]:
    """Create or update the staff groups and their permissions from ``accounts.roles.ROLES`` (idempotent)."""
    result = []
    for role in ROLES:
        group, created = Group.objects.get_or_create(name=role.group_name)
        group.permissions.set(_permissions_for(role))
        result.append((group, created))
    return result
