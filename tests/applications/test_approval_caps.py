"""Caps enforced at approval under the (organisation, year) row lock (SPEC §3)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from applications import services
from applications.models import Application, ApplicationEvent
from programs.models import OrganisationAnnualCap
from tests.applications.conftest import certificate_units, pdf, valid_data

pytestmark = pytest.mark.django_db


def accepted_certificate_applications(roles, call, program, count: int, claim: str = "50000") -> list[Application]:
    """``count`` accepted single-certificate applications of the owner's organisation, made through the services."""
    owner, intake = roles["owner"], roles["intake"]
    applications = []
    for i in range(count):
        application = services.create_application(
            actor=owner, call=call, program=program, data=valid_data(units=certificate_units(claim, prefix=f"N{i}-"))
        )
        services.add_attachment(application=application, actor=owner, kind="certificate", uploaded_file=pdf())
        services.submit_application(application=application, actor=owner)
        applications.append(services.accept_application(application=application, actor=intake))
    return applications


def code_of(error: ValidationError) -> str:
    return error.error_list[0].code


def test_approval_is_refused_past_a_cap_lowered_after_submission(roles, open_call, certificate_program):
    certificate_program.max_units_per_year = 10
    certificate_program.save()
    applications = accepted_certificate_applications(roles, open_call, certificate_program, 3)
    certificate_program.max_units_per_year = 2
    certificate_program.save()
    approver = roles["approver"]

    services.approve_application(application=applications[0], actor=approver)
    services.approve_application(application=applications[1], actor=approver)
    with pytest.raises(ValidationError) as excinfo:
        services.approve_application(application=applications[2], actor=approver)

    assert code_of(excinfo.value) == "yearly_cap_reached"
    assert "已核准2项，上限2项，本申报超出1项" in excinfo.value.messages[0]
    applications[2].refresh_from_db()
    assert applications[2].state == "accepted"
    assert not ApplicationEvent.objects.filter(application=applications[2], name="approve").exists()


def test_the_organisation_annual_cap_cuts_to_the_headroom_then_refuses(roles, open_call, certificate_program):
    certificate_program.max_units_per_year = 10
    certificate_program.save()
    OrganisationAnnualCap.objects.create(year=open_call.year, amount=Decimal("120000"))
    first, second, third, fourth = accepted_certificate_applications(roles, open_call, certificate_program, 4)
    approver = roles["approver"]

    services.approve_application(application=first, actor=approver)
    services.approve_application(application=second, actor=approver)
    cut = services.approve_application(application=third, actor=approver)
    with pytest.raises(ValidationError) as excinfo:
        services.approve_application(application=fourth, actor=approver)

    assert cut.standard_amount == Decimal("20000.00")  # 120000 - 50000 - 50000
    assert cut.events.get(name="approve").data["organisation_cap_cut"] == "30000.00"
    assert code_of(excinfo.value) == "organisation_cap_reached"
    assert "超出50,000.00元" in excinfo.value.messages[0]
    fourth.refresh_from_db()
    assert fourth.state == "accepted"


def test_a_key_approved_in_another_application_is_refused(roles, open_call, certificate_program):
    owner = roles["owner"]
    (first,) = accepted_certificate_applications(roles, open_call, certificate_program, 1)
    services.approve_application(application=first, actor=roles["approver"])
    # The same certificate number again, in a later application.
    second = services.create_application(
        actor=owner,
        call=open_call,
        program=certificate_program,
        data=valid_data(units=certificate_units("50000", prefix="N0-")),
    )

    assert services.assess(second).unit_results[0].reason_code == "already_funded"


def _approve_concurrently(applications: list[Application], approver) -> list[str]:
    barrier = threading.Barrier(len(applications))
    outcomes: list[str] = []
    lock = threading.Lock()

    def approve(application: Application) -> None:
        try:
            barrier.wait()
            services.approve_application(application=application, actor=approver)
            outcome = "approved"
        except ValidationError as error:
            outcome = code_of(error)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=approve, args=(a,)) for a in applications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_approvals_end_with_exactly_the_count_cap(roles, open_call, certificate_program):
    certificate_program.max_units_per_year = 20
    certificate_program.save()
    applications = accepted_certificate_applications(roles, open_call, certificate_program, 20)
    certificate_program.max_units_per_year = 3  # lowered by an administrator after submission
    certificate_program.save()

    outcomes = _approve_concurrently(applications, roles["approver"])

    assert outcomes.count("approved") == 3
    assert outcomes.count("yearly_cap_reached") == 17
    assert Application.objects.filter(state="approved").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_approvals_end_within_the_organisation_annual_cap(roles, open_call, certificate_program):
    certificate_program.max_units_per_year = 20
    certificate_program.save()
    applications = accepted_certificate_applications(roles, open_call, certificate_program, 20)
    OrganisationAnnualCap.objects.create(year=open_call.year, amount=Decimal("150000"))

    outcomes = _approve_concurrently(applications, roles["approver"])

    assert outcomes.count("approved") == 3
    assert outcomes.count("organisation_cap_reached") == 17
    approved = Application.objects.filter(state="approved")
    assert sum(a.standard_amount for a in approved) == Decimal("150000.00")
