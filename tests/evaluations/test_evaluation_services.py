"""Performance reports, grades, clawbacks, sanctions and the reminder job, through the real services."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Sanction
from applications import services as application_services
from applications.models import Application, ApplicationEvent, PerformanceTarget
from core.exceptions import Conflict
from evaluations import services
from evaluations.models import Clawback, PerformanceReport, ReportStatus
from tests.applications.conftest import PNG_BYTES, pdf, valid_data
from tests.evaluations.conftest import answers

pytestmark = pytest.mark.django_db


def codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def submitted(report, roles):
    return services.submit_report(report=report, actor=roles["owner"], results=answers(report.application))


# --- Opening ---------------------------------------------------------------------------------


def test_report_is_due_the_calls_report_period_after_disbursement(disbursed):
    report = services.open_report(application=disbursed)

    assert report.status == ReportStatus.PENDING
    assert report.due_on == timezone.localdate() + relativedelta(months=disbursed.call.report_due_months)


def test_open_report_twice_returns_the_same_report(disbursed):
    first = services.open_report(application=disbursed)

    again = services.open_report(application=disbursed)

    assert again.pk == first.pk
    assert PerformanceReport.objects.count() == 1


def test_program_without_report_gets_none_and_a_reviewer_completes_the_evaluation(disbursed, roles):
    # The program dropped its report requirement after payout had already opened a report.
    disbursed.program.report_required = False
    disbursed.program.save(update_fields=["report_required"])
    PerformanceReport.objects.filter(application=disbursed).delete()

    assert services.open_report(application=disbursed) is None
    application = services.complete_without_report(application=disbursed, actor=roles["intake"])

    assert application.state == "evaluated"
    assert PerformanceReport.objects.count() == 0


def test_complete_without_report_is_refused_when_the_program_requires_one(disbursed, roles):
    with pytest.raises(ValidationError) as raised:
        services.complete_without_report(application=disbursed, actor=roles["approver"])

    assert codes(raised.value) == {"report_required"}
    assert Application.objects.get(pk=disbursed.pk).state == "disbursed"


def test_open_report_before_payout_is_refused(make_application):
    awarded = make_application("awarded")

    with pytest.raises(Conflict) as raised:
        services.open_report(application=awarded)

    assert raised.value.code == "not_disbursed"


# --- Submitting --------------------------------------------------------------------------------


def test_owner_submits_a_result_for_every_target(report, roles):
    report = submitted(report, roles)

    assert report.status == ReportStatus.SUBMITTED
    assert report.submitted_by == roles["owner"]
    assert [(r.achieved, r.explanation) for r in report.results.all()] == [("52", "全年培训企业52家，超额完成。")]


def test_a_target_left_unanswered_is_refused_and_nothing_is_saved(report, roles):
    application = report.application
    PerformanceTarget.objects.create(application=application, position=1, indicator="带动就业", target="20", unit="人")
    first = application.targets.first()

    with pytest.raises(ValidationError) as raised:
        services.submit_report(report=report, actor=roles["owner"], results={first.pk: ("52", "完成")})

    assert codes(raised.value) == {"target_missing"}
    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING
    assert report.results.count() == 0


def test_another_organisation_cannot_submit_the_report(report, roles):
    with pytest.raises(PermissionDenied):
        services.submit_report(report=report, actor=roles["other"], results=answers(report.application))

    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING


def test_report_can_be_resubmitted_until_graded(report, roles):
    submitted(report, roles)

    services.submit_report(report=report, actor=roles["owner"], results=answers(report.application, achieved="55"))
    services.grade_report(report=report, actor=roles["intake"], grade="good", comment="")

    assert report.results.get().achieved == "55"
    with pytest.raises(Conflict) as raised:
        submitted(report, roles)
    assert raised.value.code == "report_graded"


def test_attachment_of_a_wrong_type_is_refused(report, roles):
    with pytest.raises(ValidationError) as raised:
        services.add_report_attachment(
            report=report, actor=roles["owner"], uploaded_file=pdf("报告.pdf", content=b"MZ not a pdf")
        )

    assert codes(raised.value) == {"file_type_not_allowed"}
    assert report.attachments.count() == 0


def test_attachment_is_stored_privately_under_an_unguessable_name(report, roles):
    attachment = services.add_report_attachment(
        report=report, actor=roles["owner"], uploaded_file=pdf("../../绩效报告.png", content=PNG_BYTES)
    )

    assert attachment.original_name == "绩效报告.png"
    assert attachment.content_type == "image/png"
    assert attachment.file.name.startswith(f"private/evaluations/{report.pk}/")


# --- Grading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("grade", ["excellent", "good", "qualified"])
def test_a_pass_grade_moves_the_application_to_evaluated(report, roles, grade):
    submitted(report, roles)

    report = services.grade_report(report=report, actor=roles["intake"], grade=grade, comment="目标全部完成")

    assert report.status == ReportStatus.GRADED
    assert report.grade == grade
    assert report.graded_by == roles["intake"]
    application = Application.objects.get(pk=report.application_id)
    assert application.state == "evaluated"
    event = ApplicationEvent.objects.filter(application=application).last()
    assert (event.name, event.from_state, event.to_state, event.actor) == (
        "evaluate",
        "disbursed",
        "evaluated",
        roles["intake"],
    )
    assert Clawback.objects.count() == 0


def test_failed_grade_opens_a_clawback_and_a_sanction_and_bars_new_submissions(report, roles, open_call, fixed_program):
    submitted(report, roles)
    Application.objects.filter(pk=report.application_id).update(allocated_amount=Decimal("280000.00"))
    today = timezone.localdate()

    services.grade_report(report=report, actor=roles["approver"], grade="failed", comment="主要指标未完成")

    application = Application.objects.get(pk=report.application_id)
    assert application.state == "clawback"
    assert application.decision_reason == "绩效评价不合格：主要指标未完成"
    clawback = Clawback.objects.get()
    assert (clawback.amount, clawback.due_on, clawback.opened_by) == (
        Decimal("280000.00"),
        today + timedelta(days=90),
        roles["approver"],
    )
    sanction = Sanction.objects.get()
    assert (sanction.organisation_id, sanction.starts_on, sanction.ends_on) == (
        application.organisation_id,
        today,
        today + relativedelta(years=3),
    )
    assert clawback.sanction == sanction
    # Given a new draft by the sanctioned organisation, when it is submitted, then E4 refuses it.
    draft = application_services.create_application(
        actor=roles["owner"], call=open_call, program=fixed_program, data=valid_data()
    )
    with pytest.raises(ValidationError) as raised:
        application_services.submit_application(application=draft, actor=roles["owner"])
    assert "sanctioned" in codes(raised.value)
    assert Application.objects.get(pk=draft.pk).state == "draft"


def test_failed_grade_takes_amount_due_date_and_sanction_end_from_the_reviewer(report, roles):
    submitted(report, roles)

    services.grade_report(
        report=report,
        actor=roles["approver"],
        grade="failed",
        comment="虚报完成值",
        clawback_amount=Decimal("100000.00"),
        clawback_due_on=date(2031, 1, 31),
        sanction_ends_on=date(2032, 6, 30),
    )

    clawback = Clawback.objects.get()
    assert (clawback.amount, clawback.due_on, clawback.sanction.ends_on) == (
        Decimal("100000.00"),
        date(2031, 1, 31),
        date(2032, 6, 30),
    )


def test_failed_grade_without_comment_is_refused(report, roles):
    submitted(report, roles)

    with pytest.raises(ValidationError) as raised:
        services.grade_report(report=report, actor=roles["approver"], grade="failed", comment=" ")

    assert codes(raised.value) == {"comment_required"}
    assert Application.objects.get(pk=report.application_id).state == "disbursed"
    assert Sanction.objects.count() == 0


def test_intake_officer_cannot_fail_a_report(report, roles):
    submitted(report, roles)

    with pytest.raises(PermissionDenied):
        services.grade_report(report=report, actor=roles["intake"], grade="failed", comment="未完成")

    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert Application.objects.get(pk=report.application_id).state == "disbursed"


@pytest.mark.parametrize("role", ["owner", "other", "expert", "finance", "administrator"])
def test_only_reviewers_grade_reports(report, roles, role):
    submitted(report, roles)
    events = ApplicationEvent.objects.count()

    with pytest.raises(PermissionDenied):
        services.grade_report(report=report, actor=roles[role], grade="excellent", comment="")

    report.refresh_from_db()
    assert (report.status, report.grade) == (ReportStatus.SUBMITTED, "")
    assert ApplicationEvent.objects.count() == events


def test_a_report_not_yet_submitted_cannot_be_graded(report, roles):
    with pytest.raises(Conflict) as raised:
        services.grade_report(report=report, actor=roles["approver"], grade="qualified", comment="")

    assert raised.value.code == "report_not_submitted"


# --- Repayment and fraud -------------------------------------------------------------------------


def test_repaid_clawback_closes_the_application(report, roles):
    submitted(report, roles)
    services.grade_report(report=report, actor=roles["approver"], grade="failed", comment="未完成")
    clawback = Clawback.objects.get()

    services.record_repayment(clawback=clawback, actor=roles["finance"])

    clawback.refresh_from_db()
    assert clawback.repaid_recorded_by == roles["finance"]
    assert clawback.repaid_at is not None
    assert Application.objects.get(pk=report.application_id).state == "closed"
    # The sanction outlives the repayment.
    assert Sanction.objects.active_on(timezone.localdate()).count() == 1
    with pytest.raises(Conflict) as raised:
        services.record_repayment(clawback=clawback, actor=roles["finance"])
    assert raised.value.code == "already_repaid"


def test_applicant_cannot_record_a_repayment(report, roles):
    submitted(report, roles)
    services.grade_report(report=report, actor=roles["approver"], grade="failed", comment="未完成")

    with pytest.raises(PermissionDenied):
        services.record_repayment(clawback=Clawback.objects.get(), actor=roles["owner"])

    assert Clawback.objects.get().repaid_at is None


def test_fraud_found_after_evaluation_claws_back_and_sanctions(make_application, roles):
    evaluated = make_application("evaluated")

    outcome = services.report_fraud(application=evaluated, actor=roles["approver"], reason="伪造检测报告")

    assert Application.objects.get(pk=evaluated.pk).state == "clawback"
    assert outcome.clawback.amount == Decimal("300000.00")  # the whole award: the amount allocated before publicity
    assert outcome.sanction.reason == "查实违规：伪造检测报告"
    assert outcome.sanction.organisation_id == evaluated.organisation_id


def test_fraud_found_before_payout_records_a_sanction_only(make_application, roles):
    awarded = make_application("awarded")

    outcome = services.report_fraud(application=awarded, actor=roles["approver"], reason="重复申报")

    assert outcome.clawback is None
    assert Sanction.objects.filter(organisation_id=awarded.organisation_id).count() == 1
    assert Application.objects.get(pk=awarded.pk).state == "awarded"


def test_fraud_before_award_is_refused(make_application, roles):
    approved = make_application("approved")

    with pytest.raises(Conflict) as raised:
        services.report_fraud(application=approved, actor=roles["approver"], reason="重复申报")

    assert raised.value.code == "not_awarded"
    assert Sanction.objects.count() == 0


def test_only_an_approver_reports_fraud(disbursed, roles):
    with pytest.raises(PermissionDenied):
        services.report_fraud(application=disbursed, actor=roles["intake"], reason="伪造")

    assert Sanction.objects.count() == 0


# --- The reminder job ----------------------------------------------------------------------------


def test_reminder_job_run_twice_sends_each_reminder_once(report, roles, django_capture_on_commit_callbacks):
    day = report.due_on - timedelta(days=10)

    with django_capture_on_commit_callbacks(execute=True):
        first = services.send_report_reminders(today=day)
        second = services.send_report_reminders(today=day)

    assert first == {"opened": 0, "reminded": 1, "overdue": 0}
    assert second == {"opened": 0, "reminded": 0, "overdue": 0}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [roles["owner"].email]
    assert "绩效报告将于" in mail.outbox[0].subject


def test_no_reminder_earlier_than_fourteen_days_before_due(report):
    assert services.send_report_reminders(today=report.due_on - timedelta(days=15))["reminded"] == 0
    assert services.send_report_reminders(today=report.due_on - timedelta(days=14))["reminded"] == 1


def test_reminder_job_marks_an_unsubmitted_report_overdue_once(report, django_capture_on_commit_callbacks):
    day = report.due_on + timedelta(days=1)

    with django_capture_on_commit_callbacks(execute=True):
        first = services.send_report_reminders(today=day)
        second = services.send_report_reminders(today=day + timedelta(days=5))

    assert first["overdue"] == 1
    assert second["overdue"] == 0
    report.refresh_from_db()
    assert report.status == ReportStatus.OVERDUE
    assert len(mail.outbox) == 1


def test_submitted_report_is_neither_reminded_nor_marked_overdue(report, roles):
    submitted(report, roles)

    counts = services.send_report_reminders(today=report.due_on + timedelta(days=3))

    assert counts == {"opened": 0, "reminded": 0, "overdue": 0}


def test_late_report_is_still_taken_and_only_failed_if_never_submitted(report, roles):
    services.send_report_reminders(today=report.due_on + timedelta(days=1))

    with pytest.raises(Conflict):
        services.grade_report(report=report, actor=roles["approver"], grade="good", comment="")
    report = submitted(report, roles)

    assert report.status == ReportStatus.SUBMITTED


def test_payout_opens_the_report_and_the_reminder_job_opens_one_that_is_missing(disbursed):
    assert PerformanceReport.objects.filter(application=disbursed).exists()  # opened by the paid payout line
    PerformanceReport.objects.filter(application=disbursed).delete()  # e.g. paid before reports existed

    counts = services.send_report_reminders()

    assert counts["opened"] == 1
    assert PerformanceReport.objects.filter(application=disbursed).exists()


def test_reminder_command_prints_counts(report, capsys):
    call_command("report_reminders", "--today", (report.due_on - timedelta(days=1)).isoformat())

    assert capsys.readouterr().out.strip() == "opened=0 reminded=1 overdue=0"
