"""The documents an applicant prints: the 申报书 (who may download it, what it prints, its check code), the 申报承诺书
template and the 申报材料清单 per program, the stamped 申报书 as a material, and the verify box."""

import hashlib
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from accounts.roles import ROLES_BY_KEY
from applications import services
from applications.error_codes import ApplicationErrorCode
from applications.models import State
from notices.documents import application_form_code, application_form_facts, find_application_form
from notices.services import ensure_award_notice
from programs.models import AttachmentRequirement, MaterialTemplate
from tests.applications.conftest import PDF_BYTES, certificate_units, pdf, valid_data
from tests.factories import MembershipFactory, ProgramFactory, StaffFactory

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    """All text of a PDF without whitespace (letter-spacing and table cells make extractors insert spaces)."""
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def codes(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [e.code for errors in error.error_dict.values() for e in errors]
    return [e.code for e in error.error_list]


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def certificate_draft(roles, open_call, certificate_program):
    """A P8-3-like draft with two certificates, a target, the declarations and one uploaded certificate scan."""
    application = services.create_application(
        actor=roles["owner"],
        call=open_call,
        program=certificate_program,
        data=valid_data(units=certificate_units("48000", "36000", prefix="CQC-GP-")),
    )
    services.add_attachment(
        application=application, actor=roles["owner"], kind="certificate", uploaded_file=pdf("绿色产品认证证书.pdf")
    )
    application.refresh_from_db()
    return application


def form_url(application) -> str:
    return reverse("notices:application_form", args=[application.pk])


# --- The 申报书 ------------------------------------------------------------------------------


def test_the_application_form_prints_the_applications_facts(roles, certificate_draft):
    response = client_for(roles["owner"]).get(form_url(certificate_draft))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    text = pdf_text(response.content)
    organisation = certificate_draft.organisation
    for fact in (
        certificate_draft.reference,
        organisation.name,
        organisation.uscc,
        organisation.legal_representative,
        "CQC-GP-001",
        "CQC-GP-002",
        "48000.00",
        "36000.00",
        "培训企业数量",
        hashlib.sha256(PDF_BYTES).hexdigest(),
        "绿色产品认证证书.pdf",
        certificate_draft.call.title,
        certificate_draft.program.name,
        "真实性承诺",
        "不得多头申报",
        "接受折算调整",
        "法定代表人（签字）",
        "申报单位（盖章）",
        application_form_code(application_form_facts(certificate_draft)),
    ):
        assert re.sub(r"\s+", "", fact) in text, fact


def test_the_application_form_prints_the_eligibility_results_while_a_draft(roles, certificate_draft):
    text = pdf_text(client_for(roles["owner"]).get(form_url(certificate_draft)).content)
    assert "E1" in text
    assert "未通过" not in text
    assert "提交时系统将再次检查" in text

    services.update_application(
        application=certificate_draft,
        actor=roles["owner"],
        data={"declarations": {"truthful": True, "no_duplicate_funding": False, "accept_adjustment": True}},
    )

    text = pdf_text(client_for(roles["owner"]).get(form_url(certificate_draft)).content)
    assert re.search(r"E8申报承诺未通过", text)


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("colleague", 200), ("other", 404), ("intake", 404), ("approver", 404), ("expert", 404)],
)
def test_only_the_organisations_members_download_a_draft_application_form(roles, certificate_draft, who, status):
    user = MembershipFactory(organisation=certificate_draft.organisation).user if who == "colleague" else roles[who]

    assert client_for(user).get(form_url(certificate_draft)).status_code == status


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("other", 404), ("intake", 200), ("approver", 200)])
def test_staff_who_see_a_submitted_application_download_its_form(roles, make_application, who, status):
    application = make_application("submitted")

    response = client_for(roles[who]).get(form_url(application))

    assert response.status_code == status
    if status == 200:
        text = pdf_text(response.content)
        assert application.reference in text
        assert "提交时已通过全部资格检查" in text


def test_anonymous_visitors_are_sent_to_log_in_and_unknown_applications_are_404(roles, certificate_draft):
    response = Client().get(form_url(certificate_draft))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]

    missing = reverse("notices:application_form", args=[certificate_draft.pk + 1000])
    assert client_for(roles["owner"]).get(missing).status_code == 404


def test_the_check_code_verifies_a_printed_copy_until_the_application_changes(roles, certificate_draft):
    code = application_form_code(application_form_facts(certificate_draft))

    page = Client().get(reverse("notices:verify", args=[code]))
    assert page.status_code == 200
    assert "一致：该打印件与系统中的申报内容一致" in page.content.decode()
    assert certificate_draft.organisation.name in page.content.decode()
    # Typed into the box, in lower case, it checks the same.
    assert Client().get(reverse("notices:verify_index"), {"code": code.lower()}).status_code == 200

    services.update_application(
        application=certificate_draft,
        actor=roles["owner"],
        data={"units": certificate_units("48000", prefix="CQC-GP-")},
    )

    assert find_application_form(code) == {"code": code, "matches": False}
    page = Client().get(reverse("notices:verify", args=[code]))
    assert page.status_code == 404
    assert certificate_draft.organisation.name not in page.content.decode()


def test_a_guessed_check_code_shows_nothing_of_the_application(certificate_draft):
    guessed = f"SB-{certificate_draft.reference}-000000000000"

    page = Client().get(reverse("notices:verify", args=[guessed]))

    assert page.status_code == 404
    html = page.content.decode()
    assert certificate_draft.organisation.name not in html
    assert certificate_draft.organisation.uscc not in html


def test_uploading_the_stamped_copy_does_not_change_the_check_code(roles, open_call, certificate_program):
    AttachmentRequirement.objects.create(
        program=certificate_program,
        kind="signed-application-form",
        name="申报书（签字盖章）",
        template=MaterialTemplate.APPLICATION_FORM,
    )
    application = services.create_application(
        actor=roles["owner"], call=open_call, program=certificate_program, data=valid_data()
    )
    before = application_form_code(application_form_facts(application))

    services.add_attachment(
        application=application, actor=roles["owner"], kind="signed-application-form", uploaded_file=pdf("申报书.pdf")
    )

    assert application_form_code(application_form_facts(application)) == before


# --- The stamped 申报书 as a required material --------------------------------------------------


@pytest.fixture
def stamped_program(open_call):
    program = ProgramFactory(unit_label="证书", unit_key_label="证书编号")
    AttachmentRequirement.objects.create(
        program=program, kind="commitment", name="申报承诺书", template=MaterialTemplate.COMMITMENT, sort_order=1
    )
    AttachmentRequirement.objects.create(
        program=program,
        kind="signed-application-form",
        name="申报书（签字盖章）",
        template=MaterialTemplate.APPLICATION_FORM,
        sort_order=2,
    )
    open_call.programs.add(program)
    return program


def test_a_program_can_require_the_stamped_application_form_as_a_normal_material(roles, open_call, stamped_program):
    owner = roles["owner"]
    application = services.create_application(
        actor=owner, call=open_call, program=stamped_program, data=valid_data(units=certificate_units("30000"))
    )
    services.add_attachment(application=application, actor=owner, kind="commitment", uploaded_file=pdf("承诺书.pdf"))

    with pytest.raises(ValidationError) as refused:
        services.submit_application(application=application, actor=owner)
    assert codes(refused.value) == [ApplicationErrorCode.ATTACHMENT_MISSING]
    application.refresh_from_db()
    assert application.state == State.DRAFT

    services.add_attachment(
        application=application, actor=owner, kind="signed-application-form", uploaded_file=pdf("申报书-盖章.pdf")
    )
    services.submit_application(application=application, actor=owner)
    application.refresh_from_db()
    assert application.state == State.SUBMITTED


def test_the_upload_step_links_each_material_to_its_template(roles, open_call, stamped_program):
    application = services.create_application(actor=roles["owner"], call=open_call, program=stamped_program)

    html = client_for(roles["owner"]).get(reverse("applications:step", args=[application.pk, "attachments"])).content
    html = html.decode()

    assert reverse("notices:commitment", args=[stamped_program.code]) in html
    assert "下载申报承诺书模板" in html
    assert form_url(application) in html
    assert "下载申报书（PDF）" in html


def test_the_application_page_links_to_its_form(roles, certificate_draft):
    html = client_for(roles["owner"]).get(reverse("applications:detail", args=[certificate_draft.pk])).content

    assert form_url(certificate_draft) in html.decode()


# --- Per-program templates ------------------------------------------------------------------


def test_the_commitment_template_fills_in_the_organisation_when_logged_in(roles, certificate_program):
    organisation = roles["owner"].organisation
    url = reverse("notices:commitment", args=[certificate_program.code])

    response = client_for(roles["owner"]).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for fact in (organisation.name, organisation.uscc, certificate_program.name, certificate_program.clause):
        assert fact in text, fact
    for declaration in ("真实性承诺", "不得多头申报", "接受折算调整", "无条件同意调整结果"):
        assert declaration in text, declaration


def test_the_commitment_template_leaves_blank_lines_without_an_organisation(roles, certificate_program):
    url = reverse("notices:commitment", args=[certificate_program.code])
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name=ROLES_BY_KEY["intake"].group_name))

    for client in (Client(), client_for(staff)):
        response = client.get(url)
        assert response.status_code == 200
        text = pdf_text(response.content)
        assert certificate_program.name in text
        assert roles["owner"].organisation.name not in text
        assert roles["owner"].organisation.uscc not in text


def test_the_checklist_lists_every_material_with_its_template(roles, stamped_program):
    response = Client().get(reverse("notices:checklist", args=[stamped_program.code]))

    assert response.status_code == 200
    text = pdf_text(response.content)
    for fact in (stamped_program.name, "申报承诺书", "申报书（签字盖章）", "下载申报承诺书模板", "下载申报书", "必须"):
        assert fact in text, fact


@pytest.mark.parametrize("name", ["notices:commitment", "notices:checklist"])
def test_templates_of_unknown_or_inactive_programs_are_404(name, certificate_program):
    certificate_program.is_active = False
    certificate_program.save(update_fields=["is_active"])

    assert Client().get(reverse(name, args=[certificate_program.code])).status_code == 404
    assert Client().get(reverse(name, args=["NOPE-1"])).status_code == 404


# --- The verify box -------------------------------------------------------------------------


def test_the_verify_page_has_a_box_for_the_code():
    response = Client().get(reverse("notices:verify_index"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="code"' in html
    assert 'method="get"' in html


@pytest.mark.parametrize(
    ("typed", "status", "message"),
    [
        ("", 400, "请输入验证码"),
        ("   ", 400, "请输入验证码"),
        ("abc", 400, "验证码格式不正确"),
        ("X" * 200, 400, "验证码过长"),
        ("ABCDEFGHJKMNPQRSTUVW", 404, "未找到该验证码对应的资助通知书"),
    ],
)
def test_the_verify_box_says_what_is_wrong(typed, status, message):
    response = Client().get(reverse("notices:verify_index"), {"code": typed})

    assert response.status_code == status
    html = response.content.decode()
    assert message in html
    assert 'aria-invalid="true"' in html
    assert "error-summary" in html


def test_the_verify_box_sends_a_notice_code_to_its_page(awarded):
    notice = ensure_award_notice(application_id=awarded.pk)
    typed = notice.verification_code.lower()[:10] + " " + notice.verification_code.lower()[10:]

    response = Client().get(reverse("notices:verify_index"), {"code": typed})

    assert response.status_code == 302
    assert response["Location"] == reverse("notices:verify", args=[notice.verification_code])
