"""The demo city's staff and training year (issue 10, rule O6): a register per station (users and people
without accounts), monthly in-station training, a two-day provincial course, professional tests."""

from __future__ import annotations

import datetime
import decimal
import random

from core.models import Organisation, User
from staff import services as staff_services
from staff.models import StaffMember

D = datetime.timedelta(days=1)
POSTS = ("接待员", "照料员", "寻亲员", "医护人员", "厨师", "保安", "社会工作者", "财务")
SURNAMES = "陈李张黄吴刘何罗梁郑谢冯邓曾彭萧蔡潘"
GIVEN = ("丽华", "志强", "海燕", "伟东", "秀英", "建国", "晓敏", "俊杰", "桂芳", "国平", "玉兰", "文辉")
TOPICS = (
    "救助管理工作规程",
    "消防安全与应急疏散",
    "食品安全与留样",
    "未成年人保护法",
    "寻亲工作方法与谈话技巧",
    "精神障碍人员照料",
    "传染病防控",
    "反家庭暴力法",
    "防走失与夜间巡查",
    "心理疏导基础",
    "档案管理",
    "站外托养监管",
)


def seed_staff(
    orgs: dict[str, Organisation],
    staff: dict[str, User],
    now: datetime.datetime,
    *,
    seed_value: int = 12,
    stdout=None,
) -> int:
    from guitu.demo import _do

    if StaffMember.objects.exists():
        return 0
    rng = random.Random(seed_value)
    heads = {"city": staff["zhanzhang"], "yd": staff["yd_zhanzhang"]}
    created = 0
    for key, size in (("city", 12), ("yd", 7)):
        org, head = orgs[key], heads[key]
        members = []
        for user in User.objects.filter(organisation=org).order_by("pk"):
            members.append(
                _do(
                    now - 400 * D,
                    staff_services.staff_create,
                    by=head,
                    organisation=org,
                    user=user,
                    data={
                        "name": user.full_name or user.username,
                        "post": user.role_labels[0] if user.role_labels else "工作人员",
                        "hired_on": (now - rng.randint(500, 3000) * D).date(),
                        "qualifications": "大专",
                    },
                )
            )
        while len(members) < size:
            cert = rng.choice(["", "", "assistant", "social_worker"])
            members.append(
                _do(
                    now - 400 * D,
                    staff_services.staff_create,
                    by=head,
                    organisation=org,
                    data={
                        "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                        "post": rng.choice(POSTS),
                        "qualifications": rng.choice(["高中", "大专", "本科"]),
                        "social_worker_cert": cert,
                        "cert_number": f"SG{rng.randint(100000, 999999)}" if cert else "",
                        "hired_on": (now - rng.randint(500, 3000) * D).date(),
                    },
                )
            )
        created += len(members)
        for month in range(12, 0, -1):
            at = (now - month * 30 * D).replace(hour=14, minute=30, second=0, microsecond=0)
            attendees = rng.sample(members, k=max(2, len(members) * 3 // 4))
            session = _do(
                at,
                staff_services.training_create,
                by=head,
                organisation=org,
                topic=TOPICS[month % 12],
                held_at=at,
                hours=decimal.Decimal(3),
                kind="internal",
                attendees=attendees,
            )
            if month % 4 == 0:
                for member in attendees:
                    _do(
                        at,
                        staff_services.exam_record,
                        by=head,
                        staff=member,
                        subject=session.topic,
                        taken_on=at.date(),
                        score=decimal.Decimal(rng.randint(52, 98)),
                        session=session,
                    )
        course = (now - 120 * D).replace(hour=9, minute=0, second=0, microsecond=0)
        _do(
            course + 2 * D,
            staff_services.training_create,
            by=head,
            organisation=org,
            topic="全省救助管理机构业务骨干培训班",
            held_at=course,
            hours=decimal.Decimal(16),
            days=decimal.Decimal(2),
            kind="off_job",
            trainer="广东省民政厅",
            attendees=rng.sample(members, k=3),
        )
    if stdout:
        stdout.write(f"  工作人员：{created} 人，每月培训，脱产培训与业务考试")
    return created
