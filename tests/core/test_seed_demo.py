import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from accounts.models import Membership, Organisation, User
from accounts.rules import is_valid_uscc
from applications.models import Application
from programs.models import Call, Program, ProgramBudget

pytestmark = pytest.mark.django_db

STAFF_GROUPS = {
    "intake@demo.local": "受理员",
    "expert1@demo.local": "评审专家",
    "expert2@demo.local": "评审专家",
    "expert3@demo.local": "评审专家",
    "approver@demo.local": "审定人",
    "finance1@demo.local": "财务人员",
    "finance2@demo.local": "财务人员",
    "admin@demo.local": "系统管理员",
}


def counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Organisation.objects.count(),
        Membership.objects.count(),
        Call.objects.count(),
        ProgramBudget.objects.count(),
        Program.objects.count(),
        EmailAddress.objects.count(),
    )


def test_seed_demo_creates_an_open_call_organisations_and_staff_and_is_idempotent():
    call_command("seed_demo", verbosity=0)
    first = counts()
    call_command("seed_demo", verbosity=0)

    assert counts() == first
    call = Call.objects.get()
    assert call.is_open
    assert call.programs.count() == 9
    assert ProgramBudget.objects.filter(year=call.year).count() == 9
    for email, group in STAFF_GROUPS.items():
        user = User.objects.get(email=email)
        assert user.is_staff
        assert list(user.groups.values_list("name", flat=True)) == [group]
    for email in ("applicant1@demo.local", "applicant2@demo.local"):
        membership = Membership.objects.get(user__email=email)
        assert membership.role == "admin"
        assert is_valid_uscc(membership.organisation.uscc)
        assert membership.organisation.has_complete_bank_account


def test_demo_accounts_sign_in_with_the_published_password():
    call_command("seed_demo", verbosity=0)
    request = RequestFactory().post("/accounts/login/")

    user = authenticate(request=request, username="applicant1@demo.local", password="demo-pass-2026")

    assert user is not None
    assert EmailAddress.objects.get(user=user).verified


def test_with_samples_adds_further_organisations():
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", "--with-samples", verbosity=0)

    assert Organisation.objects.count() == 5
    assert Organisation.objects.filter(org_type="social_organisation").exists()
    states = dict(Application.objects.values_list("program__code", "state"))
    assert states == {"P9-1": "accepted", "P9-2": "draft", "P10-2": "submitted", "P9-3": "approved", "P8-3": "awarded"}
    call_command("seed_demo", "--with-samples", verbosity=0)
    assert Application.objects.count() == 5
    past = Application.objects.get(program__code="P8-3")
    assert past.organisation.memberships.get().user.email == "applicant1@demo.local"
    assert past.allocated_amount == Decimal("98000.00")  # 48000 + min(62000, 50000)
    assert not past.call.is_open
    assert Call.objects.open_now().count() == 1


def test_seed_demo_refuses_with_production_settings(settings):
    settings.DEMO_SEED_ALLOWED = False

    with pytest.raises(Exception, match="refuses"):
        call_command("seed_demo", verbosity=0)

    assert User.objects.count() == 0


def test_production_settings_pass_the_deployment_check_without_warnings(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": "a-long-random-production-secret-key-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c",
        "ALLOWED_HOSTS": "zlpp.scjg.sz.gov.cn",
        "DATABASE_URL": "postgres://portal@db.internal:5432/portal",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "PATH": "/usr/bin:/bin",
    }
    root = Path(__file__).resolve().parents[2]

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    root = Path(__file__).resolve().parents[2]
    env = {"DJANGO_SETTINGS_MODULE": "portal.settings.production", "ALLOWED_HOSTS": "x", "PATH": "/usr/bin:/bin"}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_demo_call_covers_the_drafts_nine_items_even_after_the_2023_rules_are_loaded():
    call_command("seed_programs", verbosity=0)
    call_command("seed_programs", "--rules", "2023", verbosity=0)
    call_command("seed_demo", verbosity=0)

    open_call = Call.objects.latest("year")
    codes = set(open_call.programs.values_list("code", flat=True))
    assert len(codes) == 9 and not any(code.startswith("F23-") for code in codes)
    assert not Call.objects.filter(programs__code__startswith="F23-").exists()
    assert not ProgramBudget.objects.filter(program__code__startswith="F23-").exists()
