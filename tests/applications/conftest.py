"""Fixtures for workflow tests: a valid application and one user per role, states reached through the stages."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.roles import ROLES_BY_KEY
from accounts.services import sync_roles
from applications import services
from programs.models import AmountRule, AttachmentRequirement
from tests import stages
from tests.factories import CallFactory, MembershipFactory, ProgramFactory, StaffFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pdf(name: str = "证书.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def roles(db):
    """One user per role: owner (member of the applicant), other (another organisation's member), staff roles."""
    sync_roles()
    users = {"owner": MembershipFactory().user, "other": MembershipFactory().user}
    for key in ("intake", "expert", "approver", "finance", "administrator"):
        user = StaffFactory()
        user.groups.add(Group.objects.get(name=ROLES_BY_KEY[key].group_name))
        users[key] = user
    return users


@pytest.fixture
def fixed_program(db):
    return ProgramFactory(
        amount_rule=AmountRule.FIXED,
        unit_amount=Decimal("300000.00"),
        claim_required=False,
        # No count cap here, so one organisation can hold many applications in workflow tests.
        max_units_per_year=None,
        funded_once=False,
        unit_label="项目",
    )


@pytest.fixture
def certificate_program(db):
    """Like P8-3: ≤5万 per certificate on claims, ≤3 a year, a certificate funded once, one required attachment."""
    program = ProgramFactory(
        amount_rule=AmountRule.PER_UNIT,
        unit_amount=Decimal("50000.00"),
        claim_required=True,
        max_units_per_year=3,
        funded_once=True,
        unit_label="证书",
        unit_key_label="证书编号",
    )
    AttachmentRequirement.objects.create(program=program, kind="certificate", name="认证证书", is_required=True)
    return program


@pytest.fixture
def open_call(fixed_program, certificate_program):
    return CallFactory(programs=[fixed_program, certificate_program])


def valid_data(**overrides):
    data = {
        "units": [{"description": "行业质量提升项目"}],
        "declarations": {"truthful": True, "no_duplicate_funding": True, "accept_adjustment": True},
        "targets": [{"indicator": "培训企业数量", "target": "50", "unit": "家"}],
    }
    data.update(overrides)
    return data


def certificate_units(*claims: str, prefix: str = "CQC-2026-"):
    return [
        {"key": f"{prefix}{i:03d}", "claim_amount": claim, "issued_on": date.today().isoformat()}
        for i, claim in enumerate(claims, start=1)
    ]


# The steps from draft to every state: person-driven ones through run_transition, the rest through their stage
# (tests/stages.py says which service takes each).
PATHS = stages.ROUTES

TRANSITION_PARAMS = {
    "return": {"reason": "营业执照扫描件不清晰", "due_on": (date.today() + timedelta(days=7)).isoformat()},
    "reject": {"reason": "不符合申报条件"},
    "send_back": {"reason": "核实清单有未通过事项"},
    "revoke": {"reason": "异议成立"},
    "claw_back": {"reason": "绩效评价不合格"},
}


def take(application, name: str, actor):
    """The generic entry (API, admin, applicant pages): only person-driven transitions get past it."""
    return services.run_transition(application=application, actor=actor, name=name, **TRANSITION_PARAMS.get(name, {}))


@pytest.fixture
def make_application(roles, open_call, fixed_program):
    """Create a valid application of the owner's organisation and walk it to ``state`` through the stages.

    Up to ``approved`` the application is in ``open_call``. From ``in_publicity`` on it is in a call of its own (like
    ``open_call``), so that its publicity notice, allocation run and close job involve it alone; pass ``call=`` to
    choose the call (``tests.stages.walk`` then refuses to drag other approved applications of it along).
    ``clawback`` and ``closed`` sanction the organisation (SPEC §4): make the owner's other applications first.
    """

    def make(state: str = "draft", *, program=None, data=None, call=None, **options):
        application = stages.make(
            state,
            call=call or open_call,
            own=None if call is None else False,
            program=program or fixed_program,
            data=data or valid_data(),
            roles=roles,
            **options,
        )
        assert application.state == state
        return application

    return make
