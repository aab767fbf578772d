"""The demo city's tracing work (issue 4): tracers, police identity checks, talks, DNA, announcements on the
public board and other channels, clues from families, missing-person reports from the police (three of
them truly about people in care, so the engine has something to propose) and one person identified with
an open return-home plan.

Everything goes through the apps' services at its own moment (``demo._do`` travels in time), so the
deadline pages show believable on-time, late and missing work (rules T1–T6, T9).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from announcements import services as announcements
from core.demo_names import id_number, person_name
from core.models import Division
from guitu.demo_photos import portrait_upload
from intake import services as intake
from intake.models import Decision, HealthOutcome, Reason, Subsistence
from matching import services as matching
from matching.models import MatchCandidate
from people import services as people
from people.models import Channel, Episode, IdentityStatus, PersonPhoto, PhotoKind
from people.states import IN_CARE
from stay import services as stay
from tracing import services as tracing
from tracing.models import CheckResult, DnaResult

if TYPE_CHECKING:
    from guitu.demo import Ctx

H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)
TRACERS = {"city": "xunqin", "yd": "yd_jiedai", "lz": "lz_jiedai", "fg": "fg_jiedai"}
PLACES = ("河南周口", "湖南邵阳", "四川南充", "广西玉林", "贵州毕节", "江西赣州", "湖北黄冈", "重庆万州", "广东湛江",
          "福建龙岩")
TALKS = (
    "自称姓{surname}，说家在{place}，门口有条河，小时候在河边放牛。",
    "问其家人，说有个哥哥叫{name}，早年在{place}打工，记不清电话。",
    "情绪稳定，能简单交流，口音像{place}一带，反复说想回家。",
    "今日不愿多谈，只说自己是坐火车过来的，在广州下过车。",
    "提到小时候在{place}读过小学，学校旁边有座桥，村里种茶叶。",
    "说母亲叫{name}，家里还有一个妹妹，村口有个供销社。",
    "精神状况较昨日好转，愿意看地图，指认了{place}附近。",
    "回忆起曾在{place}的砖厂干活，老板姓{surname}。",
)
POLICE_NOT_FOUND = ("经人像比对和全国人口信息系统查询，未查到相符人员。",
                    "指纹比对未比中，建议采集 DNA 入库比对。")
POLICE_PARTIAL = ("人像比对有一名相似人员（{place}籍），已转当地派出所核实。",
                  "根据自述地名，{place}有同名村，已请当地协查。")


@dataclass(frozen=True)
class TrueMatch:
    """An unidentified person in care and the police report about the same person, told differently."""

    said_name: str
    report_name: str
    sex: str
    birth_year_est: int
    report_birth_year: int
    county: str
    hukou_said: str
    dialect: str
    height: int
    marks: str
    station: str
    days_ago: float


TRUE_MATCHES = (
    TrueMatch("章伟", "张伟", "男", 1988, 1986, "411625", "自称河南郸城人", "河南话", 172, "左眉有疤",
              "city", 12.3),
    TrueMatch("刘秀英", "柳秀英", "女", 1960, 1958, "430521", "自称湖南邵东人", "湖南话", 154, "右手背有烫伤疤痕",
              "yd", 5.4),
    TrueMatch("陈建军", "陈建君", "男", 1975, 1973, "511321", "自称四川南部县人", "四川话", 166, "门牙缺一颗",
              "lz", 27.6),
)


def _before_now(ctx: Ctx, at: datetime.datetime) -> datetime.datetime | None:
    """``at`` when it is already past (a minute's margin), else None: the demo never writes the future."""
    return at if at < ctx.now - datetime.timedelta(minutes=1) else None


def seed_tracing(ctx: Ctx, *, stdout=None) -> dict:
    """Tracing work for every unidentified person in care, reports, clues, one identification."""
    from guitu.demo import _do

    matches = [_admit_true_match(ctx, m) for m in TRUE_MATCHES]
    episodes = list(Episode.objects.filter(status__in=list(IN_CARE), person__identity_status__in=[
        IdentityStatus.UNIDENTIFIED, IdentityStatus.PENDING]).select_related("person", "station").order_by(
        "requested_at"))
    counts = {"people": len(episodes), "announcements": 0, "checks": 0, "talks": 0, "dna": 0}
    live = []
    for n, episode in enumerate(episodes):
        with transaction.atomic():
            got = _trace_one(ctx, episode, n)
        for key in ("announcements", "checks", "talks", "dna"):
            counts[key] += got[key]
        if got["live"] is not None:
            live.append(got["live"])
    if stdout:
        stdout.write(f"  寻亲：{counts['people']} 名身份不明人员，{counts['announcements']} 份公告，"
                     f"{counts['checks']} 次公安核查，{counts['talks']} 次谈话，{counts['dna']} 份 DNA 申请")
    counts["clues"] = _clues(ctx, live)
    reports = _reports(ctx)
    counts["reports"] = len(reports)
    proposed = 0
    for report in reports:  # the same comparison the queue runs after each report (rule T7), done now
        proposed += len(_do(ctx.now - 10 * H, matching.run_report_query, by=None, report=report))
    counts["candidates"] = proposed
    counts["identified"] = _confirm_one(ctx, matches[2], reports)
    if stdout:
        stdout.write(f"  走失报案 {counts['reports']} 条，比对候选 {proposed} 条，公众线索 {counts['clues']} 条，"
                     f"已确认身份并开启返乡计划 {counts['identified']} 人")
    return counts


def _admit_true_match(ctx: Ctx, m: TrueMatch) -> Episode:
    """A man or woman who gives a name heard by ear and a home county; not verified, so unidentified."""
    from guitu.demo import _do, _free_bed, _station_user

    station = ctx.orgs[m.station]
    by = _station_user(ctx, station)
    at = ctx.now - datetime.timedelta(days=m.days_ago)
    age = timezone.localtime(at).year - m.birth_year_est
    answers = {"residence": "无固定住所", "subsistence": Subsistence.UNKNOWN, "reason": Reason.VAGRANCY,
               "vagrancy_duration": "不详", "cannot_pay": True, "no_relatives": True, "not_on_subsistence": True,
               "living_by_vagrancy": True, "decision": Decision.HELP_FIRST, "unable_to_answer": True,
               "fingerprint_taken": True, "photo_taken": True}
    episode = _do(at, intake.intake_register, by=by, station=station, channel=Channel.POLICE, requested_at=at,
                  person_data={"name": m.said_name, "sex": m.sex, "birth_year_est": m.birth_year_est,
                               "age_min": age - 4, "age_max": age + 4, "hukou_text": m.hukou_said,
                               "dialect": m.dialect, "height_cm": m.height, "marks": m.marks,
                               "identity_status": IdentityStatus.UNIDENTIFIED, "has_mental_disorder": True},
                  answers=answers)
    t = at + 15 * datetime.timedelta(minutes=1)
    _do(t, intake.handover_add, by=by, episode=episode, data={
        "escort_org": ctx.orgs["police"], "officers": "刘海涛（警号041235）", "handed_over_at": t,
        "found_place": "清远火车站广场", "found_how": "群众报警称有人在车站徘徊多日，民警护送至站",
        "condition": "神志尚清，言语含糊"})
    _do(t, intake.safety_check_add, by=by, episode=episode, checked_at=t, note="逢进必检，未见异常")
    _do(t, intake.health_check_add, by=by, episode=episode, data={
        "checked_at": t, "physical": "消瘦", "mental": "反应迟缓，自述身份前后不一", "outcome": HealthOutcome.ADMITTED})
    _do(t + 5 * datetime.timedelta(minutes=1), intake.intake_admit, by=by, episode=episode,
        at=t + 5 * datetime.timedelta(minutes=1))
    bed, zone_reason = _free_bed(station, episode.person, t + H)
    if bed is not None:
        _do(t + H, stay.bed_assign, by=by, episode=episode, bed=bed, at=t + H, zone_reason=zone_reason)
    episode.refresh_from_db()
    return episode


def _entry(episode: Episode) -> datetime.datetime:
    return episode.admitted_at or episode.requested_at


def _trace_one(ctx: Ctx, episode: Episode, n: int) -> dict:
    """One unidentified person in care: tracer, photo, T1/T2 check, T4 talks, T5/T6 DNA, T3 announcement."""
    from guitu.demo import FOUND_PLACES, _do

    rng = ctx.rng
    person = episode.person
    station = episode.station
    key = next(k for k, o in ctx.orgs.items() if o.pk == station.pk and k in TRACERS)
    tracer = ctx.staff[TRACERS[key]]
    police, gongan = ctx.orgs["police"], ctx.staff["gongan"]
    entry = _entry(episode)
    out = {"announcements": 0, "checks": 0, "talks": 0, "dna": 0, "live": None}
    place = rng.choice(PLACES)

    t = _before_now(ctx, entry + rng.uniform(0.5, 3) * H)
    if t:
        _do(t, tracing.tracer_assign, by=ctx.staff[TRACERS[key]] if key != "city" else ctx.staff["zhanzhang"],
            episode=episode, tracer=tracer, at=t)
    photo = None
    t = _before_now(ctx, entry + 20 * datetime.timedelta(minutes=1))
    if t and rng.random() < 0.92:
        old = (person.age_min or 40) >= 60
        photo = _do(t, people.photo_add, by=tracer, person=person, image=portrait_upload(
            1000 + n, sex=person.sex or "男", old=old), kind=PhotoKind.PORTRAIT, taken_on=timezone.localdate(t))
    elif PersonPhoto.objects.filter(person=person, kind=PhotoKind.PORTRAIT).exists():
        photo = PersonPhoto.objects.filter(person=person, kind=PhotoKind.PORTRAIT).first()

    # rule T1: most within 24 h, some late, a few never; rule T2: answers mostly within 48 h.
    roll = rng.random()
    if roll < 0.9:
        sent = _before_now(ctx, entry + (rng.uniform(1, 20) if roll < 0.75 else rng.uniform(26, 50)) * H)
        if sent:
            check = _do(sent, tracing.check_create, by=tracer, person=person, police=police, photo=photo,
                        biometrics_ref=f"ZW{timezone.localtime(sent):%Y%m%d}{n:03d}",
                        known_info=f"{person.hukou_text or '自述籍贯不详'}；口音{person.dialect or '不详'}；"
                                   f"{person.marks or ''}", at=sent)
            out["checks"] += 1
            answer_roll = rng.random()
            answered = _before_now(ctx, sent + (rng.uniform(3, 40) if answer_roll < 0.7 else rng.uniform(55, 90)) * H)
            if answered and answer_roll < 0.9:
                partial = rng.random() < 0.3
                text = rng.choice(POLICE_PARTIAL if partial else POLICE_NOT_FOUND).format(place=place)
                _do(answered, tracing.check_answer, by=gongan, check=check,
                    result=CheckResult.PARTIAL if partial else CheckResult.NOT_FOUND, answer_text=text, at=answered)

    # rule T4: three talks a day for the first 72 h, then one a day; some days fall short.
    out["talks"] = _talks(ctx, episode, tracer, entry, place)

    # rule T5: DNA within 7 working days (a few late, some not yet); rule T6: result within a month.
    if rng.random() < 0.8:
        requested = _before_now(ctx, entry + (rng.uniform(1, 6) if rng.random() < 0.85 else rng.uniform(11, 16)) * D)
        if requested:
            dna = _do(requested, tracing.dna_request_create, by=tracer, episode=episode, police=police,
                      requested_at=requested, note="请协助采集血样入库比对")
            out["dna"] += 1
            sample = _before_now(ctx, requested + rng.uniform(0.5, 3) * D)
            if sample:
                result_at = _before_now(ctx, sample + rng.uniform(10, 45) * D)
                if result_at:
                    _do(result_at, tracing.dna_request_update, by=tracer, dna=dna,
                        sample_taken_on=timezone.localdate(sample), result=DnaResult.NO_MATCH,
                        result_on=timezone.localdate(result_at), note="全国库比对未比中")
                else:
                    _do(sample + H, tracing.dna_request_update, by=tracer, dna=dna,
                        sample_taken_on=timezone.localdate(sample))

    # rule T3: most published within 24 h of entry, a few late, a few missing; some also on 全国救助寻亲网.
    roll = rng.random()
    if roll < 0.9:
        published = _before_now(ctx, entry + (rng.uniform(2, 20) if roll < 0.78 else rng.uniform(28, 60)) * H)
        if published:
            age_lo, age_hi = person.age_min, person.age_max
            if age_lo is None and person.birth_year_est:
                age_lo = age_hi = timezone.localtime(entry).year - person.birth_year_est
            chosen = ["found_date", "found_place", "sex", "features"]
            details = {"found_date": timezone.localdate(entry), "found_division": station.division,
                       "found_place": rng.choice(FOUND_PLACES), "sex": person.sex or "男",
                       "features": person.marks or "体貌无明显特征", "age_min": age_lo, "age_max": age_hi,
                       "height_cm": person.height_cm,
                       "statement": f"自述家在{place}附近，说{person.dialect or '普通话'}"}
            if age_lo is not None:
                chosen.append("age")
            if person.height_cm:
                chosen.append("height")
            if rng.random() < 0.6:
                chosen.append("statement")
            draft = _do(published - 20 * datetime.timedelta(minutes=1), announcements.announcement_create,
                        by=tracer, person=person, photos=[photo] if photo else [], chosen=chosen, details=details)
            announcement = _do(published, announcements.announcement_publish, by=tracer, announcement=draft,
                               at=published)
            out["announcements"] += 1
            out["live"] = announcement
            national = _before_now(ctx, published + rng.uniform(4, 30) * H)
            if national and rng.random() < 0.55:
                _do(national, announcements.publication_add, by=tracer, announcement=announcement,
                    channel="national", published_on=timezone.localdate(national),
                    reference=f"全国救助寻亲网 {timezone.localtime(national):%Y%m%d}{n:04d}")
            toutiao = _before_now(ctx, published + rng.uniform(6, 40) * H)
            if toutiao and rng.random() < 0.2:
                _do(toutiao, announcements.publication_add, by=tracer, announcement=announcement,
                    channel="toutiao", published_on=timezone.localdate(toutiao), reference="头条寻人 清远专栏")
    return out


def _talks(ctx: Ctx, episode: Episode, tracer, entry: datetime.datetime, place: str) -> int:
    """Talks day by day (3 a day for the first three days, then 1; about one day in seven falls short).

    Stays up to two weeks are logged every day; for longer stays only the first and the last week are,
    so long-stayers show the missed days the T4 column is there to reveal (and seeding stays quick).
    """
    from guitu.demo import _do

    rng = ctx.rng
    days = int((ctx.now - entry) / D) + 1
    wanted = range(days) if days <= 14 else sorted(set(range(7)) | set(range(days - 7, days)))
    count = 0
    for day in wanted:
        per_day = 3 if day < 3 else 1
        if rng.random() < 0.15:
            per_day -= 1  # a day that falls short of rule T4
        for k in range(per_day):
            held = _before_now(ctx, entry + day * D + (1 + k * 6 + rng.uniform(0, 4)) * H)
            if held is None:
                break
            text = rng.choice(TALKS).format(surname=rng.choice("王李张刘陈杨黄赵周吴"), place=place,
                                            name=person_name(rng, rng.choice("男女")))
            _do(held, tracing.talk_add, by=tracer, episode=episode, held_at=held, content=text,
                present=f"{tracer.full_name}、值班社工")
            count += 1
    return count


def _clues(ctx: Ctx, live: list) -> int:
    """A couple of clues from families on the public board (rule T3), one being followed up."""
    from guitu.demo import _do

    made = 0
    samples = (("王桂兰", "13907311234", "姐姐", "照片上的人很像我弟弟，十年前在广州走失，左手有一道疤。"),
               ("周建华", "13677435678", "同村村民", "这个人好像是我们村的，说话口音一样，家里还有老母亲。"),
               ("李志明", "0763-3345678", "表哥", "看着像我表弟，早年在清远打工后失联，请帮忙核实。"))
    for announcement, (name, phone, relation, content) in zip(live[-3:], samples, strict=False):
        at = _before_now(ctx, max(announcement.published_at + 6 * H, ctx.now - 2 * D))
        if at is None:
            continue
        clue = _do(at, announcements.clue_create, announcement=announcement,
                   data={"name": name, "phone": phone, "relationship": relation, "content": content})
        made += 1
        if made == 1:
            _do(at + 3 * H, announcements.clue_set_status, by=announcement.created_by, clue=clue,
                status="following", note="已电话联系提供人，约定视频辨认")
    return made


def _reports(ctx: Ctx) -> list:
    """About fifteen missing-person reports from the police (rule T7), three about people in care."""
    from guitu.demo import _do

    rng = ctx.rng
    gongan, police = ctx.staff["gongan"], ctx.orgs["police"]
    reports = []
    for k, m in enumerate(TRUE_MATCHES):
        county = Division.objects.get(code=m.county)
        reported = ctx.now - datetime.timedelta(days=m.days_ago + rng.uniform(20, 200))
        data = {"report_no": f"QC{timezone.localtime(reported):%Y}-{810 + k:04d}", "reported_at": reported,
                "reporter_name": person_name(rng, "男"), "reporter_phone": f"139{rng.randint(10**7, 10**8 - 1)}",
                "reporter_relationship": rng.choice(["儿子", "女儿", "哥哥"]), "name": m.report_name, "sex": m.sex,
                "birth_year": m.report_birth_year, "hukou_division": county, "hukou_text": county.full_name,
                "dialect": m.dialect, "height_cm": m.height - 1, "marks": m.marks,
                "last_seen_on": timezone.localdate(reported) - datetime.timedelta(days=3),
                "last_seen_place": f"{county.name}汽车站"}
        birth = datetime.date(m.report_birth_year, 6, 1)
        reports.append(_do(reported + H, matching.report_create, by=gongan, organisation=police, data=data,
                           id_number=id_number(rng, m.county, birth, m.sex)))
    provinces = Q()
    for prefix in ("41", "43", "45", "51", "52", "36"):
        provinces |= Q(code__startswith=prefix)
    counties = list(Division.objects.filter(provinces, level="county").only("code", "name", "full_name"))
    for k in range(12):
        sex = "男" if rng.random() < 0.7 else "女"
        county = rng.choice(counties)
        birth_year = rng.randint(1945, 2008)
        reported = ctx.now - datetime.timedelta(days=rng.uniform(3, 400))
        data = {"report_no": f"QC{timezone.localtime(reported):%Y}-{820 + k:04d}", "reported_at": reported,
                "reporter_name": person_name(rng, "男"), "reporter_phone": f"138{rng.randint(10**7, 10**8 - 1)}",
                "reporter_relationship": rng.choice(["父亲", "母亲", "儿子", "妻子", "弟弟"]),
                "name": person_name(rng, sex), "sex": sex, "birth_year": birth_year, "hukou_division": county,
                "hukou_text": county.full_name, "height_cm": rng.randint(150, 180) if sex == "男" else rng.randint(145, 165),
                "marks": rng.choice(["", "右耳后有痣", "左腿微跛", "戴眼镜", "额头有疤"]),
                "last_seen_on": timezone.localdate(reported) - datetime.timedelta(days=rng.randint(1, 20)),
                "last_seen_place": rng.choice(["清远火车站", "广州火车站", "英德市区", f"{county.name}集市"])}
        id_no = id_number(rng, county.code, datetime.date(birth_year, 3, 15), sex) if rng.random() < 0.4 else ""
        reports.append(_do(reported + H, matching.report_create, by=gongan, organisation=police, data=data,
                           id_number=id_no))
    return reports


def _confirm_one(ctx: Ctx, episode: Episode, reports: list) -> int:
    """The county station's tracer confirms one proposed match: identified, announcement withdrawn,
    open tasks closed and a return-home plan open (rule T9)."""
    from guitu.demo import _do

    candidate = MatchCandidate.objects.filter(person=episode.person, report__in=reports).order_by(
        "-probability").first()
    if candidate is None:
        return 0
    tracer = ctx.staff[TRACERS[next(k for k, o in ctx.orgs.items() if o.pk == episode.station_id and k in TRACERS)]]
    from matching.services import candidate_decide

    _do(ctx.now - 6 * H, candidate_decide, by=tracer, candidate=candidate, decision="confirmed",
        note="经视频连线，报案人辨认确认为其父亲")
    return 1
