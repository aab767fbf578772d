"""Background jobs of the statistics (huey): refresh the summary tables periodically and on demand."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from figures.conf import refresh_minutes


@db_task()
@lock_task("figures-refresh")
def figures_refresh_now(user_id: int | None = None) -> int:
    """On demand (the 立即刷新 button): an incremental refresh; returns the run's id."""
    from core.models import User
    from figures.models import RefreshTrigger
    from figures.refresh import refresh

    by = User.objects.filter(pk=user_id).first() if user_id else None
    return refresh(trigger=RefreshTrigger.ON_DEMAND, by=by).pk


@db_periodic_task(crontab(minute=f"*/{refresh_minutes()}"))
@lock_task("figures-refresh")
def figures_refresh_periodic() -> int:
    """Every GUITU_FIGURES_REFRESH_MINUTES minutes (30 by default): an incremental refresh."""
    from figures.models import RefreshTrigger
    from figures.refresh import refresh

    return refresh(trigger=RefreshTrigger.PERIODIC).pk


@db_periodic_task(crontab(hour="2", minute="40"))
@lock_task("figures-refresh")
def figures_rebuild_nightly() -> int:
    """Nightly: a full rebuild, so nothing an incremental run could miss stays wrong for more than a day."""
    from figures.models import RefreshTrigger
    from figures.refresh import refresh

    return refresh(trigger=RefreshTrigger.PERIODIC, full=True).pk
