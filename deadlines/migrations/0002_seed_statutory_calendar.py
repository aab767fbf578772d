"""Seed the statutory calendar from chinese_calendar for the years it knows (2004–2026 in 1.11).

Data only (the schema is 0001). No app imports: the package's own dicts are read directly, and the same
seeding is available as `manage.py holidays_seed` for a later package release."""

from django.db import migrations

NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def seed(apps, schema_editor):
    import chinese_calendar

    HolidayCalendar = apps.get_model("deadlines", "HolidayCalendar")
    existing = set(HolidayCalendar.objects.values_list("date", flat=True))
    rows = []
    for source, kind in ((chinese_calendar.holidays, "holiday"), (chinese_calendar.workdays, "workday")):
        for day, name in source.items():
            if day not in existing:
                rows.append(HolidayCalendar(date=day, kind=kind, name=NAMES.get(str(name), str(name))[:50]))
    HolidayCalendar.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
