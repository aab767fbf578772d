from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "加密私密文件目录中尚未加密的文件并收紧权限（文件 0600、目录 0700、SQLite 数据库 0600）/ encrypt files at rest"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只报告，不修改 / report only")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="用第一个密钥重新加密全部文件 / re-encrypt with the first key",
        )

    def handle(self, *args, check, rotate, **options):
        from core.filecrypt import encrypt_tree, key_fingerprint, restrict, sqlite_files

        root = Path(settings.MEDIA_ROOT)
        counts = encrypt_tree(root, rotate=rotate, dry_run=check)
        if not check:
            for path in sqlite_files():
                restrict(path)
        self.stdout.write(f"私密文件目录：{root}（密钥指纹 {key_fingerprint()}）")
        self.stdout.write(
            f"已加密 {counts['encrypted']} 个，未加密 {counts['plain']} 个"
            + ("（--check：未修改）" if check else "，现已全部加密")
            + (f"，重新加密 {counts['rotated']} 个" if rotate else "")
        )
        if counts["failed"]:
            self.stderr.write(f"{counts['failed']} 个文件无法用现有密钥解密，未处理。")
        if check and counts["plain"]:
            raise SystemExit(1)
