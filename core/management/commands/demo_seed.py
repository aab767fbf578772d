from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "载入演示城市（清远市）的机构、账号和受助人员 / load the demo city"

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=320, help="人员数量 / number of people")

    def handle(self, *args, people, **options):
        from guitu.demo import seed

        created = seed(people=people, stdout=self.stdout)
        if created:
            self.stdout.write(self.style.SUCCESS(f"演示数据已载入：{created} 名受助人员"))
        else:
            self.stdout.write("演示数据已存在，未重复载入。")
