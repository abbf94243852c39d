from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.error_codes import AccountErrorCode
from accounts.models import MembershipRole, Organisation
from accounts.services import ORGANISATION_EDITABLE_FIELDS, REGISTRATION_FIELDS
from core.normalise import digits_only, half_width

# An e-mail address has at most 254 characters (RFC 5321, and User.email); a longer "login" is refused by the form
# before it reaches authenticate(), whose failure record (django-axes, 255 characters) would be a DataError (500)
# on PostgreSQL.
LOGIN_MAX_LENGTH = 254


def _limit_login_field(field: forms.Field) -> None:
    field.max_length = LOGIN_MAX_LENGTH
    field.validators.append(MaxLengthValidator(LOGIN_MAX_LENGTH))
    field.widget.attrs["maxlength"] = LOGIN_MAX_LENGTH


class LoginForm(AllauthLoginForm):
    """allauth's login form (settings.ACCOUNT_FORMS["login"]) with a bounded e-mail address."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit_login_field(self.fields["login"])


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login form (accounts.admin sets ``admin.site.login_form``) with a bounded e-mail address.

    Django's AuthenticationForm sets ``max_length`` on the username after the field is built, so nothing enforces it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit_login_field(self.fields["username"])


class OrganisationInputMixin:
    """What a clerk types, cleaned as meant: full-width digits, spaces and dashes in the account number, spaces in
    the phone number; the account name checked against the unit name in the same round as every other field."""

    def clean_contact_phone(self) -> str:
        return "".join(half_width(self.cleaned_data.get("contact_phone") or "").split())

    def clean_bank_account_number(self) -> str:
        return digits_only(self.cleaned_data.get("bank_account_number") or "")

    def clean_uscc(self) -> str:
        return "".join(half_width(self.cleaned_data.get("uscc") or "").split()).upper()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        name, account_name = cleaned.get("name"), cleaned.get("bank_account_name")
        if name and account_name and account_name != name:
            self.add_error(
                "bank_account_name",
                ValidationError(_("账户名称必须与单位名称完全一致"), code=AccountErrorCode.ACCOUNT_NAME_MISMATCH),
            )
        return cleaned


class OrganisationRegistrationForm(OrganisationInputMixin, forms.ModelForm):
    """Registration: the USCC plus the profile. Validation of the USCC happens again in the service."""

    class Meta:
        model = Organisation
        fields = (*REGISTRATION_FIELDS, *ORGANISATION_EDITABLE_FIELDS)
        widgets = {
            # A date input shows and sends ISO dates only: in zh-hans's first format (2018/05/01) it showed blank.
            "founded_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "contact_phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            "bank_account_number": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "registered_address": forms.TextInput(),
        }

    field_order = ("uscc", "name")  # as on the page, for the error summary

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["uscc"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "maxlength": 18, "style": "text-transform:uppercase"}
        )
        for name in ("bank_name", "bank_account_number", "bank_account_name", "bank_cnaps"):
            self.fields[name].help_text = (self.fields[name].help_text or "") + str(_("（可稍后在单位信息中补充）"))
        # The browser's date picker offers no day after today (the service refuses one too).
        self.fields["founded_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def validate_unique(self) -> None:
        # Uniqueness is decided by the service inside its transaction, with a clear code.
        return None

    def validate_constraints(self) -> None:
        return None


class OrganisationProfileForm(OrganisationInputMixin, forms.ModelForm):
    """What the applicant keeps up to date; the registration fields are shown as text (``registration_facts``)."""

    class Meta:
        model = Organisation
        fields = ORGANISATION_EDITABLE_FIELDS
        widgets = {
            "registered_address": forms.TextInput(),
            "contact_phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            "bank_account_number": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        }

    def registration_facts(self) -> list[tuple[str, str]]:
        """Return (label, value as shown) of each registration field, as stored."""
        facts = []
        for name in REGISTRATION_FIELDS:
            field = Organisation._meta.get_field(name)
            value = getattr(self.instance, name)
            if field.choices:
                value = self.instance._get_FIELD_display(field)
            elif value is not None and not isinstance(value, str):
                value = formats.localize(value)
            facts.append((str(field.verbose_name), value))
        return facts

    def registration_values_sent(self) -> dict[str, Any]:
        """Return the registration fields the request posted anyway (a page from before they were locked, a crafted
        request), so that the service refuses a change rather than the form dropping it unsaid.

        A blank value is left out: such old pages posted 成立日期 blank (their date input could not show the value).
        """
        sent: dict[str, Any] = {}
        for name in REGISTRATION_FIELDS:
            raw = self.data.get(name)
            if not raw:
                continue
            try:
                sent[name] = Organisation._meta.get_field(name).formfield().clean(raw)
            except ValidationError:
                sent[name] = raw  # not a value of the field, so not the stored one: the service refuses it
        return sent


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("成员邮箱"), help_text=_("对方用该邮箱注册或登录后即可加入本单位。"))
    role = forms.ChoiceField(label=_("角色"), choices=MembershipRole.choices, initial=MembershipRole.HANDLER)
