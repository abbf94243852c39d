from django.db import migrations
from django.db.models import Q

from applications.audit import GENESIS_HASH, seal

BATCH = 2000


def fill_hashes(apps, schema_editor):
    """Chain the events written before the hash chain existed: per application, in insertion (id) order.

    Reads in keyset-paginated batches (constant memory, no open cursor while updating).
    """
    ApplicationEvent = apps.get_model("applications", "ApplicationEvent")
    events = ApplicationEvent.objects.order_by("application_id", "pk").only(
        "pk", "application_id", "name", "from_state", "to_state", "actor_id", "at", "comment", "data"
    )
    application_id, last_pk, prev_hash = None, None, GENESIS_HASH
    while True:
        after = (
            Q()
            if last_pk is None
            else Q(application_id__gt=application_id) | Q(application_id=application_id, pk__gt=last_pk)
        )
        batch = list(events.filter(after)[:BATCH])
        if not batch:
            return
        for event in batch:
            if event.application_id != application_id:
                application_id, prev_hash = event.application_id, GENESIS_HASH
            prev_hash = seal(event, prev_hash).hash
            last_pk = event.pk
        ApplicationEvent.objects.bulk_update(batch, ["prev_hash", "hash"])


def clear_hashes(apps, schema_editor):
    apps.get_model("applications", "ApplicationEvent").objects.update(prev_hash="", hash="")


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0003_applicationevent_hash_fields"),
    ]

    operations = [
        migrations.RunPython(fill_hashes, clear_hashes),
    ]
