"""Data: every recorded N5 reason becomes a report to the station's supervising department (rule N5).

Earlier rows marked "reported" keep their report date; the others are reported from now on, since the
department now sees them in its own list.
"""

import datetime

from django.db import migrations
from django.utils import timezone


def fill(apps, schema_editor):
    StayExtension = apps.get_model("stay", "StayExtension")
    tz = timezone.get_current_timezone()
    for ext in StayExtension.objects.select_related("episode__station").filter(reported_at__isnull=True):
        ext.department_id = ext.episode.station.supervisor_id
        if ext.reported_to_department and ext.reported_on:
            ext.reported_at = datetime.datetime.combine(ext.reported_on, datetime.time(12), tzinfo=tz)
        else:
            ext.reported_at = ext.created_at
        ext.save(update_fields=["department", "reported_at"])


class Migration(migrations.Migration):
    dependencies = [("stay", "0003_n5_report_to_department")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
