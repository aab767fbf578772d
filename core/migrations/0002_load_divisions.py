"""Data migration: GB/T 2260 provinces, cities and counties (from cpca's data via guitu_match)."""

from django.db import migrations


def load(apps, schema_editor):
    from guitu_match.divisions import full_name, iter_divisions

    Division = apps.get_model("core", "Division")
    existing = set(Division.objects.values_list("code", flat=True))
    rows = [d for d in iter_divisions() if d.code not in existing]
    for level in ("province", "city", "county"):
        parents = {o.code: o for o in Division.objects.all()}
        batch = [
            Division(code=d.code, name=d.name, level=d.level, parent=parents.get(d.parent_code or ""),
                     full_name=full_name(d.code) or d.name)
            for d in rows
            if d.level == level
        ]
        Division.objects.bulk_create(batch, batch_size=500)


def unload(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
