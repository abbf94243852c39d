from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.forms import AdminLoginForm
from accounts.models import Invitation, Membership, Organisation, Sanction, User
from accounts.roles import ADMINISTRATOR, FINANCE, user_has_role
from accounts.rules import validate_uscc
from accounts.services import REGISTRATION_FIELDS, organisation_input_errors

# A bounded e-mail address (accounts.forms.AdminLoginForm): a 300-character one was a DataError on PostgreSQL.
admin.site.login_form = AdminLoginForm


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("个人信息"), {"fields": ("full_name", "phone", "affiliated_usccs")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)
    filter_horizontal = ("groups",)


class OrganisationAdminForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = "__all__"
        help_texts = {
            name: _(
                "登记信息：申报单位登记后不能自行修改，由工作人员核对营业执照或登记证书后在此更正；变更记录保存修改人和时间。"
            )
            for name in REGISTRATION_FIELDS
        }

    def clean_uscc(self) -> str:
        # Stored normalised (upper-case, full-width folded), as registration stores it.
        return validate_uscc(self.cleaned_data["uscc"])

    def _post_clean(self) -> None:
        super()._post_clean()
        # As the services check them: no line breaks or control characters in a name, a plausible 成立日期.
        for field, errors in organisation_input_errors(self.instance).items():
            if field in self.fields and field not in self.errors:
                for error in errors:
                    self.add_error(field, error)


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    """Staff correct the registration fields here (applicants cannot); SimpleHistoryAdmin records who and when."""

    form = OrganisationAdminForm
    list_display = ("name", "uscc", "org_type", "district", "contact_person", "contact_phone", "created_at")
    list_filter = ("org_type", "district")
    search_fields = ("name", "uscc", "contact_person")
    readonly_fields = ("created_at", "updated_at")
    inlines = (MembershipInline,)
    fieldsets = (
        (_("登记信息"), {"fields": REGISTRATION_FIELDS}),
        (_("基本信息"), {"fields": ("name", "district", "registered_address")}),
        (_("联系人"), {"fields": ("legal_representative", "contact_person", "contact_phone", "contact_email")}),
        (_("收款账户"), {"fields": ("bank_name", "bank_account_number", "bank_account_name", "bank_cnaps")}),
        (_("时间"), {"fields": ("created_at", "updated_at")}),
    )

    # Finance pays and the system administrator corrects registrations: only they see (and correct) the full
    # account number; everyone else (intake, approvers, experts) sees it masked, as on the payout pages.
    MASKED_ACCOUNT = "masked_bank_account_number"

    def _sees_full_account(self, request) -> bool:
        return user_has_role(request.user, FINANCE) or user_has_role(request.user, ADMINISTRATOR)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._sees_full_account(request):
            return fieldsets
        return [
            (
                name,
                {
                    **options,
                    "fields": tuple(
                        self.MASKED_ACCOUNT if field == "bank_account_number" else field for field in options["fields"]
                    ),
                },
            )
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if self._sees_full_account(request) else (*readonly, self.MASKED_ACCOUNT)

    @admin.display(description=_("银行账号"))
    def masked_bank_account_number(self, obj: Organisation | None) -> str:
        return obj.masked_bank_account if obj else ""


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organisation", "role", "invited_by", "created_at", "accepted_at")
    search_fields = ("email", "organisation__name", "organisation__uscc")
    list_select_related = ("organisation", "invited_by")
    readonly_fields = ("token",)
    autocomplete_fields = ("organisation", "invited_by")


@admin.register(Sanction)
class SanctionAdmin(SimpleHistoryAdmin):
    list_display = ("organisation", "starts_on", "ends_on", "lifted_at", "created_by")
    search_fields = ("organisation__name", "organisation__uscc")
    list_select_related = ("organisation", "created_by")
    autocomplete_fields = ("organisation",)
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
