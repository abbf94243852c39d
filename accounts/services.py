"""Writes for users, organisations and memberships. Views, the admin, the API and commands call these."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Invitation, Membership, MembershipRole, Organisation, User
from accounts.roles import ROLES, Role
from accounts.rules import validate_uscc

ORGANISATION_EDITABLE_FIELDS = (
    "name",
    "org_type",
    "founded_on",
    "district",
    "registered_address",
    "legal_representative",
    "contact_person",
    "contact_phone",
    "contact_email",
    "bank_name",
    "bank_account_number",
    "bank_account_name",
)


def _clean_organisation(organisation: Organisation, *, exclude: list[str] | None = None) -> None:
    organisation.full_clean(exclude=exclude)
    if organisation.bank_account_name and organisation.bank_account_name != organisation.name:
        raise ValidationError(
            {"bank_account_name": ValidationError(_("账户名称必须与单位名称完全一致"), code="account_name_mismatch")}
        )


@transaction.atomic
def register_organisation(*, actor: User, uscc: str, **fields: Any) -> Organisation:
    """Register an organisation by its USCC and make the actor its administrator.

    Raise ValidationError with code "uscc_invalid_format", "uscc_invalid_check", "uscc_taken" or
    "already_member" (the actor already belongs to an organisation); nothing is saved then.
    """
    if Membership.objects.filter(user=actor).exists():
        raise ValidationError(_("您的账号已属于一个申报单位，不能再注册新的单位"), code="already_member")
    uscc = validate_uscc(uscc)
    if Organisation.objects.filter(uscc__iexact=uscc).exists():
        raise ValidationError(
            {"uscc": ValidationError(_("该统一社会信用代码已注册，请联系本单位管理员邀请您加入"), code="uscc_taken")}
        )
    unknown = set(fields) - set(ORGANISATION_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown organisation fields: {sorted(unknown)}")
    organisation = Organisation(uscc=uscc, **fields)
    _clean_organisation(organisation, exclude=["uscc"])
    try:
        with transaction.atomic():
            organisation.save()
    except IntegrityError as exc:  # a concurrent registration of the same USCC
        raise ValidationError(
            {"uscc": ValidationError(_("该统一社会信用代码已注册，请联系本单位管理员邀请您加入"), code="uscc_taken")}
        ) from exc
    Membership.objects.create(user=actor, organisation=organisation, role=MembershipRole.ADMIN)
    return organisation


@transaction.atomic
def update_organisation(*, organisation: Organisation, actor: User, data: dict[str, Any]) -> Organisation:
    """Change an organisation's profile or bank account; the USCC never changes after registration.

    Raise PermissionDenied unless the actor is a member; ValidationError ("uscc_immutable", field errors).
    """
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not Membership.objects.filter(user=actor, organisation=organisation).exists():
        raise PermissionDenied
    if "uscc" in data and validate_uscc_or_none(data["uscc"]) != organisation.uscc:
        raise ValidationError({"uscc": ValidationError(_("统一社会信用代码注册后不可修改"), code="uscc_immutable")})
    changed = [field for field in ORGANISATION_EDITABLE_FIELDS if field in data]
    for field in changed:
        setattr(organisation, field, data[field])
    _clean_organisation(organisation, exclude=["uscc"])
    organisation._change_reason = "update_organisation"
    organisation.save(update_fields=[*changed, "updated_at"])
    return organisation


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
        raise ValidationError({"role": ValidationError(_("请选择有效的角色"), code="role_invalid")})
    if Membership.objects.filter(user__email__iexact=email).exists():
        raise ValidationError({"email": ValidationError(_("该邮箱已是某个申报单位的成员"), code="already_member")})
    invitation = Invitation.objects.create(organisation=organisation, email=email, role=role, invited_by=actor)
    transaction.on_commit(lambda: _send_invitation_email(invitation))
    return invitation


def _send_invitation_email(invitation: Invitation) -> None:
    url = f"{settings.SITE_URL.rstrip('/')}{reverse('accounts:home')}"
    send_mail(
        subject=str(_("【质量品牌专项资金】%(org)s 邀请您加入") % {"org": invitation.organisation.name}),
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
        raise ValidationError(_("邀请已失效或不属于当前账号"), code="invitation_invalid")
    if Membership.objects.filter(user=actor).exists():
        raise ValidationError(_("您的账号已属于一个申报单位"), code="already_member")
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
            raise ValidationError(_("单位至少需要保留一名管理员"), code="last_admin")
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
