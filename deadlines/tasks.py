"""The periodic deadline scan (huey): snapshot the state, notify new overdue items."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from deadlines.conf import scan_minutes


@db_task()
def deadline_scan() -> int:
    from deadlines.services import snapshot_take

    return snapshot_take().new_items


@db_periodic_task(crontab(minute=f"*/{scan_minutes()}"))
def deadline_scan_periodic() -> int:
    """Every GUITU_DEADLINE_SCAN_MINUTES minutes (15 by default)."""
    from deadlines.services import snapshot_take

    return snapshot_take().new_items
