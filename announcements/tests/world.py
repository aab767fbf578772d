"""Announcements in the every-URL test world: a published announcement with a channel record and a clue
with a photo (for the staying person, who has a photo), and a draft (for the person in hospital)."""

from django.utils import timezone

from announcements import services
from announcements.models import Channel
from announcements.tests.factories import image_upload

CLUE_NAME = "世界线索提供人"
CLUE_PHONE = "13700001111"


def extend_world(cast, ctx) -> dict:
    by = cast.tracer
    details = {"found_date": timezone.localdate(), "found_place": "英德市火车站", "sex": "男", "age_min": 40,
               "age_max": 50, "features": "世界公告体貌", "statement": "世界公告自述"}
    staying = ctx.staying.person
    live = services.announcement_create(by=by, person=staying, photos=list(staying.photos.all()),
                                        chosen=["found_date", "found_place", "sex", "age", "features", "statement"],
                                        details=details)
    services.announcement_publish(by=by, announcement=live)
    services.publication_add(by=by, announcement=live, channel=Channel.NATIONAL, published_on=timezone.localdate(),
                             reference="全国救助寻亲网")
    services.clue_create(announcement=live, data={"name": CLUE_NAME, "phone": CLUE_PHONE, "relationship": "弟弟",
                                                  "content": "世界线索内容"}, photo=image_upload())
    services.announcement_create(by=by, person=ctx.in_hospital.person, photos=[], chosen=["sex"],
                                 details={"sex": "男"})
    return {"secrets": [CLUE_NAME, CLUE_PHONE, "世界线索内容"]}
