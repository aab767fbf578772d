"""The demo city's daily care (issue 11, rules C2, I8, N10, N11), all through dailycare.services: three meals a
day with kept samples in every occupied zone of the city and 英德 stations over the last days (one meal missing
yesterday, samples past their period disposed of but one), the "六个一" services of the people in care, a
one-person-one-plan for each minor in care (reviews, temporary guardianship, a guardianship assessment), care
plans for the elderly, disabled, mentally ill and pregnant, and a domestic-violence shelter with its report."""

from __future__ import annotations

import datetime

from core.models import Organisation, User
from dailycare import services
from dailycare.models import GROUP_FLAGS, BasicService, MealRecord
from dailycare.services import DEFAULT_TIMES
from people.models import Episode
from people.states import IN_CARE

D = datetime.timedelta(days=1)
MENUS = {
    "breakfast": ("白粥、馒头、鸡蛋、咸菜", "米粉、豆浆、鸡蛋", "瘦肉粥、包子"),
    "lunch": ("米饭、红烧豆腐、炒青菜、紫菜蛋汤", "米饭、土豆炖肉、炒白菜、冬瓜汤", "米饭、番茄炒蛋、蒸鱼、青菜"),
    "dinner": ("米饭、肉末茄子、炒菜心、萝卜汤", "面条、青菜、卤蛋", "米饭、香菇鸡、炒豆角、青菜汤"),
}


def _occupied_zones(station: Organisation):
    from stay.models import BedAssignment, Zone

    held = BedAssignment.objects.filter(released_at__isnull=True, bed__zone__station=station)
    return Zone.objects.filter(station=station, is_active=True, pk__in=held.values("bed__zone_id")).order_by("name")


def _in_care(station: Organisation):
    return (Episode.objects.filter(station=station, status__in=IN_CARE, admitted_at__isnull=False)
            .select_related("person", "station").order_by("admitted_at"))


def _when(episode: Episode, now: datetime.datetime, hours: float) -> datetime.datetime:
    return min(episode.admitted_at + datetime.timedelta(hours=hours), now - datetime.timedelta(minutes=5))


def seed_dailycare(orgs: dict[str, Organisation], staff: dict[str, User], now: datetime.datetime, *,
                   stdout=None) -> int:
    from django.utils import timezone

    from guitu.demo import _do

    if MealRecord.objects.exists():
        return 0
    carers = {"city": staff["zhaoliao"], "yd": staff["yd_zhanzhang"]}
    receptions = {"city": staff["jiedai"], "yd": staff["yd_jiedai"]}
    today = timezone.localtime(now).date()
    meals = 0
    for key in ("city", "yd"):
        station, carer = orgs[key], carers[key]
        for z_index, zone in enumerate(_occupied_zones(station)):
            for back in range(4, -1, -1):
                day = today - back * D
                for m_index, (meal, at) in enumerate(DEFAULT_TIMES.items()):
                    served_at = timezone.make_aware(datetime.datetime.combine(day, at))
                    if served_at > now - datetime.timedelta(minutes=30):
                        continue
                    if back == 1 and z_index == 0 and meal == "dinner" and key == "yd":
                        continue  # a meal missing yesterday: rule C2M shows it in the carer's inbox
                    record = _do(served_at, services.meal_record, by=carer, zone=zone, served_on=day, meal=meal,
                                 menu=MENUS[meal][(back + z_index) % 3], headcount=max(1, 3 + z_index - m_index),
                                 served_at=served_at, storage="留样冰箱（0–8℃）")
                    meals += 1
                    sample = record.sample
                    disposal = sample.keep_until + datetime.timedelta(hours=2)
                    if disposal < now and not (back == 2 and meal == "dinner" and z_index == 0):
                        _do(disposal, services.sample_dispose, by=carer, sample=sample, note="留样期满，按规定销毁")
        items = list(BasicService.objects.filter(is_active=True))
        for index, episode in enumerate(_in_care(station)[:40]):
            chosen = items if index % 4 else items[:4]  # every fourth person still misses two items
            outcomes = {item: ("declined" if item.code == "haircut" and index % 7 == 3 else "done") for item in chosen}
            at = _when(episode, now, 2)
            _do(at, services.basic_services_record, by=carer, episode=episode, outcomes=outcomes, done_at=at)
        _seed_special_groups(orgs, key, carer, receptions[key], now)
    if stdout:
        stdout.write(f"  日常照料：三餐 {meals} 餐（含留样）、“六个一”、一人一策、照料方案、家暴临时庇护")
    return meals


def _seed_special_groups(orgs, key: str, carer: User, reception: User, now: datetime.datetime) -> None:
    from guitu.demo import _do
    from stay.models import BedAssignment

    station = orgs[key]
    department = station.supervisor
    for index, episode in enumerate(ep for ep in _in_care(station) if services.is_minor(ep)):
        at = _when(episode, now, 20)
        plan = _do(at, services.minor_plan_create, by=carer, episode=episode,
                   assessment="与家人走散，身体状况良好，情绪紧张；有离家出走史，需防走失。",
                   plan="安排在未成年人区，专人照料；每日心理疏导；协助公安查询身份、联系家人；返家前评估家庭监护情况。",
                   responsible=carer)
        _do(at, services.temporary_guardianship_record, by=carer, plan=plan, department=department,
            started_at=episode.admitted_at)
        review_at = at + 6 * D
        while review_at < now - D:
            _do(review_at, services.plan_review_add, by=carer, plan=plan, findings="情绪稳定，饮食睡眠正常，配合寻亲。")
            review_at += 6 * D
        if index % 2 == 0 and at + D < now:
            _do(at + D, services.guardianship_assess, by=carer, plan=plan, guardian_name="家长", relationship="父亲",
                method="委托户籍地民政部门入户走访", findings="父母在家务农，有固定住所，愿意接回并加强看护。",
                conclusion="support", support_measures="户籍地乡镇纳入回访，村委会协助看护")
    for episode in _in_care(station):
        groups = [g for g, flag in GROUP_FLAGS.items() if getattr(episode.person, flag)]
        bed = BedAssignment.objects.filter(episode=episode, released_at__isnull=True).select_related("bed__zone").first()
        if not groups or bed is None:
            continue
        at = _when(episode, now, 6)
        for group in groups[:1]:
            _do(at, services.care_plan_create, by=carer, episode=episode, group=group, zone=bed.bed.zone,
                needs={"elderly": "年老体弱，行动迟缓", "disabled": "肢体残疾，需协助如厕", "mental": "疑似精神障碍，情绪不稳",
                       "pregnant": "孕中期，需定期产检"}[group],
                measures={"elderly": "安排下铺，每日巡视两次，软食", "disabled": "专人协助起居，配备助行器",
                          "mental": "医护人员每日观察，按时服药，防走失", "pregnant": "女性工作人员照料，联系定点医院产检"}[group],
                responsible=carer)
    women = [ep for ep in _in_care(station) if ep.person.sex == "女" and not services.is_minor(ep)]
    if women:
        victim = women[0]
        at = _when(victim, now, 1)
        shelter = _do(at, services.dv_shelter_open, by=reception, episode=victim, abuser_relationship="丈夫",
                      circumstances="自述长期遭受丈夫殴打，昨夜被赶出家门，无处可去。", injuries="手臂、背部多处淤青",
                      safety_measures="不向施暴人透露住处；安排女性工作人员陪护", sheltered_at=at)
        if key == "city":
            _do(at + datetime.timedelta(hours=2), services.dv_report_add, by=reception, shelter=shelter,
                reported_to="police", recipient="清城分局凤城派出所 值班民警", how="电话并书面报告",
                content="报告受助人员遭受家庭暴力情况，请依法处置。", reference="QC-JQ-0001",
                reported_at=min(at + datetime.timedelta(hours=2), now - datetime.timedelta(minutes=1)))
