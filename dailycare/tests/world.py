"""Daily-care objects for the every-URL scoping test, made through the services at the county station: a meal
with its sample, the "六个一" services, a minor's plan with review and guardianship assessment, an elderly
person's care plan and a domestic-violence shelter with its report."""

import datetime

from django.utils import timezone

from core.models import Organisation, OrgKind
from dailycare import services
from dailycare.models import BasicService


def extend_world(cast, ctx):
    from tests.world import _admitted

    now = timezone.now()
    zone = ctx.beds[0].zone
    services.meal_record(by=cast.carer, zone=zone, served_on=timezone.localdate(), meal="breakfast",
                         menu="米饭、青菜、豆腐汤", headcount=3, served_at=now - datetime.timedelta(minutes=30))
    services.basic_services_record(by=cast.carer, episode=ctx.staying,
                                   outcomes={s: "done" for s in BasicService.objects.all()[:3]})
    at = now - datetime.timedelta(days=5)
    minor = _admitted(cast, "小世界", at=at, birth_date=datetime.date(now.year - 12, 3, 1), is_minor=True)
    plan = services.minor_plan_create(by=cast.carer, episode=minor, assessment="身体健康，与家人失联",
                                      plan="安排在未成年人区，心理疏导，寻亲", responsible=cast.carer)
    services.plan_review_add(by=cast.carer, plan=plan, findings="情绪稳定")
    services.temporary_guardianship_record(by=cast.head, plan=plan, department=cast.county_dept,
                                           started_at=minor.admitted_at)
    services.guardianship_assess(by=cast.carer, plan=plan, guardian_name="小世界父", relationship="父亲",
                                 method="电话核实", findings="家庭具备监护条件", conclusion="fit")
    centre = Organisation.objects.filter(kind=OrgKind.MINOR_CENTRE).first()
    if centre is not None:
        services.minor_refer(by=cast.carer, plan=plan, centre=centre, reason="长期照料")
    elderly = _admitted(cast, "老世界", at=at, birth_date=datetime.date(1950, 1, 1), is_elderly=True)
    services.care_plan_create(by=cast.carer, episode=elderly, group="elderly", zone=zone, needs="行动迟缓",
                              measures="安排下铺，每日巡视", responsible=cast.carer)
    victim = _admitted(cast, "庇世界", at=at)
    shelter = services.dv_shelter_open(by=cast.reception, episode=victim, abuser_relationship="配偶",
                                       circumstances="长期遭受殴打")
    services.dv_report_add(by=cast.reception, shelter=shelter, reported_to="police", recipient="城关派出所",
                           how="电话", content="报告家庭暴力情况", reported_at=now)
    return {"secrets": ["小世界", "老世界", "庇世界"]}
