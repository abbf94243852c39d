"""Staff correct an organisation's registration fields in the admin; the history says who changed what and when."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.urls import reverse

from accounts.models import Organisation
from accounts.rules import build_uscc
from accounts.services import ORGANISATION_EDITABLE_FIELDS, REGISTRATION_FIELDS, sync_roles
from tests.factories import OrganisationFactory, StaffFactory

pytestmark = pytest.mark.django_db


def staff_in(group_name: str):
    sync_roles()
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group_name))
    return user


def change_form(organisation: Organisation, **changes: str) -> dict:
    """The admin change form of an organisation without members, as a browser posts it."""
    fields = (*REGISTRATION_FIELDS, *ORGANISATION_EDITABLE_FIELDS)
    data = {name: str(value) for name, value in model_to_dict(organisation, fields=fields).items()}
    data.update({"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    data.update(changes)
    return data


def test_a_system_administrator_corrects_the_registration_fields_and_the_history_says_who(client):
    organisation = OrganisationFactory(founded_on=date(2015, 3, 1), org_type="enterprise")
    administrator = staff_in("系统管理员")
    client.force_login(administrator)
    corrected_uscc = build_uscc("91440300MA5GRN022")
    url = reverse("admin:accounts_organisation_change", args=[organisation.pk])

    response = client.post(
        url, change_form(organisation, uscc=corrected_uscc.lower(), org_type="other", founded_on="2013-07-09")
    )

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    organisation.refresh_from_db()
    assert (organisation.uscc, organisation.org_type, organisation.founded_on) == (
        corrected_uscc,
        "other",
        date(2013, 7, 9),
    )
    newest, previous = organisation.history.order_by("-history_id")[:2]
    assert newest.history_user == administrator
    assert newest.history_type == "~"
    assert newest.history_date is not None
    changes = {c.field: (c.old, c.new) for c in newest.diff_against(previous).changes}
    assert changes == {
        "uscc": (previous.uscc, corrected_uscc),
        "org_type": ("enterprise", "other"),
        "founded_on": (date(2015, 3, 1), date(2013, 7, 9)),
    }


def test_the_admin_change_page_offers_the_registration_fields_for_correction(client):
    organisation = OrganisationFactory()
    client.force_login(staff_in("系统管理员"))

    response = client.get(reverse("admin:accounts_organisation_change", args=[organisation.pk]))

    form = response.context["adminform"].form
    assert set(REGISTRATION_FIELDS) <= set(form.fields)
    assert "变更记录保存修改人和时间" in str(form.fields["founded_on"].help_text)


def test_staff_who_may_only_view_organisations_cannot_correct_them(client):
    organisation = OrganisationFactory(founded_on=date(2015, 3, 1))
    client.force_login(staff_in("受理员"))
    rows = organisation.history.count()

    response = client.post(
        reverse("admin:accounts_organisation_change", args=[organisation.pk]),
        change_form(organisation, founded_on="2013-07-09"),
    )

    assert response.status_code == 403
    organisation.refresh_from_db()
    assert organisation.founded_on == date(2015, 3, 1)
    assert organisation.history.count() == rows
