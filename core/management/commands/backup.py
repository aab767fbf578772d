from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "备份数据库、私密文件和密钥指纹到一个加密文件 / write an encrypted backup archive"

    def add_arguments(self, parser):
        parser.add_argument(
            "output", nargs="?", help="备份文件路径，或目录（自动命名）/ archive path or directory"
        )

    def handle(self, *args, output, **options):
        from django.conf import settings

        from core.backup import BackupError, backup, default_name

        target = Path(output) if output else Path(settings.VAR_DIR) / "backups"
        if not output or output.endswith("/"):
            target.mkdir(parents=True, exist_ok=True, mode=0o700)
        if target.is_dir():
            target = target / default_name()
        try:
            manifest = backup(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成：{target}（{rows} 行数据，{len(manifest['files'])} 个文件，文件密钥指纹 {manifest['keys']['files']}）"
            )
        )
        self.stdout.write("请把备份文件和密钥分开保管：备份不含密钥，恢复时需要同样的密钥。")
