"""factory_boy factories for read-side tests; workflow tests reach states through the stages (tests/stages.py)."""

import random
from datetime import date, timedelta
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import District, Membership, MembershipRole, Organisation, OrganisationType, User
from accounts.rules import build_uscc
from programs.models import AmountRule, Call, Program, ProgramBudget, ReviewTrack, Tier

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def random_uscc() -> str:
    """A valid 统一社会信用代码 with a random organisation code."""
    body = "91440300" + "".join(random.choice(USCC_ALPHABET) for _ in range(9))
    return build_uscc(body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    full_name = factory.Faker("name", locale="zh_CN")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-9")

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)
        if create:
            self.save()


class StaffFactory(UserFactory):
    is_staff = True


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    uscc = factory.LazyFunction(random_uscc)
    name = factory.Sequence(lambda n: f"深圳市测试{n}号科技有限公司")
    org_type = OrganisationType.ENTERPRISE
    founded_on = date(2015, 3, 1)
    district = District.NANSHAN
    registered_address = "深圳市南山区科技园"
    legal_representative = factory.Faker("name", locale="zh_CN")
    contact_person = factory.Faker("name", locale="zh_CN")
    contact_phone = "0755-86000000"
    contact_email = factory.Sequence(lambda n: f"org{n}@example.cn")
    bank_name = "中国银行深圳分行"
    bank_account_number = factory.Sequence(lambda n: f"7453{n:08d}0001")
    bank_account_name = factory.SelfAttribute("name")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = MembershipRole.ADMIN


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    code = factory.Sequence(lambda n: f"T{n}")
    name = factory.Sequence(lambda n: f"测试资助项目{n}")
    clause = "第八条第三款"
    direction = "supply_quality"
    review_track = ReviewTrack.VERIFICATION
    applicant_types = factory.LazyFunction(lambda: [OrganisationType.ENTERPRISE])
    amount_rule = AmountRule.PER_UNIT
    unit_label = "证书"
    unit_amount = Decimal("50000.00")
    claim_required = True
    max_units_per_year = 3
    funded_once = True


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier

    program = factory.SubFactory(ProgramFactory, amount_rule=AmountRule.PER_TIER, unit_amount=None)
    code = factory.Sequence(lambda n: f"tier-{n}")
    name = factory.Sequence(lambda n: f"档次{n}")
    amount = Decimal("100000.00")


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call
        skip_postgeneration_save = True

    year = factory.LazyFunction(lambda: timezone.localdate().year)
    title = factory.Sequence(lambda n: f"测试申报批次{n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))

    @factory.post_generation
    def programs(self, create: bool, extracted: list[Program] | None, **kwargs: object) -> None:
        if create and extracted:
            self.programs.set(extracted)


class ProgramBudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramBudget

    program = factory.SubFactory(ProgramFactory)
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    amount = Decimal("6000000.00")
