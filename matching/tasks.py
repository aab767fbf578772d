"""Background comparisons on the huey queue (scheduled from services with transaction.on_commit)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def report_query_task(report_id: int) -> int:
    """A new or changed report against everyone in care (rule T7)."""
    from matching import services
    from matching.models import MissingReport

    report = MissingReport.objects.filter(pk=report_id).first()
    if report is None:
        return 0
    return len(services.run_report_query(by=None, report=report))


@db_task()
def person_query_task(person_id: int) -> int:
    """A person against open reports and earlier files (rules T7, I4)."""
    from matching import services
    from people.models import Person

    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        return 0
    return len(services.run_person_query(by=None, person=person))


@db_periodic_task(crontab(minute="*/10"))
def compare_new_people() -> int:
    """Every 10 minutes: unidentified people newly in care that the engine has not seen yet (I4, T7)."""
    from matching import services

    people = services.people_never_compared()
    for person in people:
        services.run_person_query(by=None, person=person)
    return len(people)


@db_periodic_task(crontab(hour="2", minute="30"))
def nightly_rematch() -> dict:
    """Nightly: rebuild the model and indexes, then compare everything again (rules T7, I4)."""
    from matching import engine, services

    engine.rebuild(retrain=True)
    return services.run_all(by=None)
