from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import MembershipRole, Organisation
from accounts.services import ORGANISATION_EDITABLE_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"


class OrganisationRegistrationForm(forms.ModelForm):
    """Registration: the USCC plus the profile. Validation of the USCC happens again in the service."""

    class Meta:
        model = Organisation
        fields = ("uscc", *ORGANISATION_EDITABLE_FIELDS)
        widgets = {"founded_on": DateInput(), "registered_address": forms.TextInput()}

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
    class Meta:
        model = Organisation
        fields = ORGANISATION_EDITABLE_FIELDS
        widgets = {"founded_on": DateInput(), "registered_address": forms.TextInput()}


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("成员邮箱"), help_text=_("对方用该邮箱注册或登录后即可加入本单位。"))
    role = forms.ChoiceField(label=_("角色"), choices=MembershipRole.choices, initial=MembershipRole.HANDLER)
