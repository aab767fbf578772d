"""The demo city's regional centre at work (issue 13; rules R1–R3, E2): 清远市救助管理站 is the regional centre
for 清远市. Six people from other provinces are in care at the county stations; through the services the
centre took one case over (提级办理), has one request waiting for its answer, sent a carer down to a case
(下沉协助), convened a joint handling with the hospital (协同会办), and runs two cross-province escort batches —
one under way, one planned (E2).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from core.models import Division, Organisation, User
from intake import services as intake
from people.models import Episode
from regional import services as regional
from regional.models import Escalation

H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)
ELIGIBLE = {"cannot_pay": True, "no_relatives": True, "not_on_subsistence": True, "living_by_vagrancy": True,
            "decision": "eligible", "reason": "no_work"}

#: (station key, name, sex, birth year, 户籍 division code): people far from home, in care at the counties.
PEOPLE = (
    ("yd", "罗正华", "男", 1968, "520102"),  # 贵阳市南明区
    ("yd", "杨秀珍", "女", 1975, "430102"),  # 长沙市芙蓉区
    ("lz", "吴光明", "男", 1959, "520103"),  # 贵阳市云岩区
    ("lz", "龙德胜", "男", 1981, "431202"),  # 怀化市鹤城区
    ("fg", "石金凤", "女", 1990, "522601"),  # 凯里市
    ("yd", "蒋兴旺", "男", 1972, "450102"),  # 南宁市兴宁区
)


def _do(when: datetime.datetime, service, **kwargs):
    from guitu.demo import _do as travel

    return travel(when, service, **kwargs)


def _admit(station: Organisation, by: User, name: str, sex: str, birth_year: int, hukou: Division,
           at: datetime.datetime) -> Episode:
    ep = _do(at, intake.intake_register, by=by, station=station, channel="walk_in", requested_at=at,
             person_data={"name": name, "sex": sex, "birth_date": datetime.date(birth_year, 3, 1),
                          "hukou_division": hukou, "hukou_text": hukou.full_name}, answers=ELIGIBLE)
    _do(at + 0.1 * H, intake.safety_check_add, by=by, episode=ep)
    _do(at + 0.2 * H, intake.health_check_add, by=by, episode=ep,
        data={"physical": "良好", "mental": "清醒", "outcome": "admitted"})
    return _do(at + 0.5 * H, intake.intake_admit, by=by, episode=ep, at=at + 0.5 * H)


def seed_regional(orgs: dict[str, Organisation], staff: dict[str, User], now: datetime.datetime,
                  stdout=None) -> None:
    """Seed the regional centre's work once (does nothing when an escalation exists)."""
    if Escalation.objects.exists():
        return
    centre = orgs["city"]
    head, reception, carer, tracer = staff["zhanzhang"], staff["jiedai"], staff["zhaoliao"], staff["xunqin"]
    desk = {"yd": staff["yd_jiedai"], "lz": staff["lz_jiedai"], "fg": staff["fg_jiedai"]}
    with transaction.atomic():
        eps = []
        for i, (key, name, sex, year, code) in enumerate(PEOPLE):
            hukou = Division.objects.get(code=code)
            eps.append(_admit(orgs[key], desk[key], name, sex, year, hukou, now - (6 - i) * D))

        # 提级办理: 英德 asks for help with a medical case; the centre accepted it the same afternoon.
        taken = _do(now - 4 * D, regional.escalation_request, by=desk["yd"], episode=eps[0], kind="medical",
                    reason="疑似精神障碍，多次拒绝进食，本站无专业医护力量，申请区域性中心接办送医救治。")
        _do(now - 4 * D + 5 * H, regional.escalation_accept, by=head, escalation=taken,
            reason="中心接办，联系市第三人民医院会诊。")
        # a request from 连州 still waiting for the centre's answer (see the deadline inbox, rule R2)
        _do(now - 20 * H, regional.escalation_request, by=desk["lz"], episode=eps[3], kind="tracing",
            reason="方言难以辨识，本站多次谈话无果，申请中心寻亲员接办。")

        # 下沉协助: the centre's carer helps 佛冈 with one case for three days.
        _do(now - D, regional.assistance_send, by=head, episode=eps[4], kind="care", task="协助照料与心理疏导",
            staff=[carer], starts_at=now - D, ends_at=now + 2 * D)

        # 协同会办: 英德, the hospital and the centre on one case, with a meeting and its decisions.
        joint = _do(now - 3 * D, regional.joint_open, by=staff["yd_zhanzhang"], episode=eps[1], kind="settlement",
                    title="长期滞留人员返乡安置会办",
                    participants=[{"organisation": centre, "duty": "联系户籍地救助站，统筹护送"},
                                  {"organisation": orgs["hospital"], "duty": "出具健康评估意见"}])
        _do(now - 2 * D, regional.joint_meeting_record, by=staff["yd_zhanzhang"], joint=joint,
            held_on=timezone.localdate(now - 2 * D), place="英德市救助管理站会议室",
            attendees="邓志刚（英德站）、陈国强（区域性中心）、市三院医务科",
            minutes="会商返乡方案：医院评估可长途出行；中心联系长沙市救助管理站，编入下一批统一护送。",
            decisions=[{"text": "出具健康评估意见", "responsible": orgs["hospital"],
                        "due_on": timezone.localdate(now + D)},
                       {"text": "联系户籍地救助站并编入护送批次", "responsible": centre,
                        "due_on": timezone.localdate(now + 3 * D)}])

        # 统一护送 (E2): a batch under way to 贵州 (one handed over, one on the road) and a planned one to 湖南.
        guizhou = _do(now - D, regional.batch_create, by=head, route="清远—贵阳—凯里", departs_on=timezone.localdate(),
                      vehicle="粤R·J0721", staff=[carer, tracer], note="贵州方向统一护送")
        for ep in (eps[2], eps[5]):
            _do(now - D, regional.batch_member_add, by=head, batch=guizhou, episode=ep,
                destination=ep.person.hukou_division)
        _do(now - 6 * H, regional.batch_start, by=head, batch=guizhou)
        first = guizhou.members.order_by("id").first()
        _do(now - H, regional.member_hand_over, by=head, member=first, handed_over_to="family",
            handover_person="吴光明之子", handover_at=now - 1.5 * H)
        hunan = _do(now - 2 * H, regional.batch_create, by=reception, route="清远—长沙—怀化",
                    departs_on=timezone.localdate(now + 3 * D), vehicle="粤R·J0722", staff=[carer])
        _do(now - 2 * H, regional.batch_member_add, by=reception, batch=hunan, episode=eps[1],
            destination=eps[1].person.hukou_division)
    if stdout:
        stdout.write("  区域性中心：提级办理、下沉协助、协同会办与统一护送已生成")
