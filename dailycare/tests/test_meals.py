"""Rule C2: three meals a day per zone, each meal's sample kept for its period and disposed of after it; the
"六个一" basic services recorded per person at admission."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import AuditAction, AuditEntry
from dailycare import services
from dailycare.models import BasicService, BasicServiceCheck, MealRecord, MealSample
from dailycare.selectors import episode_panel, episode_todo
from deadlines.registry import BUCKET_OVERDUE, BUCKET_SOON, BUCKET_TODAY
from deadlines.tests.conftest import bucket_of, local
from stay import services as stay
from stay.tests.factories import admitted_episode, station_beds

pytestmark = pytest.mark.django_db


def _meal(cast, zone, **kw):
    data = {"served_on": timezone.localdate(), "meal": "lunch", "menu": "米饭、红烧豆腐、青菜",
            "headcount": 4, "served_at": timezone.now() - datetime.timedelta(minutes=10), **kw}
    return services.meal_record(by=cast.carer, zone=zone, **data)


def test_c2_a_meal_is_recorded_with_its_sample_kept_48_hours(cast):
    zones = station_beds(cast)
    record = _meal(cast, zones.men, sample_items="米饭、豆腐、青菜", storage="留样冰箱")
    sample = record.sample
    assert sample.kept_by == cast.carer and sample.items == "米饭、豆腐、青菜"
    assert sample.keep_until - sample.kept_at == datetime.timedelta(hours=48)
    created = AuditEntry.objects.filter(action=AuditAction.CREATE, object_type__in=["dailycare.MealRecord",
                                                                                     "dailycare.MealSample"])
    assert created.count() == 2 and created.first().organisation == cast.station


def test_c2_the_kept_period_is_a_local_setting(cast, settings):
    settings.GUITU_RULES = {**settings.GUITU_RULES, "C2_SAMPLE_KEEP_HOURS": 72}
    record = _meal(cast, station_beds(cast).men)
    assert record.sample.keep_until - record.sample.kept_at == datetime.timedelta(hours=72)


def test_c2_a_future_dated_meal_is_refused_in_chinese_and_nothing_is_saved(cast):
    zones = station_beds(cast)
    with pytest.raises(ValidationError) as exc:
        _meal(cast, zones.men, served_on=timezone.localdate() + datetime.timedelta(days=1))
    assert "不能晚于今天" in exc.value.message_dict["served_on"][0]
    with pytest.raises(ValidationError) as exc:
        _meal(cast, zones.men, served_at=timezone.now() + datetime.timedelta(hours=2))
    assert "不能晚于当前时间" in exc.value.message_dict["served_at"][0]
    assert not MealRecord.objects.exists() and not MealSample.objects.exists()


def test_c2_the_same_meal_of_a_zone_and_day_is_recorded_once(cast):
    zones = station_beds(cast)
    first = _meal(cast, zones.men)
    with pytest.raises(ValidationError) as exc:
        _meal(cast, zones.men, menu="另一份菜谱")
    assert "已登记，不能重复登记" in exc.value.message_dict["meal"][0]
    _meal(cast, zones.women)  # another zone, the same meal: fine
    # the database refuses it too (two carers saving at the same moment)
    with pytest.raises(IntegrityError), transaction.atomic():
        MealRecord.objects.create(zone=zones.men, served_on=first.served_on, meal="lunch", served_at=first.served_at,
                                  menu="x", headcount=1, recorded_by=cast.carer)
    assert MealRecord.objects.count() == 2


def test_c2_a_sample_is_not_disposed_of_before_its_kept_period_ends(cast):
    record = _meal(cast, station_beds(cast).men)
    sample = record.sample
    with pytest.raises(ValidationError) as exc:
        services.sample_dispose(by=cast.carer, sample=sample)
    assert "期满前不能销毁" in exc.value.message_dict["disposed_at"][0]
    sample.refresh_from_db()
    assert sample.disposed_at is None
    # the database refuses an early disposal too
    with pytest.raises(IntegrityError), transaction.atomic():
        MealSample.objects.filter(pk=sample.pk).update(disposed_at=sample.kept_at, disposed_by=cast.carer)


def test_c2_a_sample_is_disposed_of_after_its_period_with_who_and_when(cast):
    sample = _meal(cast, station_beds(cast).men).sample
    with time_machine.travel(sample.keep_until + datetime.timedelta(hours=1), tick=False):
        services.sample_dispose(by=cast.head, sample=sample, note="期满销毁")
        with pytest.raises(ValidationError, match="已销毁"):
            services.sample_dispose(by=cast.head, sample=sample)
    sample.refresh_from_db()
    assert sample.disposed_by == cast.head and sample.disposal_note == "期满销毁"
    entry = AuditEntry.objects.get(object_type="dailycare.MealSample", action=AuditAction.UPDATE)
    assert entry.changes["disposed_by"][0] is None and entry.changes["disposal_note"] == ["", "期满销毁"]


def test_c2m_an_occupied_zone_owes_three_meals_a_day_and_an_empty_zone_none(cast):
    start = local(2026, 3, 2, 17)  # in the evening: the first day asks for nothing (the engine's entry grace)
    with time_machine.travel(start, tick=False):
        zones = station_beds(cast)
        episode = admitted_episode(cast, at=start)
        stay.bed_assign(by=cast.reception, episode=episode, bed=zones.m1, at=start)
    with time_machine.travel(local(2026, 3, 3, 8), tick=False):
        services.meal_record(by=cast.carer, zone=zones.men, served_on=datetime.date(2026, 3, 3), meal="breakfast",
                             menu="粥、馒头、鸡蛋", headcount=1)
    # the men's zone had no meal on 3 March after lunch → the day is overdue on the 4th; the women's zone is empty
    assert bucket_of("C2M", zones.men, local(2026, 3, 3, 20)) == BUCKET_TODAY
    assert bucket_of("C2M", zones.men, local(2026, 3, 4, 9)) == BUCKET_OVERDUE
    assert bucket_of("C2M", zones.women, local(2026, 3, 4, 9)) is None
    for meal, hour in (("lunch", 11), ("dinner", 17)):
        with time_machine.travel(local(2026, 3, 3, hour, 30), tick=False):
            services.meal_record(by=cast.carer, zone=zones.men, served_on=datetime.date(2026, 3, 3), meal=meal,
                                 menu="米饭、青菜", headcount=1)
    assert bucket_of("C2M", zones.men, local(2026, 3, 4, 9)) != BUCKET_OVERDUE


def test_c2s_a_sample_is_due_for_disposal_after_its_period_and_met_by_the_disposal(cast):
    with time_machine.travel(local(2026, 3, 2, 12), tick=False):
        sample = _meal(cast, station_beds(cast).men).sample
    assert bucket_of("C2S", sample, local(2026, 3, 3, 13)) == BUCKET_SOON  # kept, disposal due on 5 March
    assert bucket_of("C2S", sample, local(2026, 3, 5, 11)) == BUCKET_TODAY
    assert bucket_of("C2S", sample, local(2026, 3, 5, 13)) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 3, 4, 13), tick=False):
        services.sample_dispose(by=cast.carer, sample=sample)
    assert bucket_of("C2S", sample, local(2026, 3, 5, 13)) is None


def test_c2_the_six_basic_services_are_data_and_recorded_once_each_with_who_and_when(cast):
    items = list(BasicService.objects.filter(is_active=True))
    assert [i.name for i in items][:2] == ["洗一次热水澡", "理一次发"] and len(items) == 6
    episode = admitted_episode(cast)
    assert episode_todo(episode=episode, user=cast.carer)[0]["rule"] == "C2"
    services.basic_services_record(by=cast.carer, episode=episode, outcomes={items[0]: "done", items[1]: "declined"})
    with pytest.raises(ValidationError, match="已登记"):
        services.basic_services_record(by=cast.carer, episode=episode, outcomes={items[0]: "done"})
    checks = BasicServiceCheck.objects.filter(episode=episode)
    assert checks.count() == 2 and {c.done_by for c in checks} == {cast.carer}
    panel = episode_panel(episode=episode, user=cast.carer)
    assert panel["missing"] == 4 and panel["can_care"]
    services.basic_services_record(by=cast.carer, episode=episode, outcomes={i: "done" for i in items[2:]})
    assert not [t for t in episode_todo(episode=episode, user=cast.carer) if t["key"] == "dailycare:basic"]


def test_c2_basic_services_are_not_dated_in_the_future_or_before_the_request(cast):
    episode = admitted_episode(cast)
    item = BasicService.objects.first()
    with pytest.raises(ValidationError, match="不能晚于当前时间"):
        services.basic_services_record(by=cast.carer, episode=episode, outcomes={item: "done"},
                                       done_at=timezone.now() + datetime.timedelta(hours=1))
    with pytest.raises(ValidationError, match="不能早于求助时间"):
        services.basic_services_record(by=cast.carer, episode=episode, outcomes={item: "done"},
                                       done_at=episode.requested_at - datetime.timedelta(hours=1))
    assert not BasicServiceCheck.objects.exists()
