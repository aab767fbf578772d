"""Tracing objects for the every-URL scoping test (tests/test_every_url_scoped.py), made through services."""

import datetime

from django.utils import timezone

from tracing import services
from tracing.models import CheckResult, LeadKind, PlanStatus, ReturnMethod


def extend_world(cast, ctx) -> dict:
    from people import services as people
    from tests.world import _admitted, _png

    tracer, head = cast.tracer, cast.head
    staying = ctx.staying
    person = staying.person
    services.tracer_assign(by=head, episode=staying, tracer=tracer)
    talk = services.talk_add(by=tracer, episode=staying, held_at=timezone.now() - datetime.timedelta(hours=2),
                             content="他说他叫张建国，老家在河南周口郸城县，说话有湖南口音。")
    services.lead_create(by=tracer, episode=staying, kind=LeadKind.STATION_CALL, text="河南周口郸城县", talk=talk,
                         organisation=cast.city_station, note="电话联系")
    photo = person.photos.first()
    answered = services.check_create(by=tracer, person=person, police=cast.police, photo=photo,
                                     known_info="男，约45岁，已知情况世界秘密甲")
    services.check_answer(by=cast.police_officer, check=answered, result=CheckResult.PARTIAL,
                          answer_text="人像比对有相似人员，待核实", attachments=[_png("answer.png")])
    services.check_create(by=tracer, person=person, police=cast.police, known_info="第二次核查")
    dna = services.dna_request_create(by=tracer, episode=staying, police=cast.police)
    services.dna_request_update(by=tracer, dna=dna, sample_taken_on=timezone.localdate())

    # A person identified in this world, with a refused return plan escalated one level up.
    found = _admitted(cast, "庚世界", at=timezone.now() - datetime.timedelta(days=3))
    people.photo_add(by=cast.reception, person=found.person, image=_png(), taken_on=timezone.localdate())
    ident = services.identity_confirm(by=tracer, person=found.person, method="police", evidence="公安核查答复",
                                      name="庚真名")
    plan = services.return_plan_update(by=tracer, plan=ident.return_plan, status=PlanStatus.REFUSED,
                                       method=ReturnMethod.ESCORTED, refusal_reason="户籍地称无人接收")
    services.escalate(by=tracer, plan=plan, note="请协调户籍地接收")
    # rule T10: last month's report, issued (its PDF is served through the report's scope)
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    services.report_issue(by=head, station=cast.station, year=last_month.year, month=last_month.month)
    return {
        "secrets": ["庚真名", "世界秘密甲", answered.number],
        # Only the addressed police organisation answers; the station's all-roles owner gets 403 there.
        "routes_without_fixture": {"/tracing/checks/<uuid:uuid>/answer/"},
    }
