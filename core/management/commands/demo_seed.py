from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "载入演示城市（清远市）的机构、账号和受助人员 / load the demo city"

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=320, help="人员数量 / number of people")

    def handle(self, *args, people, **options):
        if not settings.GUITU_DEMO:
            # Demo accounts share a printed password: never create them in a production database.
            raise CommandError("演示数据只能在演示模式下载入：请用 `make demo`（它设置 GUITU_DEMO=1）。"
                               " / demo_seed runs only in demo mode (GUITU_DEMO=1, set by `make demo`).")
        from guitu.demo import seed

        created = seed(people=people, stdout=self.stdout)
        if created:
            self.stdout.write(self.style.SUCCESS(f"演示数据已载入：{created} 名受助人员"))
        else:
            self.stdout.write("演示数据已存在，未重复载入。")
