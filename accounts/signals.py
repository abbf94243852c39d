"""Signal receivers of the accounts app."""

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts.middleware import remember_second_factor
from accounts.models import Membership
from accounts.tokens import revoke_tokens


@receiver(authenticator_added)
def count_activation_as_second_factor(sender, request, user, authenticator, **kwargs) -> None:
    """Activating TOTP needs a valid code from the new authenticator: that session has shown its second factor.

    Without this, staff who just set up their app would be asked for another code (and, since a code is good once,
    wait up to 30 seconds for the next one) before the admin opens.
    """
    from allauth.account.internal.flows.login import record_authentication

    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        record_authentication(request, user, "mfa", type=authenticator.type, id=authenticator.pk, activation=True)
        remember_second_factor(request)


# --- Revoking API tokens when trust changes ------------------------------------------------------------------
# On the model signals rather than allauth's password signals, so that every path counts: allauth's change and
# reset, the admin's password form, ``manage.py changepassword``, a service that moves a member.


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def notice_password_or_staff_change(sender, instance, update_fields=None, raw=False, **kwargs) -> None:
    """Mark a user whose password changes, or who stops being staff, for token revocation after the save."""
    instance._revoke_api_tokens = False
    if raw or instance.pk is None or (update_fields is not None and not {"password", "is_staff"} & set(update_fields)):
        return
    before = sender.objects.filter(pk=instance.pk).values("password", "is_staff").first()
    if before is not None and (
        before["password"] != instance.password or (before["is_staff"] and not instance.is_staff)
    ):
        instance._revoke_api_tokens = True


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def revoke_tokens_after_password_change(sender, instance, created, raw=False, **kwargs) -> None:
    if getattr(instance, "_revoke_api_tokens", False):
        instance._revoke_api_tokens = False
        revoke_tokens([instance.pk])


@receiver(pre_save, sender=Membership)
def revoke_tokens_on_moving_organisation(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    before = sender.objects.filter(pk=instance.pk).values("organisation_id", "user_id").first()
    if before is not None and (before["organisation_id"], before["user_id"]) != (
        instance.organisation_id,
        instance.user_id,
    ):
        revoke_tokens([before["user_id"], instance.user_id])


@receiver(post_delete, sender=Membership)
def revoke_tokens_on_leaving_an_organisation(sender, instance, **kwargs) -> None:
    revoke_tokens([instance.user_id])


@receiver(m2m_changed, sender=get_user_model().groups.through)
def revoke_tokens_on_leaving_a_group(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """Leaving a staff group (a role: 受理员, 财务人员 …) ends the tokens that carried its permissions."""
    if action == "pre_clear":
        # pk_set is empty on clear: collect who is in the group (reverse) or note the user now.
        users = list(instance.user_set.values_list("pk", flat=True)) if reverse else [instance.pk]
        revoke_tokens(users)
    elif action == "post_remove":
        revoke_tokens(list(pk_set or ()) if reverse else [instance.pk])
