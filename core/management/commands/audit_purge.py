from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "删除超过保存期（GUITU_AUDIT_RETENTION_DAYS，至少 6 个月）的审计日志，保留签名检查点 / purge old audit rows"

    def handle(self, *args, **options):
        from core.auditchain import ChainBroken, purge, retention_days

        try:
            checkpoint = purge()
        except ChainBroken as exc:
            raise CommandError(f"审计链校验失败，未删除任何记录：{exc}") from exc
        if checkpoint is None:
            self.stdout.write(f"没有超过保存期（{retention_days()} 天）的审计记录。")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"已删除 {checkpoint.rows} 条超过 {retention_days()} 天的审计记录（截至 #{checkpoint.last_id}），"
                "审计链从检查点继续。"
            )
        )
