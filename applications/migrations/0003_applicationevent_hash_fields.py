from django.db import migrations, models


class Migration(migrations.Migration):
    """Add the hash-chain fields to events; 0004 fills them, 0005 adds the no-fork constraint."""

    dependencies = [
        ("applications", "0002_application_score"),
    ]

    operations = [
        migrations.AddField(
            model_name="applicationevent",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="前一记录哈希"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="applicationevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="记录哈希"),
            preserve_default=False,
        ),
    ]
