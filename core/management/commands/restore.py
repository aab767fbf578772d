from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "从加密备份恢复数据库和私密文件（先 migrate；目标库须为空，或加 --flush）/ restore an encrypted backup"

    def add_arguments(self, parser):
        parser.add_argument("archive", help="备份文件 / archive")
        parser.add_argument(
            "--flush", action="store_true", help="清空目标数据库后恢复 / empty the database first"
        )
        parser.add_argument(
            "--ignore-keys",
            action="store_true",
            help="密钥指纹不符也恢复（照片、身份证号可能无法解密）/ restore despite key mismatch",
        )

    def handle(self, *args, archive, flush, ignore_keys, **options):
        from core.backup import BackupError, restore

        try:
            manifest = restore(archive, flush=flush, ignore_keys=ignore_keys)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"恢复完成：{rows} 行数据、{len(manifest['files'])} 个文件已核对一致，审计链完整（备份时间 {manifest['created_at']}）。"
            )
        )
