"""Print every declared deadline rule, one per line: ID, due computation in words, title, whose task."""

from django.core.management.base import BaseCommand

from core.models import Role
from deadlines.registry import discover
from deadlines.selectors import rule_overrides


class Command(BaseCommand):
    help = "列出全部时限规则：规则编号、时限计算方式、事项、责任人"

    def handle(self, *args, **options):
        overrides = rule_overrides()
        for rule in discover().values():
            what = rule.fulfilment.what if rule.fulfilment else "（完成记录待后续模块）"
            line = (f"{rule.id}  {rule.describe(overrides)}；{rule.title}；完成标志：{what}；"
                    f"责任：{Role(rule.role).label}（{rule.app_label}）")
            if rule.id in overrides:
                line += f"；本地从严设置：{overrides[rule.id]}"
            self.stdout.write(line)
