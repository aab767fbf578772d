from django.core.management.base import BaseCommand

from guitu.demo import login_lines


class Command(BaseCommand):
    help = "打印演示账号 / print the demo logins"

    def handle(self, *args, **options):
        for line in login_lines():
            self.stdout.write(line)
