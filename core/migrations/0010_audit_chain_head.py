"""The audit chain's head kept by a trigger (PostgreSQL): one primary-key read gives a new row the hash to chain
to, instead of finding the newest of the monthly partitions (core.auditchain.head_hash)."""

from django.db import migrations, models

PG_UP = """
CREATE OR REPLACE FUNCTION core_audit_chain_head() RETURNS trigger AS $$
BEGIN
  INSERT INTO core_auditchainhead (id, last_id, last_hash) VALUES (1, NEW.id, NEW.hash)
  ON CONFLICT (id) DO UPDATE SET last_id = EXCLUDED.last_id, last_hash = EXCLUDED.last_hash
    WHERE core_auditchainhead.last_id < EXCLUDED.last_id;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER core_audit_chain_head AFTER INSERT ON core_auditentry
FOR EACH ROW EXECUTE FUNCTION core_audit_chain_head();
INSERT INTO core_auditchainhead (id, last_id, last_hash)
  SELECT 1, id, hash FROM core_auditentry ORDER BY id DESC LIMIT 1;
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS core_audit_chain_head ON core_auditentry;
DROP FUNCTION IF EXISTS core_audit_chain_head();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0009_audit_write_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("last_id", models.BigIntegerField(verbose_name="最新记录编号")),
                ("last_hash", models.CharField(max_length=64, verbose_name="最新记录哈希")),
            ],
            options={
                "verbose_name": "审计链头",
                "verbose_name_plural": "审计链头",
                "constraints": [models.CheckConstraint(condition=models.Q(("id", 1)), name="core_auditchainhead_single_row")],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
