from django.db import migrations

PRESETS = (
    "营业执照扫描件不清晰，请重新上传",
    "缺少认证证书扫描件，请补充上传",
    "证书编号与扫描件不一致，请核对",
    "申报金额与证明材料不符，请核对",
    "申报承诺书未签字盖章，请补充",
)


def seed(apps, schema_editor):
    preset = apps.get_model("review", "ReturnReasonPreset")
    for position, text in enumerate(PRESETS, start=1):
        preset.objects.get_or_create(text=text, defaults={"sort_order": position * 10})


def unseed(apps, schema_editor):
    apps.get_model("review", "ReturnReasonPreset").objects.filter(text__in=PRESETS).delete()


class Migration(migrations.Migration):
    dependencies = [("review", "0003_return_reason_presets_and_review_policy")]

    operations = [migrations.RunPython(seed, unseed)]
