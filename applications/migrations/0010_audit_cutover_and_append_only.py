"""The cut-over to keyed event hashes, and append-only events and chain heads on PostgreSQL.

Events written so far keep their plain SHA-256 hashes (resealing them would itself be a rewrite): the first heads
snapshot records the last of them in ``legacy_until`` and the heads of every chain at this moment, under the HMAC
key; every later event is sealed with HMAC-SHA256. On PostgreSQL, triggers refuse UPDATE and DELETE of events and
heads (TRUNCATE, which the test suite's flush uses, fires no row trigger). Deleting a draft still works: a draft
has no events, so its cascade deletes no event row.
"""

from django.db import migrations

APPEND_ONLY = ("applications_applicationevent", "applications_auditheadsnapshot", "applications_audithead")

FUNCTION = """
CREATE OR REPLACE FUNCTION portal_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP;
END
$$;
"""


def cut_over(apps, schema_editor):
    from applications.audit_heads import chain_key, current_heads, snapshot_digest

    ApplicationEvent = apps.get_model("applications", "ApplicationEvent")
    AuditHeadSnapshot = apps.get_model("applications", "AuditHeadSnapshot")
    AuditHead = apps.get_model("applications", "AuditHead")
    last = ApplicationEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    heads = current_heads(ApplicationEvent)
    events = sum(count for _, count, _ in heads)
    snapshot = AuditHeadSnapshot.objects.create(
        legacy_until=last,
        application_count=len(heads),
        event_count=events,
        digest=snapshot_digest((last, len(heads), events), heads, chain_key()),
    )
    AuditHead.objects.bulk_create(
        [AuditHead(snapshot=snapshot, application_id=a, event_count=c, head=h) for a, c, h in heads],
        batch_size=2000,
    )


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in APPEND_ONLY:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION portal_refuse_change()"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0009_audit_heads"),
    ]

    operations = [
        migrations.RunPython(cut_over, migrations.RunPython.noop),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
