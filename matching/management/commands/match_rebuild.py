"""manage.py match_rebuild — retrain the matching model and rebuild the online indexes under VAR_DIR/matching."""

from django.core.management.base import BaseCommand

from matching import engine


class Command(BaseCommand):
    help = "重新训练比对模型并重建索引（保存在 VAR_DIR/matching）/ retrain the model and rebuild the indexes"

    def add_arguments(self, parser):
        parser.add_argument("--keep-model", action="store_true", help="保留现有模型，只重建索引 / keep the model")
        parser.add_argument("--compare", action="store_true",
                            help="重建后比对全部在站人员与走失报案 / then compare everything")

    def handle(self, *args, **options):
        summary = engine.rebuild(retrain=not options["keep_model"])
        self.stdout.write(
            f"模型：{'已训练' if summary['trained'] else '数据较少，使用先验参数'}，阈值 {summary['threshold']}；"
            f"在站人员 {summary['in_care']} 条，寻找中的报案 {summary['reports']} 条，档案 {summary['files']} 条；"
            f"目录 {engine.engine_dir()}")
        if options["compare"]:
            from matching import services

            counts = services.run_all(by=None)
            self.stdout.write(f"已比对报案 {counts['reports']} 条、人员 {counts['people']} 人。")
