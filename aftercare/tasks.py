"""Background work of the aftercare app on the huey queue (scheduled from services with transaction.on_commit)."""

from huey.contrib.djhuey import db_task


@db_task()
def shared_match_task(shared_list_id: int) -> int:
    """An imported shared list against everyone with a wandering history in scope (rule A4)."""
    from aftercare import services
    from aftercare.models import SharedList

    shared = SharedList.objects.filter(pk=shared_list_id).first()
    if shared is None:
        return 0
    return services.shared_list_match(shared=shared)
