"""Submission through the services: caps, funded-once keys, checks and bad input, each with its stable code."""

import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from accounts.models import Sanction
from applications import services
from applications.models import Application, ApplicationEvent, ApplicationUnit
from programs.models import AmountRule
from tests.applications.conftest import certificate_units, pdf, valid_data
from tests.factories import ProgramFactory, TierFactory

pytestmark = pytest.mark.django_db


def codes(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [e.code for errors in error.error_dict.values() for e in errors]
    return [e.code for e in error.error_list]


@pytest.fixture
def certificate_draft(roles, open_call, certificate_program):
    def make(*claims: str, prefix: str = "CQC-2026-", with_attachment: bool = True, **overrides):
        application = services.create_application(
            actor=roles["owner"],
            call=open_call,
            program=certificate_program,
            data=valid_data(units=certificate_units(*claims, prefix=prefix), **overrides),
        )
        if with_attachment:
            services.add_attachment(
                application=application, actor=roles["owner"], kind="certificate", uploaded_file=pdf()
            )
        return application

    return make


def snapshot(application: Application) -> tuple:
    application.refresh_from_db()
    units = list(application.units.values_list("key", "claim_amount", "tier_id").order_by("position"))
    return (
        application.state,
        application.form_data,
        units,
        ApplicationEvent.objects.filter(application=application).count(),
    )


def test_the_standard_amount_counts_claims_up_to_the_unit_amount_and_stops_at_the_cap(certificate_draft):
    """SPEC §3: four certificates claimed at 5万, 5万, 3.2万, 6万 → 13.2万, the fourth past the cap."""
    application = certificate_draft("50000", "50000", "32000", "60000")

    assessment = services.assess(application)

    assert assessment.standard_amount == Decimal("132000.00")
    assert [r.counted_amount for r in assessment.unit_results] == [
        Decimal("50000.00"),
        Decimal("50000.00"),
        Decimal("32000.00"),
        Decimal("0.00"),
    ]
    assert assessment.unit_results[3].reason_code == "yearly_cap_reached"
    application.refresh_from_db()
    assert application.standard_amount == Decimal("132000.00")
    assert application.units.get(position=3).reason_code == "yearly_cap_reached"


def test_a_unit_past_the_yearly_cap_makes_submission_fail_naming_it(certificate_draft, roles):
    application = certificate_draft("50000", "50000", "32000", "60000")
    before = snapshot(application)

    with pytest.raises(ValidationError) as excinfo:
        services.submit_application(application=application, actor=roles["owner"])

    assert codes(excinfo.value) == ["yearly_cap_reached"]
    assert "CQC-2026-004" in str(excinfo.value)
    assert snapshot(application) == before


def test_caps_count_the_organisations_other_submitted_applications_of_the_year(certificate_draft, roles):
    first = certificate_draft("50000", "50000", prefix="A-")
    services.submit_application(application=first, actor=roles["owner"])
    second = certificate_draft("50000", "50000", prefix="B-")

    assessment = services.assess(second)

    assert [r.reason_code for r in assessment.unit_results] == ["", "yearly_cap_reached"]
    with pytest.raises(ValidationError) as excinfo:
        services.submit_application(application=second, actor=roles["owner"])
    assert codes(excinfo.value) == ["yearly_cap_reached"]


def test_withdrawn_and_rejected_applications_do_not_count(certificate_draft, roles):
    withdrawn = certificate_draft("50000", "50000", "50000", prefix="W-")
    services.submit_application(application=withdrawn, actor=roles["owner"])
    services.withdraw_application(application=withdrawn, actor=roles["owner"])
    rejected = certificate_draft("50000", "50000", "50000", prefix="R-")
    services.submit_application(application=rejected, actor=roles["owner"])
    services.reject_application(application=rejected, actor=roles["intake"], reason="材料不实")

    third = certificate_draft("50000", "50000", "50000", prefix="C-")

    assert services.submit_application(application=third, actor=roles["owner"]).state == "submitted"


def test_a_certificate_submitted_elsewhere_is_not_funded_twice(certificate_draft, roles):
    first = certificate_draft("50000", prefix="SAME-")
    services.submit_application(application=first, actor=roles["owner"])
    again = certificate_draft("30000", prefix="same-")  # typed in lower case this time

    with pytest.raises(ValidationError) as excinfo:
        services.submit_application(application=again, actor=roles["owner"])

    assert codes(excinfo.value) == ["already_funded"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (
            {"units": [{"key": "X-1", "claim_amount": "100"}, {"key": " x-1 ", "claim_amount": "200"}]},
            "duplicate_unit_key",
        ),
        ({"units": [{"key": "X-1", "claim_amount": "-1"}]}, "negative_amount"),
        ({"units": [{"key": "X-1", "claim_amount": "abc"}]}, "invalid_amount"),
        ({"units": [{"key": "X-1", "claim_amount": "1.005"}]}, "invalid_amount"),
        ({"units": [{"key": "X-1", "issued_on": "2026-13-45"}]}, "invalid_date"),
        ({"units": [{"key": "X-1", "tier": "not-a-tier"}]}, "tier_invalid"),
        ({"form_data": {"nonsense": "1"}}, "form_field_unknown"),
        ({"targets": [{"indicator": "", "target": "5"}]}, "target_incomplete"),
    ],
)
def test_bad_input_is_refused_with_a_code_and_the_draft_stays_as_it_was(certificate_draft, roles, data, code):
    application = certificate_draft("50000", "32000")
    before = snapshot(application)

    with pytest.raises(ValidationError) as excinfo:
        services.update_application(application=application, actor=roles["owner"], data=data)

    assert codes(excinfo.value) == [code]
    assert snapshot(application) == before


def test_a_tier_of_another_program_is_refused(roles, open_call):
    tiered = ProgramFactory(amount_rule=AmountRule.PER_TIER, unit_amount=None, claim_required=False)
    TierFactory(program=tiered, code="gold", amount=Decimal("500000"))
    foreign = TierFactory(code="foreign-tier")
    open_call.programs.add(tiered)
    application = services.create_application(
        actor=roles["owner"], call=open_call, program=tiered, data=valid_data(units=[{"key": "H1", "tier": "gold"}])
    )

    with pytest.raises(ValidationError) as excinfo:
        services.update_application(
            application=application, actor=roles["owner"], data={"units": [{"key": "H1", "tier": foreign.code}]}
        )

    assert codes(excinfo.value) == ["tier_invalid"]
    assert list(application.units.values_list("tier__code", flat=True)) == ["gold"]


def test_only_the_highest_honour_of_a_year_counts(roles, open_call):
    """P10-1: 每年只资助一个档次，按最高档次资助."""
    program = ProgramFactory(
        amount_rule=AmountRule.PER_TIER,
        unit_amount=None,
        claim_required=False,
        max_units_per_year=None,
        funded_once=True,
        one_tier_per_year=True,
    )
    TierFactory(program=program, code="mayor", amount=Decimal("500000"))
    TierFactory(program=program, code="china", amount=Decimal("3000000"))
    open_call.programs.add(program)
    data = valid_data(units=[{"key": "市长质量奖2025", "tier": "mayor"}, {"key": "中国质量奖2025", "tier": "china"}])

    application = services.create_application(actor=roles["owner"], call=open_call, program=program, data=data)

    units = list(application.units.order_by("position"))
    assert [u.counted_amount for u in units] == [Decimal("0.00"), Decimal("3000000.00")]
    assert units[0].reason_code == "yearly_cap_reached"
    assert application.standard_amount == Decimal("3000000.00")


def test_submission_after_the_call_closes_is_refused_to_the_second(certificate_draft, roles, open_call):
    application = certificate_draft("50000")
    open_call.closes_at = timezone.now() - timedelta(seconds=1)
    open_call.save()

    with pytest.raises(ValidationError) as excinfo:
        services.submit_application(application=application, actor=roles["owner"])

    assert codes(excinfo.value) == ["call_closed"]
    application.refresh_from_db()
    assert application.state == "draft"


def test_missing_declarations_and_attachments_are_each_reported(certificate_draft, roles):
    application = certificate_draft(
        "50000", with_attachment=False, declarations={"truthful": True, "no_duplicate_funding": False}
    )

    with pytest.raises(ValidationError) as excinfo:
        services.submit_application(application=application, actor=roles["owner"])

    assert sorted(codes(excinfo.value)) == ["attachment_missing", "declarations_missing"]


def test_a_sanctioned_organisation_cannot_submit(certificate_draft, roles):
    application = certificate_draft("50000")
    Sanction.objects.create(
        organisation=application.organisation,
        reason="绩效评价不合格",
        starts_on=date.today() - timedelta(days=1),
        ends_on=date.today() + timedelta(days=3 * 365),
    )

    with pytest.raises(ValidationError) as excinfo:
        services.submit_application(application=application, actor=roles["owner"])

    assert codes(excinfo.value) == ["sanctioned"]


def test_a_returned_application_is_corrected_and_resubmitted(certificate_draft, roles):
    application = certificate_draft("50000")
    services.submit_application(application=application, actor=roles["owner"])
    services.return_application(
        application=application,
        actor=roles["intake"],
        reason="证书扫描件不清晰",
        due_on=date.today() + timedelta(days=5),
    )

    services.update_application(
        application=application, actor=roles["owner"], data={"units": certificate_units("45000")}
    )
    resubmitted = services.submit_application(application=application, actor=roles["owner"])

    assert resubmitted.state == "submitted"
    assert resubmitted.return_reason == ""
    assert resubmitted.standard_amount == Decimal("45000.00")
    assert list(resubmitted.events.values_list("name", flat=True)) == ["submit", "return", "submit"]


def test_return_needs_a_reason_and_a_due_date_not_in_the_past(certificate_draft, roles):
    application = certificate_draft("50000")
    services.submit_application(application=application, actor=roles["owner"])

    with pytest.raises(ValidationError) as no_reason:
        services.return_application(application=application, actor=roles["intake"], reason=" ", due_on=date.today())
    with pytest.raises(ValidationError) as past:
        services.return_application(
            application=application, actor=roles["intake"], reason="补材料", due_on=date.today() - timedelta(days=1)
        )

    assert codes(no_reason.value) == ["reason_required"]
    assert codes(past.value) == ["due_date_invalid"]
    application.refresh_from_db()
    assert application.state == "submitted"


def test_only_drafts_are_deleted_and_only_by_members(certificate_draft, roles):
    from django.core.exceptions import PermissionDenied

    from core.exceptions import Conflict

    draft = certificate_draft("50000")
    submitted = certificate_draft("50000", prefix="S-")
    services.submit_application(application=submitted, actor=roles["owner"])

    with pytest.raises(PermissionDenied):
        services.delete_application(application=draft, actor=roles["other"])
    with pytest.raises(Conflict):
        services.delete_application(application=submitted, actor=roles["owner"])
    services.delete_application(application=draft, actor=roles["owner"])

    assert list(Application.objects.values_list("pk", flat=True)) == [submitted.pk]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100, "file_type_not_allowed"),
        ("script.pdf", b"#!/bin/sh\nrm -rf /\n", "file_type_not_allowed"),
        ("empty.pdf", b"", "file_empty"),
    ],
)
def test_uploads_are_judged_by_their_content(certificate_draft, roles, name, content, code):
    application = certificate_draft("50000", with_attachment=False)

    with pytest.raises(ValidationError) as excinfo:
        services.add_attachment(
            application=application,
            actor=roles["owner"],
            kind="certificate",
            uploaded_file=SimpleUploadedFile(name, content, content_type="application/pdf"),
        )

    assert codes(excinfo.value) == [code]
    assert application.attachments.count() == 0


def test_an_upload_over_the_limit_is_refused(certificate_draft, roles, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 1024
    application = certificate_draft("50000", with_attachment=False)

    with pytest.raises(ValidationError) as excinfo:
        services.add_attachment(
            application=application,
            actor=roles["owner"],
            kind="certificate",
            uploaded_file=pdf(content=b"%PDF-1.4\n" + b"0" * 2048),
        )

    assert codes(excinfo.value) == ["file_too_large"]


def test_an_upload_is_stored_under_an_unguessable_name_with_a_sanitised_original(certificate_draft, roles):
    application = certificate_draft("50000", with_attachment=False)

    attachment = services.add_attachment(
        application=application,
        actor=roles["owner"],
        kind="certificate",
        uploaded_file=pdf(name="../../etc/证书<扫描>.pdf"),
    )

    assert attachment.original_name == "证书扫描.pdf"
    assert attachment.file.name.startswith(f"private/applications/{application.pk}/")
    assert "证书" not in attachment.file.name
    assert attachment.content_type == "application/pdf"
    assert len(attachment.sha256) == 64


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_cannot_both_pass_the_cap(roles, open_call, certificate_program, monkeypatch):
    """Two applications of 2 certificates each, cap 3: exactly one is submitted, the other hits the cap."""
    owner = roles["owner"]
    real_assess = services.assess

    def slow_assess(application, **kwargs):
        # Widen the race window: count, then wait before the transaction commits.
        result = real_assess(application, **kwargs)
        time.sleep(0.3)
        return result

    applications = []
    for prefix in ("P-", "Q-"):
        application = services.create_application(
            actor=owner,
            call=open_call,
            program=certificate_program,
            data=valid_data(units=certificate_units("50000", "50000", prefix=prefix)),
        )
        services.add_attachment(application=application, actor=owner, kind="certificate", uploaded_file=pdf())
        applications.append(application)
    monkeypatch.setattr(services, "assess", slow_assess)
    barrier = threading.Barrier(len(applications))
    outcomes: list[str] = []

    def submit(application: Application) -> None:
        try:
            barrier.wait()
            services.submit_application(application=application, actor=owner)
            outcomes.append("submitted")
        except ValidationError as error:
            outcomes.append(codes(error)[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(a,)) for a in applications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["submitted", "yearly_cap_reached"]
    assert ApplicationUnit.objects.filter(application__state="submitted", reason_code="").count() == 2


def test_a_returned_application_may_be_resubmitted_after_the_call_closes_until_its_due_date(
    certificate_draft, roles, open_call
):
    application = certificate_draft("50000")
    services.submit_application(application=application, actor=roles["owner"])
    services.return_application(
        application=application, actor=roles["intake"], reason="补充发票", due_on=date.today() + timedelta(days=3)
    )
    open_call.closes_at = timezone.now() - timedelta(hours=1)
    open_call.save()

    assert services.submit_application(application=application, actor=roles["owner"]).state == "submitted"


def test_a_returned_application_past_its_due_date_cannot_be_resubmitted(certificate_draft, roles, open_call):
    application = certificate_draft("50000")
    services.submit_application(application=application, actor=roles["owner"])
    services.return_application(application=application, actor=roles["intake"], reason="补充发票", due_on=date.today())
    Application.objects.filter(pk=application.pk).update(return_due_on=date.today() - timedelta(days=1))

    with pytest.raises(ValidationError) as excinfo:
        services.submit_application(application=application, actor=roles["owner"])

    assert codes(excinfo.value) == ["call_closed"]
