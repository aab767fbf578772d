"""Background jobs of core (huey: SQLite storage by default, Redis in production)."""

from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="3", minute="10"))
def clear_expired_sessions() -> None:
    """Nightly: drop expired login sessions (shared machines at stations stay clean)."""
    call_command("clearsessions")


@db_periodic_task(crontab(hour="3", minute="20"))
def audit_seal_and_purge() -> None:
    """Nightly: seal the audit chain's head, then purge rows past the retention period (docs/audit.md)."""
    from core.auditchain import purge, seal

    seal()
    purge()
