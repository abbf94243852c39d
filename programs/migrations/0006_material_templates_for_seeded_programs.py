"""Point the seeded 申报承诺书 at its template and ask 评审制 items for the signed and stamped 申报书.

Brings programs seeded before the templates existed to what ``seed_programs`` now creates, so that they stay "in
sync" with the seed; a commitment whose help text an administrator changed keeps that text.
"""

from django.db import migrations

OLD_COMMITMENT_HELP = "下载模板填写，法定代表人签字并加盖公章后上传扫描件。"
NEW_COMMITMENT_HELP = "下载模板（已填好单位名称和统一社会信用代码）核对填写，法定代表人签字并加盖公章后上传扫描件。"
SIGNED_FORM_KIND = "signed-application-form"
SIGNED_FORM_NAME = "申报书（签字盖章）"
SIGNED_FORM_HELP = (
    "各步骤填写完成后，在申报页面下载申报书，打印后由法定代表人签字并加盖公章，上传扫描件；"
    "打印后又修改了内容的，请重新打印。"
)
# The seeded 评审制 items (programs/seed_data.py).
EXPERT_REVIEW_CODES = ("P8-1", "P8-2", "P9-3", "P10-2", "P10-3")


def forwards(apps, schema_editor):
    requirement_model = apps.get_model("programs", "AttachmentRequirement")
    program_model = apps.get_model("programs", "Program")
    for requirement in requirement_model.objects.filter(kind="commitment", template=""):
        requirement.template = "commitment"
        if requirement.help_text == OLD_COMMITMENT_HELP:
            requirement.help_text = NEW_COMMITMENT_HELP
        requirement.save(update_fields=["template", "help_text"])
    for program in program_model.objects.filter(code__in=EXPERT_REVIEW_CODES):
        if requirement_model.objects.filter(program=program, kind=SIGNED_FORM_KIND).exists():
            continue
        last = requirement_model.objects.filter(program=program).order_by("-sort_order").first()
        requirement_model.objects.create(
            program=program,
            kind=SIGNED_FORM_KIND,
            name=SIGNED_FORM_NAME,
            help_text=SIGNED_FORM_HELP,
            is_required=True,
            template="application_form",
            sort_order=(last.sort_order if last else 0) + 1,
        )


def backwards(apps, schema_editor):
    requirement_model = apps.get_model("programs", "AttachmentRequirement")
    requirement_model.objects.filter(kind=SIGNED_FORM_KIND, template="application_form").delete()
    for requirement in requirement_model.objects.filter(kind="commitment", template="commitment"):
        requirement.template = ""
        if requirement.help_text == NEW_COMMITMENT_HELP:
            requirement.help_text = OLD_COMMITMENT_HELP
        requirement.save(update_fields=["template", "help_text"])


class Migration(migrations.Migration):
    dependencies = [("programs", "0005_material_template")]

    operations = [migrations.RunPython(forwards, backwards)]
