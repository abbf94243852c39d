"""The application's review page: materials shown inline (still private), scans on their 证书编号 rows, the checklist
beside them, the expert panel's figures, and the approval rule's configurable mean."""

from decimal import Decimal

import pytest
from django.urls import reverse

from applications import services
from review.models import ReviewPolicy, ScoreMean
from review.services import approval_blockers, record_verification
from tests.applications.conftest import certificate_units, pdf, take, valid_data
from tests.review.test_expert_review import score

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def change_url(application) -> str:
    return reverse("admin:applications_application_change", args=[application.pk])


def file_url(application, attachment) -> str:
    return reverse("admin:applications_application_attachment", args=[application.pk, attachment.pk])


@pytest.fixture
def certificates(roles, open_call, certificate_program):
    """A submitted certificate application: one scan named by each certificate number, a general PDF, a PNG."""
    application = services.create_application(
        actor=roles["owner"],
        call=open_call,
        program=certificate_program,
        data=valid_data(units=certificate_units("50000", "32000")),
    )
    upload = lambda name, **kw: services.add_attachment(  # noqa: E731
        application=application, actor=roles["owner"], kind="certificate", uploaded_file=pdf(name, **kw)
    )
    first = upload("CQC-2026-001 证书.pdf")
    second = upload("cqc2026002扫描件.pdf")
    general = upload("认证证书汇总.pdf")
    image = upload("现场照片.png", content=PNG)
    application = take(application, "submit", roles["owner"])
    return application, {"first": first, "second": second, "general": general, "image": image}


def test_staff_open_a_pdf_inline_framed_by_the_portal_only(client, roles, certificates):
    application, files = certificates
    client.force_login(roles["intake"])

    response = client.get(file_url(application, files["first"]) + "?inline=1")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert client.get(file_url(application, files["first"]))["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("who", ["owner", "other", "finance", "expert"])
def test_the_inline_view_is_no_door_for_who_may_not_see_the_application(client, roles, certificates, who):
    application, files = certificates
    client.force_login(roles[who])

    response = client.get(file_url(application, files["first"]) + "?inline=1")

    assert response.status_code in (302, 404)  # applicants: to the admin login; staff without access: 404
    assert "Content-Disposition" not in response


def test_the_page_shows_pdfs_and_images_in_the_page_and_ties_scans_to_their_certificate_rows(
    client, roles, certificates
):
    application, files = certificates
    client.force_login(roles["intake"])

    page = client.get(change_url(application)).content.decode()

    assert f'<iframe class="material-frame" src="{file_url(application, files["first"])}?inline=1"' in page
    assert f'<img class="material-image" src="{file_url(application, files["image"])}?inline=1"' in page
    rows = page.split('class="unit-scans"')
    assert f'href="#material-{files["first"].pk}"' in rows[1].split("</td>")[0]
    assert f'href="#material-{files["second"].pk}"' in rows[2].split("</td>")[0]
    assert f'href="#material-{files["general"].pk}"' not in rows[1] + rows[2].split("</tr>")[0]
    assert "证书编号" in page


def test_the_checklist_sits_beside_the_materials_for_intake_and_read_only_for_the_approver(
    client, roles, make_application, checklist_program
):
    application = make_application("accepted", program=checklist_program)
    item = checklist_program.verification_items.order_by("sort_order").first()
    record_verification(application=application, actor=roles["intake"], results={item.pk: (False, "证书已过期")})

    client.force_login(roles["intake"])
    intake_page = client.get(change_url(application)).content.decode()
    client.force_login(roles["approver"])
    approver_page = client.get(change_url(application)).content.decode()

    for page in (intake_page, approver_page):
        workbench = page.split('class="review-workbench"')[1]
        assert "checklist-findings" in workbench and "证书已过期" in workbench and "未核实" in workbench
    assert "记录核实结果" in intake_page
    assert "查看核实清单" in approver_page
    assert 'data-transition="send_back"' in approver_page
    record = reverse("admin:review_verificationcheck_record", args=[application.pk])
    assert client.get(record).status_code == 200  # the approver reads it, no 403


def test_the_panel_figures_flag_an_expert_far_from_the_others(
    client, roles, make_application, expert_program, make_expert
):
    application = make_application("accepted", program=expert_program)
    experts = [roles["expert"], make_expert(), make_expert(), make_expert()]
    for expert, (innovation, feasibility) in zip(experts, [(80, 16), (82, 16), (78, 16), (20, 4)], strict=True):
        score(application, expert, roles["approver"], innovation, feasibility)
    client.force_login(roles["approver"])

    page = client.get(change_url(application)).content.decode()

    assert "专家评分统计" in page
    assert page.count("偏离其他专家超过2个标准差") == 1
    assert "算术平均" in page


def test_the_approval_rule_uses_the_programs_chosen_mean(roles, make_application, expert_program, make_expert):
    # A strict expert scores both applications low; normalised, the weaker one falls under the pass mark of 60.
    strong = make_application("accepted", program=expert_program)
    weak = make_application("accepted", program=expert_program)
    strict, generous = roles["expert"], make_expert()
    score(strong, strict, roles["approver"], 70, 14)  # 70.00
    score(strong, generous, roles["approver"], 100, 20)  # 100.00
    score(weak, strict, roles["approver"], 50, 10)  # 50.00
    score(weak, generous, roles["approver"], 75, 15)  # 75.00

    assert approval_blockers(weak) == []  # plain mean 62.50 ≥ 60
    ReviewPolicy.objects.create(program=expert_program, score_mean=ScoreMean.NORMALISED)

    assert [error.code for error in approval_blockers(weak)] == ["below_pass_mark"]
    assert approval_blockers(strong) == []
    assert Decimal(approval_blockers(weak)[0].params["score"]) < Decimal("60")
