"""Seed the demo: an open call with budgets, two applicant organisations and one user per staff role."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import District, Organisation, OrganisationType, User
from accounts.roles import ADMINISTRATOR, APPROVER, EXPERT, FINANCE, INTAKE, Role
from accounts.rules import build_uscc
from allocations.services import execute_allocation, start_allocation
from applications import services as application_services
from applications.models import Application
from programs.models import DRAFT_RULE_SET_CODE, Call, Program, ProgramBudget
from publicity import services as publicity_services
from review import services as review_services

SAMPLE_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published demo credential, refused under production settings

STAFF: tuple[tuple[str, str, Role | None], ...] = (
    ("intake@demo.local", "受理员 李明", INTAKE),
    ("expert1@demo.local", "评审专家 王芳", EXPERT),
    ("expert2@demo.local", "评审专家 陈刚", EXPERT),
    ("expert3@demo.local", "评审专家 孙悦", EXPERT),
    ("approver@demo.local", "审定人 张伟", APPROVER),
    ("finance1@demo.local", "财务人员 刘洋", FINANCE),
    ("finance2@demo.local", "财务人员 赵丽", FINANCE),
    ("admin@demo.local", "系统管理员 周强", ADMINISTRATOR),
)

# (admin email, USCC body without check character, name, district, type, founded)
ORGANISATIONS = (
    (
        "applicant1@demo.local",
        "91440300MA5FPC011",
        "深圳市鹏城精密制造有限公司",
        District.NANSHAN,
        OrganisationType.ENTERPRISE,
        date(2012, 5, 18),
    ),
    (
        "applicant2@demo.local",
        "91440300MA5GRN022",
        "深圳市湾区绿色认证科技有限公司",
        District.BAOAN,
        OrganisationType.ENTERPRISE,
        date(2016, 9, 1),
    ),
)
SAMPLE_ORGANISATIONS = (
    (
        "sample1@demo.local",
        "91440300MA5HTK033",
        "深圳市前海计量检测研究院有限公司",
        District.NANSHAN,
        OrganisationType.ENTERPRISE,
        date(2009, 3, 12),
    ),
    (
        "sample2@demo.local",
        "51440300MJL123044",
        "深圳市质量品牌促进会",
        District.FUTIAN,
        OrganisationType.SOCIAL_ORGANISATION,
        date(2005, 11, 8),
    ),
    (
        "sample3@demo.local",
        "12440300455860055",
        "深圳市标准技术研究院（示例）",
        District.FUTIAN,
        OrganisationType.PUBLIC_INSTITUTION,
        date(1998, 6, 30),
    ),
)

APPLICANT_NAMES = {
    "applicant1@demo.local": "陈晓华",
    "applicant2@demo.local": "林志强",
    "sample1@demo.local": "王磊",
    "sample2@demo.local": "刘芳",
    "sample3@demo.local": "赵敏",
}

BUDGETS_WAN = {
    "P8-1": 600,
    "P8-2": 300,
    "P8-3": 200,
    "P9-1": 300,
    "P9-2": 500,
    "P9-3": 200,
    "P10-1": 1000,
    "P10-2": 300,
    "P10-3": 500,
}


def _user(email: str, full_name: str, *, is_staff: bool = False) -> tuple[User, bool]:
    user = User.objects.filter(email=email).first()
    created = user is None
    if created:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name, is_staff=is_staff)
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user, created


class Command(BaseCommand):
    help = "Create the demo call, two applicant organisations and one user per staff role (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--with-samples", action="store_true", help="Add further sample organisations.")

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        if not getattr(settings, "DEMO_SEED_ALLOWED", False):
            raise CommandError(
                "seed_demo refuses to run with these settings (DEMO_SEED_ALLOWED is off, e.g. production)."
            )
        # The demo calls use the draft's nine items; the 2023 rule set (seed_programs --rules 2023), loaded before or
        # after, stays out of them: a call covers the programs of one rule set only.
        draft = Program.objects.filter(rule_set__code=DRAFT_RULE_SET_CODE).order_by("sort_order", "code")
        programs = list(draft)
        if not programs:
            call_command("seed_programs", stdout=self.stdout)
            programs = list(draft.all())
        call_command("sync_roles", stdout=self.stdout)

        created_users = 0
        for email, full_name, role in STAFF:
            user, created = _user(email, full_name, is_staff=True)
            created_users += created
            if role:
                user.groups.add(Group.objects.get(name=role.group_name))

        organisations = ORGANISATIONS + (SAMPLE_ORGANISATIONS if options["with_samples"] else ())
        for email, body, name, district, org_type, founded in organisations:
            user, created = _user(email, APPLICANT_NAMES.get(email, "经办人"))
            created_users += created
            uscc = build_uscc(body)
            if Organisation.objects.filter(uscc=uscc).exists():
                continue
            account_services.register_organisation(
                actor=user,
                uscc=uscc,
                name=name,
                org_type=org_type,
                founded_on=founded,
                district=district,
                registered_address=f"深圳市{District(district).label}科技园路{len(name)}号",
                legal_representative="王建国",
                contact_person=user.full_name,
                contact_phone="0755-86000000",
                contact_email=email,
                bank_name="中国银行深圳分行营业部",
                bank_account_number=f"745300{body[-3:]}0000012",
                bank_account_name=name,
            )

        call = self._demo_call(programs)
        if options["with_samples"]:
            self._sample_applications(call)
            self._past_award()
        self.stdout.write(
            f"seed_demo: call “{call.title}” open until {timezone.localtime(call.closes_at):%Y-%m-%d %H:%M}; "
            f"{created_users} users created; {Organisation.objects.count()} organisations."
        )
        self.stdout.write("Demo accounts (password demo-pass-2026):")
        for email, full_name, _role in STAFF:
            self.stdout.write(f"  {email:<24} {full_name}")
        for email, _body, name, *_rest in organisations:
            self.stdout.write(f"  {email:<24} {name} 管理员")

    def _sample_applications(self, call: Call) -> None:
        """Sample applications of the sample organisations in several states, all made through the services."""
        intake = User.objects.get(email="intake@demo.local")
        approver = User.objects.get(email="approver@demo.local")
        declarations = {"truthful": True, "no_duplicate_funding": True, "accept_adjustment": True}
        today = timezone.localdate()
        samples = (
            # (admin email, program, units, form data, steps)
            (
                "sample1@demo.local",
                "P9-1",
                [
                    {
                        "key": "CNAS L12345",
                        "claim_amount": "280000",
                        "issued_on": str(today - timedelta(days=60)),
                        "description": "CNAS 实验室认可",
                    }
                ],
                {},
                ["submit", "accept"],
            ),
            (
                "sample1@demo.local",
                "P9-2",
                [
                    {
                        "key": "JJF(粤)123-2025",
                        "tier": "provincial-doc-lead",
                        "issued_on": str(today - timedelta(days=200)),
                        "description": "主导制定广东省地方计量技术规范",
                    }
                ],
                {},
                [],
            ),
            (
                "sample2@demo.local",
                "P10-2",
                [{"description": "高质量发展示范单位"}],
                {"self_assessment_score": "780"},
                ["submit"],
            ),
            (
                "sample3@demo.local",
                "P9-3",
                [{"description": "计量标准协同服务平台"}],
                {"service_focus": "中小企业稳增长拓市场精准服务", "smes_served": "120"},
                ["submit", "accept", "expert_review", "approve"],
            ),
        )
        for email, code, units, form_data, steps in samples:
            user = User.objects.get(email=email)
            program = Program.objects.get(code=code)
            if Application.objects.filter(organisation=user.membership.organisation, program=program).exists():
                continue
            valid_fields = {f.name for f in program.form_fields.all()}
            data = {
                "units": [u for u in units if not u.get("tier") or program.tiers.filter(code=u["tier"]).exists()],
                "form_data": {k: v for k, v in form_data.items() if k in valid_fields},
                "targets": [{"indicator": "带动相关企业质量提升", "target": "20", "unit": "家"}],
                "declarations": declarations,
            }
            application = application_services.create_application(actor=user, call=call, program=program, data=data)
            for requirement in program.attachment_requirements.filter(is_required=True):
                application_services.add_attachment(
                    application=application,
                    actor=user,
                    kind=requirement.kind,
                    uploaded_file=SimpleUploadedFile(f"{requirement.name}.pdf", SAMPLE_PDF, "application/pdf"),
                )
            actors = {"submit": user, "accept": intake, "approve": approver}
            for step in steps:
                if step == "expert_review":
                    self._expert_review(application, approver)
                    continue
                try:
                    application = application_services.run_transition(
                        application=application, actor=actors[step], name=step
                    )
                except ValidationError as error:
                    self.stdout.write(f"seed_demo: sample {code} of {email} stays a draft: {'; '.join(error.messages)}")
                    break

    def _expert_review(self, application: Application, approver: User) -> None:
        """Three demo experts confirm no conflict and score every criterion at 80 % (a passing 80.00)."""
        experts = list(
            User.objects.filter(email__in=["expert1@demo.local", "expert2@demo.local", "expert3@demo.local"])
        )
        outcomes = review_services.assign_experts(applications=[application], experts=experts, actor=approver)
        criteria = list(application.program.scoring_criteria.all())
        for outcome in outcomes:
            if outcome.assignment is None:
                continue
            review_services.confirm_no_conflict(assignment=outcome.assignment, actor=outcome.assignment.expert)
            review_services.submit_scores(
                assignment=outcome.assignment,
                actor=outcome.assignment.expert,
                scores={c.pk: (Decimal(c.max_score) * Decimal("0.8"), "材料完整，效益明确") for c in criteria},
            )

    def _past_award(self) -> None:
        """applicant1's award from last year's (closed) call, walked through the whole workflow by the services,
        so the demo has an award notice to download while this year's call stays open for allocation."""
        year = timezone.localdate().year - 1
        title = f"{year}年度质量品牌领域专项资金申报"
        if Call.objects.filter(title=title).exists():
            return
        tz = timezone.get_current_timezone()
        now = timezone.now()
        program = Program.objects.get(code="P8-3")
        call = Call.objects.create(
            year=year, title=title, opens_at=now - timedelta(days=1), closes_at=now + timedelta(hours=1)
        )
        call.programs.set([program])
        ProgramBudget.objects.get_or_create(program=program, year=year, defaults={"amount": Decimal("2000000")})
        applicant = User.objects.get(email="applicant1@demo.local")
        intake = User.objects.get(email="intake@demo.local")
        approver = User.objects.get(email="approver@demo.local")
        issued = date(year, 6, 18)
        application = application_services.create_application(
            actor=applicant,
            call=call,
            program=program,
            data={
                "units": [
                    {
                        "key": f"CQC-GP-{year}-0088",
                        "claim_amount": "48000",
                        "issued_on": str(issued),
                        "description": "绿色产品认证",
                    },
                    {
                        "key": f"CQC-LC-{year}-0101",
                        "claim_amount": "62000",
                        "issued_on": str(issued),
                        "description": "低碳产品认证",
                    },
                ],
                "targets": [{"indicator": "绿色认证产品销售额增长", "target": "15", "unit": "%"}],
                "declarations": {"truthful": True, "no_duplicate_funding": True, "accept_adjustment": True},
            },
        )
        for requirement in program.attachment_requirements.filter(is_required=True):
            application_services.add_attachment(
                application=application,
                actor=applicant,
                kind=requirement.kind,
                uploaded_file=SimpleUploadedFile(f"{requirement.name}.pdf", SAMPLE_PDF, "application/pdf"),
            )
        application_services.submit_application(application=application, actor=applicant)
        application_services.accept_application(application=application, actor=intake)
        review_services.record_verification(
            application=application,
            actor=intake,
            results={item.pk: (True, "已核验原件") for item in program.verification_items.all()},
        )
        application_services.approve_application(application=application, actor=approver)
        run = start_allocation(call=call, actor=approver)
        execute_allocation(run_id=run.pk)
        # Through the real publicity: a notice of last year's call, closed by the job after its period.
        notice = publicity_services.open_publicity_notice(call=call, actor=approver)
        publicity_services.close_ended_notices(today=notice.ends_on + timedelta(days=1))
        call.opens_at = datetime(year, 3, 1, 9, 0, tzinfo=tz)
        call.closes_at = datetime(year, 3, 31, 18, 0, tzinfo=tz)
        call.save(update_fields=["opens_at", "closes_at"])
        # The notice's period moves to last year with its call, so 往期公示 lists it as the past notice it is.
        notice.refresh_from_db()
        shift = date(year, 5, 11) - notice.starts_on
        notice.starts_on += shift
        notice.ends_on += shift
        notice.opened_at += shift
        notice.closed_at = datetime.combine(notice.ends_on + timedelta(days=1), time(0, 30), tzinfo=tz)
        notice.save(update_fields=["starts_on", "ends_on", "opened_at", "closed_at"])

    def _demo_call(self, programs: list[Program]) -> Call:
        today = timezone.localdate()
        tz = timezone.get_current_timezone()
        year = today.year
        title = f"{year}年度质量品牌领域专项资金申报"
        call = Call.objects.filter(year=year, title=title).first()
        closes_at = datetime.combine(today + timedelta(days=30), time(18, 0), tzinfo=tz)
        if call is None:
            call = Call(
                year=year,
                title=title,
                opens_at=datetime.combine(today - timedelta(days=7), time(9, 0), tzinfo=tz),
                closes_at=closes_at,
                publicity_working_days=5,
                report_due_months=12,
                description="本批次受理九个资助项目的申报。请在截止时间前完成提交，逾期系统不再受理。",
            )
            call.full_clean()
            call.save()
        elif call.closes_at <= timezone.now():
            # Keep the demo usable when it is seeded again weeks later.
            call.closes_at = closes_at
            call.save(update_fields=["closes_at"])
        call.programs.set(programs)
        for program in programs:
            amount = Decimal(BUDGETS_WAN.get(program.code, 300)) * 10000
            ProgramBudget.objects.get_or_create(program=program, year=year, defaults={"amount": amount})
        return call
