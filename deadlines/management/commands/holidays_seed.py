"""Add the statutory days the installed chinese_calendar knows and the database lacks (after a package upgrade)."""

from django.core.management.base import BaseCommand

from deadlines.calendar import package_days
from deadlines.models import HolidayCalendar


class Command(BaseCommand):
    help = "从 chinese_calendar 补充数据库中缺少的法定节假日和调休上班日"

    def handle(self, *args, **options):
        existing = set(HolidayCalendar.objects.values_list("date", flat=True))
        rows = [HolidayCalendar(date=d, kind=k, name=n) for d, k, n in package_days() if d not in existing]
        HolidayCalendar.objects.bulk_create(rows, batch_size=500)
        self.stdout.write(f"新增 {len(rows)} 天")
