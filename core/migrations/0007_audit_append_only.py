"""The audit log is append-only in the database too: an UPDATE of an audit row is refused by a trigger.

The ORM refuses update and delete (core.models.AuditEntryQuerySet); the trigger also stops a write that
bypasses the ORM through the application's own connection. Deletion stays possible for the retention purge
(core.auditchain.purge); a deleted row breaks the hash chain, which ``manage.py audit_verify`` reports.
"""

from django.db import migrations

SQLITE_UP = """
CREATE TRIGGER core_auditentry_append_only BEFORE UPDATE ON core_auditentry
BEGIN SELECT RAISE(ABORT, 'audit log is append-only (core_auditentry)'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS core_auditentry_append_only;"

PG_UP = """
CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit log is append-only (core_auditentry)'; END $$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditentry_append_only BEFORE UPDATE ON core_auditentry
FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry;
DROP FUNCTION IF EXISTS core_auditentry_append_only();
"""


def forwards(apps, schema_editor):
    schema_editor.execute(PG_UP if schema_editor.connection.vendor == "postgresql" else SQLITE_UP)


def backwards(apps, schema_editor):
    schema_editor.execute(PG_DOWN if schema_editor.connection.vendor == "postgresql" else SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("core", "0006_password_policy_and_key_fingerprints")]

    operations = [migrations.RunPython(forwards, backwards)]
