"""The demo city's people: a few hundred believable files in every state, written through the apps'
services (so the demo also exercises validation, audit and the state machine).

Run by ``manage.py demo_seed`` (``make demo``); idempotent: it does nothing when people exist.
"""

import datetime
import io
import random
import time
from dataclasses import dataclass

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from core.demo import seed_organisations, seed_users
from core.demo_names import DIALECTS, MARKS, id_number, person_name, weighted_province
from core.models import Division, Organisation, User
from guitu.demo_oversight import demo_witnesses, seed_panels
from intake import services as intake
from intake.models import Decision, HealthOutcome, Reason, Subsistence
from leaving import services as leaving
from leaving.models import ExitType, HandoverTo, TravelMode
from leaving.services import E3_HANDOVERS
from people.models import Channel, IdentityStatus, Person
from people.states import EpisodeStatus
from stay import services as stay
from stay.models import Bed, PlacementKind, SexRestriction, ZoneCategory

FOUND_PLACES = ("清远火车站广场", "北江大桥桥洞下", "人民一路地下通道", "清城区汽车客运站", "英德市人民医院门口",
                "连州市中山南路天桥下", "佛冈县城汽车站", "清远市第一中学附近公园", "新城凤翔大道公交站",
                "英德市火车站候车室")
HOME_TOWNS = {"44": "广东", "43": "湖南", "45": "广西", "51": "四川", "41": "河南", "36": "江西", "52": "贵州",
              "42": "湖北", "35": "福建", "50": "重庆"}


@dataclass
class Ctx:
    rng: random.Random
    orgs: dict[str, Organisation]
    staff: dict[str, User]
    counties: dict[str, list[Division]]
    now: datetime.datetime


def seed(*, people: int = 320, seed_value: int = 20261122, stdout=None) -> int:
    """Create the demo city; returns the number of people created (0 when already seeded)."""
    orgs = seed_organisations()
    seed_users(orgs)
    if Person.objects.exists():
        return 0
    rng = random.Random(seed_value)
    staff = {u.username: u for u in User.objects.filter(organisation__in=orgs.values())}
    counties: dict[str, list[Division]] = {}
    for d in Division.objects.filter(level="county").only("code", "name", "full_name"):
        counties.setdefault(d.code[:2], []).append(d)
    started = time.monotonic()
    ctx = Ctx(rng, orgs, staff, counties, timezone.now())
    _seed_zones(ctx)
    seed_panels(orgs, staff, ctx.now, stdout=stdout)
    from guitu.demo_outsidecare import seed_agreements

    seed_agreements(ctx)  # rule C5: outside care only under an agreement, so before anyone is placed
    created = 0
    for i in range(people):
        with transaction.atomic():
            _one_person(ctx, i)
        created += 1
        if stdout and created % 50 == 0:
            stdout.write(f"  已生成 {created} 人")
    _repeat_requesters(ctx)
    if stdout:
        stdout.write(f"  人员已生成（{time.monotonic() - started:.0f} 秒），开始生成寻亲数据…")
    from guitu.demo_tracing import seed_tracing

    seed_tracing(ctx, stdout=stdout)
    if stdout:
        stdout.write(f"  寻亲数据已生成（共 {time.monotonic() - started:.0f} 秒）")
    from aftercare.demo import seed_aftercare
    from network.demo import seed_network_demo
    from outreach.demo import seed_outreach

    seed_aftercare(ctx, stdout=stdout)
    seed_outreach(ctx, stdout=stdout)
    seed_network_demo(ctx, stdout=stdout)
    from guitu.demo_oversight import seed_oversight

    seed_oversight(orgs, staff, ctx.now, stdout=stdout)
    from guitu.demo_incidents import seed_incidents

    seed_incidents(orgs, staff, ctx.now, stdout=stdout)
    from guitu.demo_staff import seed_staff

    seed_staff(orgs, staff, ctx.now, stdout=stdout)
    from guitu.demo_settlement import seed_settlement

    seed_settlement(orgs, staff, ctx.now, stdout=stdout)
    from guitu.demo_outsidecare import seed_outsidecare

    seed_outsidecare(ctx, stdout=stdout)
    from guitu.demo_regional import seed_regional

    seed_regional(orgs, staff, ctx.now, stdout=stdout)
    from guitu.demo_campaign import seed_campaign

    seed_campaign(orgs, staff, ctx.now, stdout=stdout)
    from guitu.demo_dailycare import seed_dailycare

    seed_dailycare(orgs, staff, ctx.now, stdout=stdout)
    from guitu.demo_figures import seed_figures

    seed_figures(orgs, staff, ctx.now, stdout=stdout)  # last: the summary tables count everything seeded above
    return created


def _do(when: datetime.datetime, service, **kwargs):
    """Call a service as if it were ``at``, so created-at times, audit entries and the timeline read true."""
    with time_machine.travel(when, tick=False):
        return service(**kwargs)


def _seed_zones(ctx: Ctx) -> None:
    head = ctx.staff["zhanzhang"]
    layout = {"city": [("男区", ZoneCategory.MEN, SexRestriction.MALE, 24), ("女区", ZoneCategory.WOMEN,
                                                                               SexRestriction.FEMALE, 12),
                       ("未成年人区", ZoneCategory.MINORS, SexRestriction.ANY, 8),
                       ("老年区", ZoneCategory.ELDERLY, SexRestriction.ANY, 10),
                       ("医疗观察区", ZoneCategory.MEDICAL, SexRestriction.ANY, 6)],
              "yd": [("男区", ZoneCategory.MEN, SexRestriction.MALE, 10), ("女区", ZoneCategory.WOMEN,
                                                                            SexRestriction.FEMALE, 6)],
              "lz": [("男区", ZoneCategory.MEN, SexRestriction.MALE, 8), ("女区", ZoneCategory.WOMEN,
                                                                           SexRestriction.FEMALE, 4)],
              "fg": [("男区", ZoneCategory.MEN, SexRestriction.MALE, 8), ("女区", ZoneCategory.WOMEN,
                                                                           SexRestriction.FEMALE, 4)]}
    for key, zones in layout.items():
        station = ctx.orgs[key]
        by = head if key == "city" else _station_user(ctx, station)
        for name, category, restriction, beds in zones:
            opened = ctx.now - datetime.timedelta(days=600)
            zone = _do(opened, stay.zone_create, by=by, station=station, name=name, category=category,
                       sex_restriction=restriction)
            prefix = {"男区": "M", "女区": "F", "未成年人区": "C", "老年区": "E", "医疗观察区": "H"}[name]
            _do(opened, stay.beds_create, by=by, zone=zone, codes=[f"{prefix}{n:02d}" for n in range(1, beds + 1)])


def _station_user(ctx: Ctx, station: Organisation) -> User:
    for username in ("jiedai", "yd_jiedai", "lz_jiedai", "fg_jiedai"):
        if ctx.staff[username].organisation_id == station.pk:
            return ctx.staff[username]
    raise LookupError(station.name)


def _pick_state(rng: random.Random) -> str:
    roll = rng.random()
    for state, share in ((EpisodeStatus.LEFT, 0.55), (EpisodeStatus.IN_STATION, 0.16),
                         (EpisodeStatus.IN_HOSPITAL, 0.05), (EpisodeStatus.OUTSIDE_CARE, 0.06),
                         (EpisodeStatus.ADMITTED, 0.03), (EpisodeStatus.REQUESTED, 0.04),
                         (EpisodeStatus.REFUSED, 0.07), (EpisodeStatus.TERMINATED, 0.04)):
        if roll < share:
            return state
        roll -= share
    return EpisodeStatus.LEFT


def _one_person(ctx: Ctx, index: int) -> None:
    rng = ctx.rng
    station = rng.choices([ctx.orgs[k] for k in ("city", "yd", "lz", "fg")], weights=[50, 20, 15, 15])[0]
    by = _station_user(ctx, station)
    state = _pick_state(rng)
    open_state = state not in (EpisodeStatus.LEFT, EpisodeStatus.REFUSED, EpisodeStatus.TERMINATED)
    # Open episodes are recent (a few stranded for months); closed ones spread over 18 months.
    if open_state:
        days_ago = rng.choice([rng.uniform(0.1, 9), rng.uniform(0.1, 30), rng.uniform(10, 130)])
        if state in (EpisodeStatus.REQUESTED,):
            days_ago = rng.uniform(0.02, 0.8)
    else:
        days_ago = rng.uniform(3, 540)
    requested_at = ctx.now - datetime.timedelta(days=days_ago)
    sex = "男" if rng.random() < 0.78 else "女"
    identified = rng.random() < (0.45 if open_state else 0.8)
    age = int(rng.triangular(8, 88, 52))
    birth = (requested_at - datetime.timedelta(days=age * 365.25 + rng.uniform(0, 360))).date()
    province = weighted_province(rng)
    county = rng.choice(ctx.counties[province])
    channel = rng.choices(Channel.values[:5], weights=[35, 15, 25, 10, 15])[0]
    person_data = {
        "sex": sex, "dialect": rng.choice(DIALECTS), "height_cm": rng.randint(148, 182) if sex == "男" else
        rng.randint(142, 168), "marks": rng.choice(MARKS), "has_disability": rng.random() < 0.08,
        "has_mental_disorder": rng.random() < 0.12, "is_minor": age < 18, "is_elderly": age >= 60,
    }
    id_no = ""
    if identified:
        person_data.update(name=person_name(rng, sex), birth_date=birth, hukou_division=county,
                           hukou_text=f"{county.full_name}{rng.choice('东西南北')}{rng.choice('山河田林石')}村",
                           ethnicity="汉族", identity_status=IdentityStatus.IDENTIFIED)
        id_no = id_number(rng, county.code, birth, sex)
    else:
        person_data.update(age_min=max(0, age - 5), age_max=age + 5, hukou_text=f"自称{HOME_TOWNS[province]}人"
                           if rng.random() < 0.5 else "", identity_status=IdentityStatus.UNIDENTIFIED)
    person_data["has_mental_disorder"] = person_data["has_mental_disorder"] or not identified and rng.random() < 0.3
    unable = not identified or age < 16 or age >= 60
    answers = {
        "residence": "无固定住所", "subsistence": Subsistence.NONE if identified else Subsistence.UNKNOWN,
        "reason": rng.choice([Reason.NO_WORK, Reason.ROBBED, Reason.FAMILY_CONFLICT, Reason.ILLNESS,
                              Reason.VAGRANCY, Reason.STRANDED, Reason.MENTAL]),
        "vagrancy_duration": rng.choice(["3天", "约一周", "一个多月", "半年", "多年", "不详"]),
        "cannot_pay": True, "no_relatives": True, "not_on_subsistence": True, "living_by_vagrancy": True,
        "decision": Decision.HELP_FIRST if unable else Decision.ELIGIBLE,
        "unable_to_answer": not identified, "fingerprint_taken": True, "photo_taken": True,
    }
    if state == EpisodeStatus.REFUSED:
        answers.update(decision=Decision.NOT_ELIGIBLE, decision_note="有固定收入和住所，拒绝提供真实身份信息",
                       unable_to_answer=False)
    if channel == Channel.PHONE:
        answers.update(recording_ref=f"LY{requested_at:%Y%m%d}{index:04d}", caller="求助人本人")
    episode = _do(requested_at, intake.intake_register, by=by, station=station, channel=channel,
                  requested_at=requested_at,
                                     person_data=person_data, id_number=id_no,
                                     use_provisional_name=not identified, answers=answers)
    if state == EpisodeStatus.REFUSED:
        t = requested_at + datetime.timedelta(minutes=40)
        _do(t, intake.intake_refuse, by=by, episode=episode, reason="拒不如实提供个人情况，经甄别不符合救助条件", at=t)
        return
    if state == EpisodeStatus.REQUESTED:
        return
    t = requested_at + datetime.timedelta(minutes=rng.randint(5, 25))
    if channel in (Channel.POLICE, Channel.CHENGGUAN):
        escort = ctx.orgs["police"] if channel == Channel.POLICE else ctx.orgs["chengguan"]
        _do(t, intake.handover_add, by=by, episode=episode, data={
            "escort_org": escort, "officers": rng.choice(["刘海涛（警号041235）", "陈伟（警号041877）、黄明"]),
            "handed_over_at": t, "found_place": rng.choice(FOUND_PLACES),
            "found_how": "群众报警称有人露宿街头，民警到场后劝导送站", "condition": "神志清楚，身体虚弱",
            "belongings_text": "编织袋一个"})
    items = []
    if rng.random() < 0.04:
        items = [{"kind": "knife", "description": "弹簧刀一把", "reported_to": ctx.orgs["police"],
                  "reported_at": t + datetime.timedelta(minutes=5), "handling": "移交清城分局民警处理"}]
    _do(t, intake.safety_check_add, by=by, episode=episode, checked_at=t, note="逢进必检，未见异常" if not items else "",
                            items=items)
    for item in rng.sample(["手机", "身份证", "衣物", "现金", "编织袋", "药品"], k=rng.randint(1, 3)):
        _do(t, intake.belonging_add, by=by, episode=episode, item=item, quantity=1, location="物品代管柜")
    t += datetime.timedelta(minutes=10)
    to_hospital = state == EpisodeStatus.IN_HOSPITAL and rng.random() < 0.5
    _do(t, intake.health_check_add, by=by, episode=episode, data={
        "checked_at": t, "physical": "发热、咳嗽" if to_hospital else "一般情况可", "mental": "言语混乱"
        if person_data["has_mental_disorder"] else "神志清楚", "suspected_mental_disorder": to_hospital,
        "outcome": HealthOutcome.HOSPITAL if to_hospital else HealthOutcome.ADMITTED,
        "hospital": ctx.orgs["hospital"] if to_hospital else None})
    if to_hospital:
        return
    t += datetime.timedelta(minutes=5)
    _do(t, intake.intake_admit, by=by, episode=episode, at=t)
    if state == EpisodeStatus.ADMITTED:
        return
    if state == EpisodeStatus.TERMINATED:
        t += datetime.timedelta(hours=rng.randint(5, 40))
        _do(t, intake.intake_terminate, by=by, episode=episode, reason="核实发现其提供虚假身份信息，骗取返乡车票", at=t)
        return
    person = episode.person
    bed, zone_reason = _free_bed(station, person, t + datetime.timedelta(minutes=20))
    if bed is not None:
        _do(t + datetime.timedelta(minutes=20), stay.bed_assign, by=by, episode=episode, bed=bed,
            at=t + datetime.timedelta(minutes=20), housed_as="" if person.sex else "男", zone_reason=zone_reason)
        t += datetime.timedelta(minutes=20)
    if state == EpisodeStatus.IN_STATION and bed is not None:
        return
    if state in (EpisodeStatus.IN_HOSPITAL, EpisodeStatus.OUTSIDE_CARE):
        kind = PlacementKind.HOSPITAL if state == EpisodeStatus.IN_HOSPITAL else PlacementKind.OUTSIDE_CARE
        _do(t + datetime.timedelta(hours=2), stay.placement_start, by=by, episode=episode, kind=kind,
                             organisation=ctx.orgs["hospital" if kind == PlacementKind.HOSPITAL else "care"],
                             started_at=t + datetime.timedelta(hours=2))  # outside care: under the agreement (C5)
        return
    _leave(ctx, episode, t + datetime.timedelta(days=min(days_ago - 0.5, rng.uniform(0.3, 8))), by, index)


def _free_bed(station: Organisation, person: Person, at: datetime.datetime) -> tuple[Bed | None, str]:
    """A free bed in the zone the person belongs to (rules C1, N4, I8), with a reason when it is not that zone."""
    from stay.models import BedAssignment

    taken = BedAssignment.objects.filter(released_at__isnull=True).values("bed_id")
    beds = Bed.objects.filter(zone__station=station, is_active=True).exclude(id__in=taken).order_by("code")
    restriction = SexRestriction.FEMALE if person.sex == "女" else SexRestriction.MALE
    age = person.age_on(timezone.localtime(at).date())
    if (age < 18) if age is not None else person.is_minor:
        bed = beds.filter(zone__category=ZoneCategory.MINORS).first()
        if bed:
            return bed, ""
        return beds.filter(zone__sex_restriction=restriction).first(), "本站未设未成年人区，安排在单间并由专人看护"
    if age is not None and age >= 60:
        bed = beds.filter(zone__category=ZoneCategory.ELDERLY).first()
        if bed:
            return bed, ""
    return beds.filter(zone__sex_restriction=restriction).first(), ""


def _id_copy_image() -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), "#e8eef5")
    ImageDraw.Draw(image).rectangle((10, 10, 310, 190), outline="#456")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile("id-copy.png", buffer.getvalue(), content_type="image/png")


def _leave(ctx: Ctx, episode, left_at: datetime.datetime, by: User, index: int) -> None:
    rng = ctx.rng
    person = episode.person
    age = person.age_on(timezone.localtime(left_at).date()) or 40
    exit_type = rng.choices([ExitType.HOME_TICKET, ExitType.FAMILY, ExitType.HOME_ESCORTED, ExitType.SELF,
                             ExitType.TRANSFER, ExitType.NO_FORMALITIES, ExitType.MISSING, ExitType.DEATH],
                            weights=[45, 18, 8, 16, 5, 5, 2, 1])[0]
    if age < 16 and exit_type not in (ExitType.FAMILY, ExitType.HOME_ESCORTED, ExitType.TRANSFER):
        exit_type = ExitType.FAMILY
    if exit_type == ExitType.SELF and (person.has_mental_disorder or person.has_intellectual_disability):
        exit_type = ExitType.FAMILY  # 规程: no self-departure with signs of mental disorder
    n9 = age < 16 or person.limited_mobility
    data: dict = {}
    kwargs: dict = {}
    if exit_type == ExitType.HOME_TICKET:
        direct = rng.random() < 0.7
        data = {"ticket_no": f"E{rng.randint(10**8, 10**9 - 1)}", "travel_mode": TravelMode.TRAIN,
                "destination": (person.hukou_division.full_name if person.hukou_division else "湖南省长沙市"),
                "is_direct": direct, "cash_yuan": rng.choice([0, 0, 10, 20]), "cash_receipt_signed": True}
        if data["cash_yuan"]:
            data["cash_exception_reason"] = "中转途中需购买饮食（规则N8）"
        if not direct:
            data.update(transfer_point="广州南站", local_station_contact="广州市救助管理站 020-86661234")
    elif exit_type == ExitType.FAMILY:
        kwargs = {"claimant_id_number": id_number(rng, person.hukou_division.code if person.hukou_division else
                                                  "430521", datetime.date(1975, 5, 12), "男"),
                  "claimant_id_copy": _id_copy_image()}
        data = {"claimant_name": person_name(rng, "男"), "claimant_relationship": rng.choice(["儿子", "哥哥", "父亲"]),
                "claimant_phone": f"13{rng.randint(100000000, 999999999)}"}
    elif exit_type == ExitType.HOME_ESCORTED:
        kwargs = {"escort_staff": [by]}
        data = {"escort_route": "清远—广州—长沙（火车）", "handed_over_to": HandoverTo.FAMILY,
                "handover_person": person_name(rng, "女"), "handover_at": left_at + datetime.timedelta(hours=9)}
        if n9:  # rule N9: the receiving person's ID is checked and kept
            kwargs.update(claimant_id_number=id_number(rng, person.hukou_division.code if person.hukou_division else
                                                       "430521", datetime.date(1978, 3, 9), "女"),
                          claimant_id_copy=_id_copy_image())
        if data["handover_at"] > ctx.now:
            data["handover_at"] = ctx.now
    elif exit_type == ExitType.SELF:
        data = {"declaration_signed": True}
    elif exit_type == ExitType.TRANSFER:
        data = {"transfer_org": ctx.orgs["care"] if episode.station_id != ctx.orgs["care"].pk else ctx.orgs["city"]}
        if data["transfer_org"].pk == episode.station_id:
            data["transfer_org"] = ctx.orgs["yd"]
        data.update(transfer_person="陈主任", transfer_person_phone="0763-3366001")  # rule N9
    elif exit_type == ExitType.NO_FORMALITIES:
        data = {"written_record": "晚饭后趁大门开启时自行离开，值班人员追寻未果，已记录在案。"}
    elif exit_type == ExitType.MISSING:
        data = {"circumstances": "外出就医途中走失，随即报警并组织寻找。", "police_notified": True,
                "police_report_ref": f"JJ{index:05d}"}
    elif exit_type == ExitType.DEATH:
        data = {"death_place": "清远市第三人民医院", "death_cause": "多器官功能衰竭（医院诊断）", "police_notified": True,
                "hospital_notified": True}
    if age < 18 and exit_type in E3_HANDOVERS:  # rule E3: two panel members whose term is current that day
        data.update(demo_witnesses(episode.station, left_at))
    recorded_at = max(left_at, data.get("handover_at") or left_at)  # escorts are recorded after the handover
    _do(recorded_at, leaving.departure_create, by=by, episode=episode, exit_type=exit_type, left_at=left_at, data=data,
        **kwargs)


def _repeat_requesters(ctx: Ctx) -> None:
    """A few people who asked for help three times within six months (rule I6)."""
    station = ctx.orgs["city"]
    by = ctx.staff["jiedai"]
    for n in range(4):
        sex = "男"
        birth = datetime.date(1970 + n * 3, 3, 8)
        county = ctx.counties["43"][n]
        id_no = id_number(ctx.rng, county.code, birth, sex)
        person = None
        for k, days in enumerate((150, 80, 2)):
            requested = ctx.now - datetime.timedelta(days=days, hours=n)
            answers = {"cannot_pay": True, "no_relatives": True, "not_on_subsistence": True,
                       "living_by_vagrancy": True, "decision": Decision.ELIGIBLE, "reason": Reason.ROBBED,
                       "residence": "无", "subsistence": Subsistence.NONE}
            episode = _do(
                requested, intake.intake_register, by=by, station=station, channel=Channel.WALK_IN, requested_at=requested, person=person,
                person_data={} if person else {"name": person_name(ctx.rng, sex), "sex": sex, "birth_date": birth,
                                               "hukou_division": county, "identity_status": IdentityStatus.IDENTIFIED},
                id_number="" if person else id_no, answers=answers)
            person = episode.person
            if k < 2:
                t = requested + datetime.timedelta(minutes=15)
                _do(t, intake.safety_check_add, by=by, episode=episode, checked_at=t, note="未见异常")
                _do(t, intake.health_check_add, by=by, episode=episode, data={
                    "checked_at": t, "physical": "一般情况可", "mental": "神志清楚", "outcome": HealthOutcome.ADMITTED})
                _do(t + datetime.timedelta(minutes=5), intake.intake_admit, by=by, episode=episode,
                    at=t + datetime.timedelta(minutes=5))
                _do(t + datetime.timedelta(days=1), leaving.departure_create, by=by, episode=episode,
                    exit_type=ExitType.HOME_TICKET,
                                         left_at=t + datetime.timedelta(days=1), data={
                                             "ticket_no": f"G{n}{k}0001", "travel_mode": TravelMode.TRAIN,
                                             "destination": county.full_name, "is_direct": True})


def login_lines() -> list[str]:
    """The demo logins of core's city plus those of the apps that add organisations (townships, villages)."""
    from aftercare.demo import login_lines as aftercare_lines
    from core.demo import login_lines as core_lines

    return core_lines() + aftercare_lines()
