"""Signal receivers of the accounts app."""

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver


@receiver(authenticator_added)
def count_activation_as_second_factor(sender, request, user, authenticator, **kwargs) -> None:
    """Activating TOTP needs a valid code from the new authenticator: that session has shown its second factor.

    Without this, staff who just set up their app would be asked for another code (and, since a code is good once,
    wait up to 30 seconds for the next one) before the admin opens.
    """
    from allauth.account.internal.flows.login import record_authentication

    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        record_authentication(request, user, "mfa", type=authenticator.type, id=authenticator.pk, activation=True)
