"""Regional objects for the every-URL scoping test (tests/world.py): an escalation, help sent down, a joint case
with a meeting and a decision, and an escort batch with one planned person — all at the cast's county station."""

import datetime

from django.utils import timezone

from core.models import Division, Role
from core.testing import _user
from regional import services


def extend_world(cast, ctx):
    escort = _user("world_escort", "邓护送", cast.city_station, Role.CARER)
    centre_head = _user("world_centre_head", "蒋主任", cast.city_station, Role.HEAD)
    services.escalation_request(by=cast.reception, episode=ctx.in_hospital, kind="medical",
                                reason="需要区域性中心协调医疗救治")
    now = timezone.now()
    services.assistance_send(by=centre_head, episode=ctx.staying, kind="tracing", task="协助谈话寻亲",
                             staff=[escort], starts_at=now, ends_at=now + datetime.timedelta(days=2))
    joint = services.joint_open(by=cast.head, episode=ctx.staying, kind="medical", title="救治会办",
                                participants=[{"organisation": cast.hospital, "duty": "住院救治"}])
    services.joint_meeting_record(by=cast.head, joint=joint, held_on=timezone.localdate(), attendees="王站长、李医生",
                                  minutes="会商救治方案，医院接收住院。",
                                  decisions=[{"text": "医院收治", "responsible": cast.hospital}])
    batch = services.batch_create(by=centre_head, route="清远—贵阳", departs_on=timezone.localdate(),
                                  vehicle="粤R·W0001", staff=[escort])
    services.batch_member_add(by=centre_head, batch=batch, episode=ctx.staying,
                              destination=Division.objects.get(code="520100"))
    return {}
