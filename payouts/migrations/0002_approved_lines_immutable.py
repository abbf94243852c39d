"""On PostgreSQL, an approved batch and its lines can no longer change what was approved.

A line of an approved batch may still get its bank result (status, voucher, paid on, failure reason, recorded
by/at); its payee, account, amount, reference and position are refused, as are inserting or deleting a line of an
approved batch. An approved batch keeps its status, totals, checksum and approver. TRUNCATE fires no row trigger.
"""

from django.db import migrations

LINE_FUNCTION = """
CREATE OR REPLACE FUNCTION payouts_approved_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    batch_approved boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT status = 'approved' INTO batch_approved FROM payouts_payoutbatch WHERE id = NEW.batch_id;
    ELSE
        SELECT status = 'approved' INTO batch_approved FROM payouts_payoutbatch WHERE id = OLD.batch_id;
    END IF;
    IF coalesce(batch_approved, false) THEN
        IF TG_OP <> 'UPDATE' THEN
            RAISE EXCEPTION 'payout line of approved batch: % refused', TG_OP;
        END IF;
        IF (NEW.batch_id, NEW.position, NEW.application_id, NEW.reference, NEW.amount, NEW.payee_name,
            NEW.payee_uscc, NEW.bank_name, NEW.bank_account_number, NEW.bank_account_name, NEW.program_name,
            NEW.purpose)
           IS DISTINCT FROM
           (OLD.batch_id, OLD.position, OLD.application_id, OLD.reference, OLD.amount, OLD.payee_name,
            OLD.payee_uscc, OLD.bank_name, OLD.bank_account_number, OLD.bank_account_name, OLD.program_name,
            OLD.purpose) THEN
            RAISE EXCEPTION 'payout line % of approved batch %: changing payee, account or amount refused',
                OLD.id, OLD.batch_id;
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
"""

BATCH_FUNCTION = """
CREATE OR REPLACE FUNCTION payouts_approved_batch_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'approved' THEN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'approved payout batch %: DELETE refused', OLD.id;
        END IF;
        IF (NEW.status, NEW.total_amount, NEW.line_count, NEW.checksum, NEW.approved_by_id, NEW.approved_at,
            NEW.created_by_id, NEW.call_id, NEW.program_id)
           IS DISTINCT FROM
           (OLD.status, OLD.total_amount, OLD.line_count, OLD.checksum, OLD.approved_by_id, OLD.approved_at,
            OLD.created_by_id, OLD.call_id, OLD.program_id) THEN
            RAISE EXCEPTION 'approved payout batch %: changing its totals, checksum or approval refused', OLD.id;
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
"""


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(LINE_FUNCTION, params=None)
    schema_editor.execute(
        "CREATE TRIGGER payouts_payoutline_approved_guard BEFORE INSERT OR UPDATE OR DELETE ON payouts_payoutline "
        "FOR EACH ROW EXECUTE FUNCTION payouts_approved_line_guard()"
    )
    schema_editor.execute(BATCH_FUNCTION, params=None)
    schema_editor.execute(
        "CREATE TRIGGER payouts_payoutbatch_approved_guard BEFORE UPDATE OR DELETE ON payouts_payoutbatch "
        "FOR EACH ROW EXECUTE FUNCTION payouts_approved_batch_guard()"
    )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS payouts_payoutline_approved_guard ON payouts_payoutline")
    schema_editor.execute("DROP TRIGGER IF EXISTS payouts_payoutbatch_approved_guard ON payouts_payoutbatch")
    schema_editor.execute("DROP FUNCTION IF EXISTS payouts_approved_line_guard()")
    schema_editor.execute("DROP FUNCTION IF EXISTS payouts_approved_batch_guard()")


class Migration(migrations.Migration):
    dependencies = [
        ("payouts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_triggers, drop_triggers),
    ]
