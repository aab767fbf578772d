import uuid

from django.db import migrations


def fill(apps, schema_editor):
    FamilyContact = apps.get_model("people", "FamilyContact")
    for contact in FamilyContact.objects.filter(uuid__isnull=True).only("pk"):
        FamilyContact.objects.filter(pk=contact.pk).update(uuid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("people", "0002_contact_uuid_and_episode_person_status_index")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
