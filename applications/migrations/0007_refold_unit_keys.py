"""Fold the stored unit keys the way ``programs.rules.normalise_unit_key`` now does (NFKC, no zero-width
characters), so that a certificate number typed in full-width characters before this change still meets its
ASCII twin in the funded-once check."""

from django.db import migrations

from programs.rules import normalise_unit_key


def refold(apps, schema_editor):
    ApplicationUnit = apps.get_model("applications", "ApplicationUnit")
    changed = []
    for unit in ApplicationUnit.objects.exclude(key="").only("pk", "key", "key_normalised").iterator(chunk_size=2000):
        folded = normalise_unit_key(unit.key)
        if folded != unit.key_normalised:
            unit.key_normalised = folded
            changed.append(unit)
    ApplicationUnit.objects.bulk_update(changed, ["key_normalised"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("applications", "0006_child_order_without_join")]

    operations = [migrations.RunPython(refold, migrations.RunPython.noop)]
