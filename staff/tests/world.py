"""Staff objects for the every-URL scoping test: two staff members and a training session at the county station."""

import datetime

from django.utils import timezone

from staff import services


def extend_world(cast, ctx):
    a = services.staff_create(
        by=cast.head,
        organisation=cast.station,
        data={"name": "梁世界", "post": "照料员", "hired_on": datetime.date(2020, 5, 1)},
    )
    b = services.staff_create(
        by=cast.head,
        organisation=cast.station,
        data={
            "name": "黄世界",
            "post": "寻亲员",
            "social_worker_cert": "assistant",
            "cert_number": "SG2021001",
            "hired_on": datetime.date(2021, 3, 1),
        },
    )
    services.training_create(
        by=cast.head,
        organisation=cast.station,
        topic="未成年人保护法专题培训",
        held_at=timezone.now() - datetime.timedelta(days=3),
        hours=3,
        kind="internal",
        attendees=[a, b],
    )
    return {"secrets": ["梁世界", "黄世界"]}
