import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.roles import ROLES

pytestmark = pytest.mark.django_db


def test_sync_roles_creates_the_five_staff_groups_and_is_idempotent():
    call_command("sync_roles")
    first = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}

    call_command("sync_roles")
    second = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}

    assert set(first) == {"受理员", "评审专家", "审定人", "财务人员", "系统管理员"}
    assert first == second
    assert Group.objects.count() == len(ROLES)
    assert "change_program" in first["系统管理员"]
    assert "change_program" not in first["受理员"]
    assert "view_program" in first["评审专家"]


def test_sync_roles_removes_a_permission_granted_by_hand():
    call_command("sync_roles")
    intake = Group.objects.get(name="受理员")
    extra = Group.objects.get(name="系统管理员").permissions.get(codename="delete_program")
    intake.permissions.add(extra)

    call_command("sync_roles")

    assert not intake.permissions.filter(codename="delete_program").exists()
