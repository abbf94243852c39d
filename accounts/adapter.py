"""allauth's account adapter: its e-mails carry the portal's name and its links start with ``settings.SITE_URL``.

Without ``django.contrib.sites`` allauth names the site after the request's host ("127.0.0.1:8100") and builds the
links of its e-mails from the request. The portal has one base URL for every absolute link it sends (notifications,
the award notice's and the 申报书's QR codes): ``SITE_URL``. The site name is the portal's Chinese name.
"""

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.urls import reverse


@dataclass(frozen=True)
class PortalSite:
    """What allauth's templates read from ``current_site``: the name and the domain."""

    name: str
    domain: str


def absolute_url(path: str) -> str:
    """``path`` under the portal's one base URL (``settings.SITE_URL``)."""
    return settings.SITE_URL.rstrip("/") + path


def portal_site() -> PortalSite:
    return PortalSite(name=str(settings.PORTAL_NAME), domain=urlsplit(settings.SITE_URL).netloc)


class PortalAccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        super().send_mail(
            template_prefix, email, {"current_site": portal_site(), "site_url": settings.SITE_URL, **context}
        )

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return absolute_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return absolute_url(path.replace("UID-KEY", quote(key)))

    def send_account_already_exists_mail(self, email: str) -> None:
        context = {
            "signup_url": absolute_url(reverse("account_signup")),
            "password_reset_url": absolute_url(reverse("account_reset_password")),
        }
        self.send_mail("account/email/account_already_exists", email, context)
