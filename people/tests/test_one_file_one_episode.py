"""Hole 5 (issue 8): one open episode per person and one live file per ID number are database rules.

Constraint tests run on SQLite and PostgreSQL; the race tests use real threads on PostgreSQL, where
simultaneous registrations used to open 3–4 episodes and six files with one ID number.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from people.models import Episode, Person
from people.services import (
    episode_close,
    episode_open,
    person_create,
    person_merge,
    person_unmerge,
)
from people.tests.conftest import VALID_ID

pytestmark = pytest.mark.django_db


def _raw_episode(person, station, user, number, status="requested"):
    return Episode.objects.create(number=number, person=person, station=station, channel="walk_in",
                                  requested_at=timezone.now(), created_by=user, status=status)


def test_hole5_the_database_refuses_a_second_open_episode_for_one_person(cast, person):
    _raw_episode(person, cast.station, cast.reception, "T-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_episode(person, cast.other_station, cast.outsider, "T-2", status="in_station")
    # closed episodes do not count: history may hold many
    _raw_episode(person, cast.station, cast.reception, "T-3", status="left")
    _raw_episode(person, cast.station, cast.reception, "T-4", status="refused")
    assert Episode.objects.filter(person=person).count() == 3


def test_hole5_a_new_episode_opens_once_the_previous_one_closed(cast, person):
    first = episode_open(by=cast.reception, person=person, station=cast.station, channel="walk_in")
    with pytest.raises(ValidationError, match="尚有未结束的救助过程"):
        episode_open(by=cast.reception, person=person, station=cast.station, channel="walk_in")
    episode_close(by=cast.reception, episode=first, to="refused", note="不符合条件")
    second = episode_open(by=cast.reception, person=person, station=cast.station, channel="walk_in")
    assert second.status == "requested"


def test_hole5_the_database_refuses_a_second_live_file_with_one_id_number(cast, person):
    twin = Person.objects.create(name="张三", file_no="X-1", registered_by=cast.other_station)
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.filter(pk=twin.pk).update(id_number_hash=person.id_number_hash)
    # files without a number are many; a merged file keeps its number but is not live
    Person.objects.create(name="李四", file_no="X-2", registered_by=cast.station)
    Person.objects.filter(pk=twin.pk).update(merged_into=person, id_number_hash=person.id_number_hash)
    assert Person.objects.filter(id_number_hash=person.id_number_hash).count() == 2


def test_hole5_a_second_file_with_a_known_number_points_to_the_first_in_scope(cast, person):
    with pytest.raises(ValidationError) as caught:
        person_create(by=cast.head, station=cast.station, data={"name": "张三"}, id_number=VALID_ID)
    message = caught.value.message_dict["id_number"][0]
    assert person.file_no in message and "请在查重结果中选择该档案" in message
    assert Person.objects.count() == 1


def test_hole5_out_of_scope_the_pointer_names_only_the_station_and_a_masked_name(cast, person):
    with pytest.raises(ValidationError) as caught:
        person_create(by=cast.outsider, station=cast.other_station, data={"name": "张三"}, id_number=VALID_ID)
    message = caught.value.message_dict["id_number"][0]
    assert "英德市救助管理站" in message and "张*" in message
    assert person.file_no not in message and "张三" not in message
    assert Person.objects.count() == 1


def test_hole5_editing_a_file_to_a_number_already_on_file_is_refused(cast, person):
    from people.services import person_update

    other = person_create(by=cast.reception, station=cast.station, data={"name": "张三"})
    with pytest.raises(ValidationError, match=person.file_no):
        person_update(by=cast.reception, person=other, data={}, id_number=VALID_ID)
    other.refresh_from_db()
    assert other.id_number_hash == ""


def test_hole5_unmerging_two_files_with_one_number_is_refused(cast, person):
    twin = person_create(by=cast.reception, station=cast.station, data={"name": "张三"})
    person_merge(by=cast.head, keep=person, merge=twin)
    Person.objects.filter(pk=twin.pk).update(id_number_hash=person.id_number_hash)
    with pytest.raises(ValidationError, match="身份证号相同"):
        person_unmerge(by=cast.head, merge=twin)
    twin.refresh_from_db()
    assert twin.merged_into_id == person.pk


def _race(n, work):
    """Run ``work(i)`` in ``n`` threads released at once; return the results (value or exception)."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each request got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_hole5_four_simultaneous_registrations_of_one_person_open_one_episode(cast):
    from intake.tests.conftest import register

    person = person_create(by=cast.reception, station=cast.station, data={"name": "张三"})
    results = _race(4, lambda i: register(cast, person=person))
    won = [r for r in results if isinstance(r, Episode)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(lost) == 3, results
    assert all("尚有未结束的救助过程" in e.messages[0] for e in lost)
    assert Episode.objects.filter(person=person).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_hole5_simultaneous_files_with_one_id_number_leave_one_file(cast):
    results = _race(4, lambda i: person_create(by=cast.reception, station=cast.station,
                                               data={"name": "张三"}, id_number=VALID_ID))
    won = [r for r in results if isinstance(r, Person)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(lost) == 3, results
    assert all(won[0].file_no in e.message_dict["id_number"][0] for e in lost)
    assert Person.objects.count() == 1
