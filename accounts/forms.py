from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from accounts.models import MembershipRole, Organisation
from accounts.services import ORGANISATION_EDITABLE_FIELDS, REGISTRATION_FIELDS


class OrganisationRegistrationForm(forms.ModelForm):
    """Registration: the USCC plus the profile. Validation of the USCC happens again in the service."""

    class Meta:
        model = Organisation
        fields = (*REGISTRATION_FIELDS, *ORGANISATION_EDITABLE_FIELDS)
        widgets = {
            # A date input shows and sends ISO dates only: in zh-hans's first format (2018/05/01) it showed blank.
            "founded_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "registered_address": forms.TextInput(),
        }

    field_order = ("uscc", "name")  # as on the page, for the error summary

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["uscc"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "maxlength": 18, "style": "text-transform:uppercase"}
        )
        for name in ("bank_name", "bank_account_number", "bank_account_name"):
            self.fields[name].help_text = (self.fields[name].help_text or "") + str(_("（可稍后在单位信息中补充）"))

    def validate_unique(self) -> None:
        # Uniqueness is decided by the service inside its transaction, with a clear code.
        return None

    def validate_constraints(self) -> None:
        return None


class OrganisationProfileForm(forms.ModelForm):
    """What the applicant keeps up to date; the registration fields are shown as text (``registration_facts``)."""

    class Meta:
        model = Organisation
        fields = ORGANISATION_EDITABLE_FIELDS
        widgets = {"registered_address": forms.TextInput()}

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
