"""Fixtures for review tests: a 评审制 program with two weighted criteria, a 核准制 program with a checklist."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from accounts.roles import EXPERT
from programs.models import AmountRule, ReviewTrack, ScoringCriterion, VerificationItem
from tests.applications.conftest import *  # noqa: F403
from tests.factories import ProgramFactory, StaffFactory


def fixed_program_values(**overrides):
    values = {
        "amount_rule": AmountRule.FIXED,
        "unit_amount": Decimal("300000.00"),
        "claim_required": False,
        "max_units_per_year": None,
        "funded_once": False,
        "unit_label": "项目",
    }
    values.update(overrides)
    return values


@pytest.fixture
def expert_program(open_call):
    """评审制, pass mark 60, two experts needed; 创新性 weighs 60% out of 100, 可行性 40% out of 20."""
    program = ProgramFactory(
        **fixed_program_values(review_track=ReviewTrack.EXPERT_REVIEW, pass_mark=Decimal("60.00"), min_experts=2)
    )
    ScoringCriterion.objects.create(program=program, name="创新性", weight=Decimal("60"), max_score=100, sort_order=1)
    ScoringCriterion.objects.create(program=program, name="可行性", weight=Decimal("40"), max_score=20, sort_order=2)
    open_call.programs.add(program)
    return program


@pytest.fixture
def checklist_program(open_call):
    """核准制 with two checklist items."""
    program = ProgramFactory(**fixed_program_values(review_track=ReviewTrack.VERIFICATION))
    VerificationItem.objects.create(program=program, text="证书真实有效", sort_order=1)
    VerificationItem.objects.create(program=program, text="持有人与申报单位一致", sort_order=2)
    open_call.programs.add(program)
    return program


@pytest.fixture
def make_expert(roles):
    """Create another user in the 评审专家 group."""

    def make(**values):
        user = StaffFactory(**values)
        user.groups.add(Group.objects.get(name=EXPERT.group_name))
        return user

    return make


def criteria_ids(program):
    """The program's criterion ids in order (创新性, 可行性)."""
    return list(program.scoring_criteria.order_by("sort_order").values_list("pk", flat=True))


def item_ids(program):
    return list(program.verification_items.order_by("sort_order").values_list("pk", flat=True))
