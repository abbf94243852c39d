"""Existing programs and calls belong to the draft 操作规程's rule set."""

from django.db import migrations

DRAFT_CODE = "draft-2021"


def assign_draft(apps, schema_editor):
    RuleSet = apps.get_model("programs", "RuleSet")
    Program = apps.get_model("programs", "Program")
    Call = apps.get_model("programs", "Call")
    if not Program.objects.exists() and not Call.objects.exists():
        return
    rule_set, _created = RuleSet.objects.get_or_create(
        code=DRAFT_CODE,
        defaults={
            "name": "操作规程（征求意见稿）九个资助项目",
            "document": "深圳市市场监督管理局质量品牌领域专项资金操作规程（征求意见稿）",
        },
    )
    Program.objects.filter(rule_set__isnull=True).update(rule_set=rule_set)
    Call.objects.filter(rule_set__isnull=True).update(rule_set=rule_set)


class Migration(migrations.Migration):
    dependencies = [("programs", "0005_rule_sets")]

    operations = [migrations.RunPython(assign_draft, migrations.RunPython.noop)]
