"""Audit trail of the catalogue and of organisations' bank accounts: who changed which field, seen in the admin."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.forms import MultiWidget
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import HistoricalChanges

from accounts.models import Organisation
from programs.models import Call, Program, ProgramBudget, Tier
from tests.factories import (
    CallFactory,
    OrganisationFactory,
    ProgramBudgetFactory,
    ProgramFactory,
    StaffFactory,
    TierFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client):
    """A 系统管理员 signed in to the admin."""
    call_command("sync_roles", verbosity=0)
    user = StaffFactory(email="sysadmin@example.cn")
    user.groups.add(Group.objects.get(name="系统管理员"))
    client.force_login(user)
    return user


def _put(data: dict, name: str, field, value) -> None:
    if value is None:
        return
    if hasattr(value, "pk"):
        value = value.pk
    if isinstance(field.widget, MultiWidget):
        for suffix, part in zip(field.widget.widgets_names, field.widget.decompress(value), strict=True):
            data[f"{name}{suffix}"] = "" if part is None else str(part)
    elif isinstance(value, bool):
        if value:
            data[name] = "on"
    elif isinstance(value, list | tuple):
        data[name] = [getattr(v, "pk", v) for v in value]
    else:
        data[name] = str(value)


def admin_form_data(client, url: str) -> dict:
    """The admin change form as a browser would post it unchanged, inlines included."""
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    data: dict = {}
    for name, field in form.fields.items():
        _put(data, name, field, form.initial.get(name, field.initial))
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(formset.total_form_count())
        data[f"{formset.prefix}-INITIAL_FORMS"] = str(formset.initial_form_count())
        for i, inline_form in enumerate(formset.forms):
            for name, field in inline_form.fields.items():
                _put(data, f"{formset.prefix}-{i}-{name}", field, inline_form.initial.get(name, field.initial))
    return data


def edit_in_admin(client, obj, changes: dict) -> None:
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    data = admin_form_data(client, url)
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors


def last_change(obj) -> tuple[HistoricalChanges, dict]:
    """The newest history row of ``obj`` and its changed fields as {field: (old, new)}."""
    newest, previous = obj.history.order_by("-history_id")[:2]
    delta = newest.diff_against(previous)
    return newest, {change.field: (change.old, change.new) for change in delta.changes}


def history_page(client, obj) -> str:
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history", args=[obj.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("model", [Program, Tier, Call, ProgramBudget, Organisation])
def test_each_audited_model_keeps_history(model):
    assert hasattr(model, "history")
    if model is not Tier:  # tiers are edited inside their program's page
        assert isinstance(admin.site._registry[model], SimpleHistoryAdmin)


def test_a_bank_account_change_records_who_changed_which_field(client, administrator):
    organisation = OrganisationFactory(bank_account_number="745300000001")

    edit_in_admin(client, organisation, {"bank_account_number": "622588880001"})

    row, changed = last_change(organisation)
    assert row.history_user == administrator
    assert row.history_type == "~"
    assert changed == {"bank_account_number": ("745300000001", "622588880001")}
    page = history_page(client, organisation)
    assert "sysadmin@example.cn" in page
    assert "622588880001" in page


def test_a_program_and_its_tier_changed_on_the_program_page_are_both_recorded(client, administrator):
    tier = TierFactory(amount=Decimal("100000.00"))
    program = tier.program

    edit_in_admin(client, program, {"name": "质量标杆（修订）", "tiers-0-amount": "80000.00"})

    program_row, program_changes = last_change(program)
    tier_row, tier_changes = last_change(tier)
    assert program_row.history_user == tier_row.history_user == administrator
    assert program_changes == {"name": (program.name, "质量标杆（修订）")}
    assert tier_changes == {"amount": (Decimal("100000.00"), Decimal("80000.00"))}
    assert "sysadmin@example.cn" in history_page(client, program)


def test_a_call_window_change_is_recorded(client, administrator):
    closes_at = timezone.localtime().replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(days=10)
    call = CallFactory(programs=[ProgramFactory()], closes_at=closes_at)
    extended = closes_at + timedelta(days=5)

    edit_in_admin(client, call, {"closes_at_0": extended.date().isoformat(), "closes_at_1": "17:00:00"})

    row, changed = last_change(call)
    assert row.history_user == administrator
    assert changed == {"closes_at": (closes_at, extended)}
    assert "sysadmin@example.cn" in history_page(client, call)


def test_a_budget_change_is_recorded(client, administrator):
    budget = ProgramBudgetFactory(amount=Decimal("6000000.00"))

    edit_in_admin(client, budget, {"amount": "5500000.00"})

    row, changed = last_change(budget)
    assert row.history_user == administrator
    assert changed == {"amount": (Decimal("6000000.00"), Decimal("5500000.00"))}
    assert "sysadmin@example.cn" in history_page(client, budget)


def test_tier_changes_are_listed_read_only_in_the_admin(client, administrator):
    tier = TierFactory(code="T-A", amount=Decimal("100000.00"))
    edit_in_admin(client, tier.program, {"tiers-0-amount": "80000.00"})
    changelist = reverse(f"admin:programs_{Tier.history.model._meta.model_name}_changelist")

    page = client.get(changelist, {"program__id__exact": tier.program_id})

    assert page.status_code == 200
    rows = list(page.context["cl"].result_list)
    assert [(r.history_type, r.amount, r.history_user) for r in rows] == [
        ("~", Decimal("80000.00"), administrator),
        ("+", Decimal("100000.00"), None),
    ]
    row_url = reverse(f"admin:programs_{Tier.history.model._meta.model_name}_change", args=[rows[0].pk])
    assert client.post(row_url, {}).status_code == 403  # read-only: nothing to edit or delete
    applicant = StaffFactory(is_staff=False)
    client.force_login(applicant)
    assert client.get(changelist).status_code == 302  # not staff: sent to the login


def test_the_admin_names_every_list_in_chinese(client, administrator):
    """History lists (simple-history's default name is "historical <name>") and the login records of django-axes,
    which ships no Chinese (locale/zh_Hans gives it). allauth's Authenticator has no verbose name to translate."""
    administrator.is_superuser = True
    administrator.save(update_fields=["is_superuser"])

    page = client.get(reverse("admin:index"))

    assert page.status_code == 200
    names = [str(model["name"]) for app in page.context["app_list"] for model in app["models"]]
    assert {"档次变更记录", "登录失败记录", "登录日志"} <= set(names)
    latin = [name for name in names if re.search("[A-Za-z]{3}", name)]
    assert latin == ["Authenticators"]
