"""Refresh (or with --full rebuild) the statistics' summary tables now, in this process."""

from django.core.management.base import BaseCommand

from figures.models import RefreshTrigger
from figures.refresh import refresh


class Command(BaseCommand):
    help = "刷新统计汇总表（--full 全量重建）/ refresh the statistics summary tables"

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="全量重建 / rebuild everything")

    def handle(self, *args, full=False, **options):
        run = refresh(trigger=RefreshTrigger.COMMAND, full=full)
        seconds = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(f"统计汇总已刷新：{'全量' if run.full else '增量'}，重算救助过程 {run.episodes} 条，"
                          f"汇总 {run.facts} 行，用时 {seconds:.1f} 秒。")
