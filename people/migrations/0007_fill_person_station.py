"""Data migration: fill the file-to-station membership from registrations and episodes."""

from django.db import migrations


def fill(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    Episode = apps.get_model("people", "Episode")
    PersonStation = apps.get_model("people", "PersonStation")
    pairs = set(Person.objects.values_list("id", "registered_by_id"))
    pairs |= set(Episode.objects.values_list("person_id", "station_id"))
    existing = set(PersonStation.objects.values_list("person_id", "station_id"))
    PersonStation.objects.bulk_create(
        [PersonStation(person_id=p, station_id=s) for p, s in sorted(pairs - existing)], batch_size=2000
    )


class Migration(migrations.Migration):
    dependencies = [("people", "0006_person_station_membership")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
