"""Background jobs of core (huey: SQLite storage by default, Redis in production)."""

from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task


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


@db_periodic_task(crontab(hour="3", minute="5"))
def audit_partitions_ahead() -> None:
    """Daily: the audit table's monthly partitions for this month and the next months (PostgreSQL; issue 9)."""
    from core.auditpartitions import ensure

    ensure()


@HUEY.on_startup()
def refuse_wrong_keys() -> None:
    """The worker stops, like the web server, when a key is missing or does not match the database."""
    import logging
    import os

    from django.core.exceptions import ImproperlyConfigured

    from core.keycheck import verify_keys_or_stop

    try:
        verify_keys_or_stop()
    except ImproperlyConfigured as exc:
        logging.getLogger("guitu.security").critical("任务队列拒绝启动 / worker refuses to start: %s", exc)
        os._exit(78)  # EX_CONFIG: a hook's exception would only be logged, and tasks would run with wrong keys
