"""What an API client reads to fill in what a program asks for: its form fields and its required materials, listed
at the same cost however many programs there are."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from programs.models import AttachmentRequirement, FieldType, FormField, MaterialTemplate
from tests.factories import ProgramFactory, TierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def program_with_questions(**kwargs):
    program = ProgramFactory(**kwargs)
    FormField.objects.create(
        program=program,
        name="annual_revenue",
        label="上年度营业收入（万元）",
        field_type=FieldType.DECIMAL,
        is_required=True,
        help_text="按审计报告填写",
        sort_order=1,
    )
    FormField.objects.create(
        program=program,
        name="certifier",
        label="认证机构",
        field_type=FieldType.CHOICE,
        choices="中国质量认证中心\n方圆标志认证集团\n",
        is_required=False,
        sort_order=2,
    )
    AttachmentRequirement.objects.create(
        program=program, kind="certificate", name="认证证书扫描件", is_required=True, sort_order=1
    )
    AttachmentRequirement.objects.create(
        program=program,
        kind="commitment",
        name="申报承诺书",
        is_required=True,
        template=MaterialTemplate.COMMITMENT,
        sort_order=2,
    )
    AttachmentRequirement.objects.create(
        program=program,
        kind="stamped-form",
        name="签字盖章的申报书",
        is_required=False,
        template=MaterialTemplate.APPLICATION_FORM,
        sort_order=3,
    )
    return program


def test_a_program_lists_its_form_fields_for_an_api_client(api):
    # given a program asking two extra questions
    program = program_with_questions(code="P8-3")

    # when a client reads the catalogue
    body = api.get(reverse("api:program-detail", args=[program.code])).json()

    # then each question has its name, label, type, choices, whether it is required and its help
    assert body["form_fields"] == [
        {
            "name": "annual_revenue",
            "label": "上年度营业收入（万元）",
            "type": "decimal",
            "type_label": "数字（可含小数）",
            "choices": [],
            "required": True,
            "help_text": "按审计报告填写",
        },
        {
            "name": "certifier",
            "label": "认证机构",
            "type": "choice",
            "type_label": "单选",
            "choices": ["中国质量认证中心", "方圆标志认证集团"],
            "required": False,
            "help_text": "",
        },
    ]


def test_a_program_lists_its_materials_with_what_an_upload_must_be(api, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    program = program_with_questions(code="P8-3")

    body = api.get(reverse("api:program-list")).json()

    (listed,) = [p for p in body if p["code"] == "P8-3"]
    common = {"accepted_types": ["application/pdf", "image/jpeg", "image/png"], "max_size": 20 * 1024 * 1024}
    assert listed["required_attachments"] == [
        {
            "kind": "certificate",
            "name": "认证证书扫描件",
            "label": "认证证书扫描件",
            "is_required": True,
            "required": True,
            "help_text": "",
            "template": "",
            "template_url": None,
            **common,
        },
        {
            "kind": "commitment",
            "name": "申报承诺书",
            "label": "申报承诺书",
            "is_required": True,
            "required": True,
            "help_text": "",
            "template": "commitment",
            "template_url": "http://testserver" + reverse("notices:commitment", args=[program.code]),
            **common,
        },
        {
            "kind": "stamped-form",
            "name": "签字盖章的申报书",
            "label": "签字盖章的申报书",
            "is_required": False,
            "required": False,
            "help_text": "",
            "template": "application_form",
            "template_url": None,
            **common,
        },
    ]


def test_the_template_url_downloads_the_commitment(api):
    program = program_with_questions(code="P8-3")
    body = api.get(reverse("api:program-detail", args=[program.code])).json()

    response = api.get(body["required_attachments"][1]["template_url"])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_an_edited_form_field_shows_at_once(api):
    # given a catalogue already read (and so cached)
    program = program_with_questions(code="P8-3")
    api.get(reverse("api:program-list"))

    # when staff relabel a question
    field = FormField.objects.get(program=program, name="annual_revenue")
    field.label = "上年度主营业务收入（万元）"
    field.save()

    # then the next read shows the new label
    body = api.get(reverse("api:program-detail", args=[program.code])).json()
    assert body["form_fields"][0]["label"] == "上年度主营业务收入（万元）"


def test_an_inactive_program_is_not_found(api):
    program = program_with_questions(is_active=False)

    response = api.get(reverse("api:program-detail", args=[program.code]))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def _catalogue_of(count: int) -> None:
    for _ in range(count):
        program = program_with_questions()
        TierFactory(program=program)


@pytest.mark.parametrize("warm", [False, True], ids=["cold-cache", "warm-cache"])
def test_the_catalogue_costs_the_same_queries_at_3_and_12_programs(api, django_assert_num_queries, warm):
    counts = []
    for size in (3, 12):
        _catalogue_of(size if not counts else size - 3)
        cache.clear()
        if warm:
            api.get(reverse("api:program-list"))
        with django_assert_num_queries(1 if warm else 4) as captured:
            body = api.get(reverse("api:program-list")).json()
        assert len(body) == size
        assert all(len(p["form_fields"]) == 2 and len(p["required_attachments"]) == 3 for p in body)
        counts.append(len(captured))
    assert counts[0] == counts[1]
