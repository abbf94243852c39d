from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from programs.models import Call, Program, ProgramBudget
from tests.factories import CallFactory, ProgramBudgetFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    call_command("seed_programs", verbosity=0)
    call_command("sync_roles", verbosity=0)


def staff_in(group_name: str):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group_name))
    return user


def program_form_data(client, program: Program) -> dict:
    """The admin change form as a browser would post it, read back from the page's own inputs."""
    response = client.get(reverse("admin:programs_program_change", args=[program.pk]))
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, list):
            data[name] = value
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    for formset in response.context["inline_admin_formsets"]:
        fs = formset.formset
        prefix = fs.prefix
        data[f"{prefix}-TOTAL_FORMS"] = str(fs.total_form_count())
        data[f"{prefix}-INITIAL_FORMS"] = str(fs.initial_form_count())
        for i, f in enumerate(fs.forms):
            for name, field in f.fields.items():
                value = f.initial.get(name, field.initial)
                if value is None:
                    continue
                if hasattr(value, "pk"):
                    value = value.pk
                if isinstance(value, bool):
                    if value:
                        data[f"{prefix}-{i}-{name}"] = "on"
                else:
                    data[f"{prefix}-{i}-{name}"] = str(value)
    return data


def test_the_system_administrator_edits_a_program_amount_in_the_admin(client, catalogue):
    client.force_login(staff_in("系统管理员"))
    program = Program.objects.get(code="P8-3")
    data = program_form_data(client, program)
    data["unit_amount"] = "60000.00"

    response = client.post(reverse("admin:programs_program_change", args=[program.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    program.refresh_from_db()
    assert program.unit_amount == Decimal("60000.00")
    assert program.history.count() == 2  # created by the seed, changed here


def test_a_negative_amount_in_the_admin_is_refused_and_nothing_changes(client, catalogue):
    client.force_login(staff_in("系统管理员"))
    program = Program.objects.get(code="P8-3")
    data = program_form_data(client, program)
    data["unit_amount"] = "-1"

    response = client.post(reverse("admin:programs_program_change", args=[program.pk]), data)

    assert response.status_code == 200
    assert "金额不能为负数" in response.content.decode()
    program.refresh_from_db()
    assert program.unit_amount == Decimal("50000.00")


def test_a_tiered_program_without_tiers_is_refused_in_the_admin(client, catalogue):
    client.force_login(staff_in("系统管理员"))
    program = Program.objects.get(code="P10-1")
    data = program_form_data(client, program)
    for key in list(data):
        if key.startswith("tiers-") and key.endswith("-id"):
            data[key.replace("-id", "-DELETE")] = "on"

    response = client.post(reverse("admin:programs_program_change", args=[program.pk]), data)

    assert response.status_code == 200
    assert "按档次资助的项目至少需要一个档次" in response.content.decode()
    assert program.tiers.count() == 6


@pytest.mark.parametrize(
    ("group", "can_change"),
    [("系统管理员", True), ("受理员", False), ("评审专家", False), ("审定人", False), ("财务人员", False)],
)
def test_only_the_system_administrator_may_change_programs(client, catalogue, group, can_change):
    client.force_login(staff_in(group))
    program = Program.objects.get(code="P8-1")

    change = client.get(reverse("admin:programs_program_change", args=[program.pk]))
    listing = client.get(reverse("admin:programs_program_changelist"))

    assert listing.status_code == 200  # every role may read the catalogue
    assert ("_save" in change.content.decode()) is can_change


def test_an_applicant_cannot_enter_the_admin(client, catalogue):
    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory().user)

    response = client.get(reverse("admin:programs_program_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_cloning_a_call_copies_programs_and_budgets_to_the_next_year_unpublished(client, catalogue):
    admin_user = staff_in("系统管理员")
    client.force_login(admin_user)
    programs = list(Program.objects.all()[:3])
    call = CallFactory(year=2026, title="2026年度质量品牌专项资金申报", programs=programs)
    for program in programs:
        ProgramBudgetFactory(program=program, year=2026, amount=Decimal("1000000"))

    client.post(
        reverse("admin:programs_call_changelist"),
        {"action": "clone_selected_for_next_year", "_selected_action": [call.pk]},
    )

    clone = Call.objects.get(year=2027)
    assert clone.title == "2027年度质量品牌专项资金申报"
    assert clone.is_published is False
    assert clone.opens_at.year == 2027
    assert set(clone.programs.all()) == set(programs)
    assert set(ProgramBudget.objects.filter(year=2027).values_list("program_id", flat=True)) == {p.pk for p in programs}


def test_cloning_twice_is_refused_with_call_exists(catalogue):
    from django.core.exceptions import ValidationError

    from programs.services import clone_call

    admin_user = staff_in("系统管理员")
    call = CallFactory(year=2026, title="2026年度申报")
    clone_call(call=call, actor=admin_user)

    with pytest.raises(ValidationError) as excinfo:
        clone_call(call=call, actor=admin_user)

    assert excinfo.value.code == "call_exists"
    assert Call.objects.filter(year=2027).count() == 1
