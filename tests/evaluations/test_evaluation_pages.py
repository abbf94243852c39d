"""The applicant's report page and the staff admin for grading and repayments, driven with the test client."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from applications.models import Application
from evaluations import services
from evaluations.models import Clawback, ReportAttachment, ReportStatus
from tests.applications.conftest import PDF_BYTES, pdf
from tests.evaluations.conftest import answers

pytestmark = pytest.mark.django_db


def report_url(report) -> str:
    return reverse("evaluations:report", kwargs={"pk": report.application_id})


def form_data(report, achieved: str = "52", explanation: str = "超额完成") -> dict:
    data = {}
    for target in report.application.targets.all():
        data[f"achieved_{target.pk}"] = achieved
        data[f"explanation_{target.pk}"] = explanation
    return data


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("owner", 200), ("other", 404), ("intake", 404), ("approver", 404), ("finance", 404)],
)
def test_report_page_authorization(client, roles, report, who, status):
    if who != "anonymous":
        client.force_login(roles[who])

    response = client.get(report_url(report))

    assert response.status_code == status


def test_owner_submits_the_report_with_an_attachment(client, roles, report):
    client.force_login(roles["owner"])

    response = client.post(report_url(report), {**form_data(report), "file": pdf("验收报告.pdf")})

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert report.results.get().achieved == "52"
    assert report.attachments.get().original_name == "验收报告.pdf"


def test_missing_explanation_is_shown_at_the_top_and_beside_the_field_and_keeps_what_was_typed(client, roles, report):
    client.force_login(roles["owner"])
    target = report.application.targets.get()

    response = client.post(report_url(report), {**form_data(report, achieved="已培训48家", explanation="")})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in html
    assert f'href="#id_explanation_{target.pk}"' in html
    assert f'id="id_explanation_{target.pk}_error"' in html
    assert 'value="已培训48家"' in html
    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING


def test_a_refused_file_keeps_the_typed_answers_and_saves_nothing(client, roles, report):
    client.force_login(roles["owner"])

    response = client.post(
        report_url(report), {**form_data(report, achieved="49"), "file": pdf("x.pdf", content=b"MZ exe")}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "只能上传 PDF、JPG 或 PNG 文件" in html
    assert 'value="49"' in html
    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING
    assert report.results.count() == 0


def test_graded_report_is_shown_read_only(client, roles, report):
    services.submit_report(report=report, actor=roles["owner"], results=answers(report.application))
    services.grade_report(report=report, actor=roles["intake"], grade="excellent", comment="很好")
    client.force_login(roles["owner"])

    html = client.get(report_url(report)).content.decode()

    assert "优秀" in html
    assert '<form method="post" class="form' not in html


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("other", 404), ("anonymous", 302)])
def test_report_attachment_download_authorization(client, roles, report, who, status):
    attachment = services.add_report_attachment(report=report, actor=roles["owner"], uploaded_file=pdf())
    if who != "anonymous":
        client.force_login(roles[who])

    response = client.get(reverse("evaluations:attachment", args=[report.application_id, attachment.pk]))

    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert response["Content-Disposition"].startswith("attachment")


def test_owner_deletes_an_attachment_before_grading(client, roles, report):
    attachment = services.add_report_attachment(report=report, actor=roles["owner"], uploaded_file=pdf())
    client.force_login(roles["owner"])

    response = client.post(reverse("evaluations:attachment_delete", args=[report.application_id, attachment.pk]))

    assert response.status_code == 302
    assert ReportAttachment.objects.count() == 0


# --- Admin -----------------------------------------------------------------------------------------


def grade_url(report) -> str:
    return reverse("admin:evaluations_performancereport_grade", args=[report.pk])


@pytest.mark.parametrize(("who", "status"), [("owner", 302), ("expert", 403), ("finance", 403), ("intake", 200)])
def test_admin_grade_page_authorization(client, roles, report, who, status):
    client.force_login(roles[who])

    response = client.get(grade_url(report))

    assert response.status_code == status  # an applicant is sent to the admin login


def test_approver_grades_a_report_in_the_admin(client, roles, report):
    services.submit_report(report=report, actor=roles["owner"], results=answers(report.application))
    client.force_login(roles["approver"])

    response = client.post(grade_url(report), {"grade": "good", "comment": "完成良好"})

    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.grade, report.graded_by) == (ReportStatus.GRADED, "good", roles["approver"])
    assert Application.objects.get(pk=report.application_id).state == "evaluated"


def test_intake_failing_a_report_in_the_admin_is_told_an_approver_must(client, roles, report):
    services.submit_report(report=report, actor=roles["owner"], results=answers(report.application))
    client.force_login(roles["intake"])

    response = client.post(grade_url(report), {"grade": "failed", "comment": "未完成"})

    assert response.status_code == 200
    assert "须由审定人作出" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_finance_marks_a_clawback_repaid_with_the_admin_action(client, roles, report):
    services.submit_report(report=report, actor=roles["owner"], results=answers(report.application))
    services.grade_report(
        report=report, actor=roles["approver"], grade="failed", comment="未完成", clawback_amount=Decimal("1000")
    )
    clawback = Clawback.objects.get()
    finance = roles["finance"]
    finance.user_permissions.add(Permission.objects.get(codename="view_clawback"))
    client.force_login(finance)

    response = client.post(
        reverse("admin:evaluations_clawback_changelist"),
        {"action": "mark_repaid_selected", "_selected_action": [clawback.pk]},
    )

    assert response.status_code == 302
    clawback.refresh_from_db()
    assert clawback.repaid_recorded_by == finance
    assert Application.objects.get(pk=report.application_id).state == "closed"
