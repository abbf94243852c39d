from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0004_fill_event_hashes"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="applicationevent",
            constraint=models.UniqueConstraint(
                fields=("application", "prev_hash"),
                name="one_event_per_chain_link",
                violation_error_code="audit_chain_fork",
            ),
        ),
    ]
