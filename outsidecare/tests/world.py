"""Outside-care objects at the cast's county station for the every-URL scoping test (tests/world.py)."""

import datetime

from django.utils import timezone

from core.models import Role
from core.testing import _user
from outsidecare import services, testing


def extend_world(cast, ctx):
    now = timezone.now()
    facility = testing.facility(cast=cast)
    agreement = testing.agreement(by=cast.head, station=cast.station, facility=facility, capacity=5)
    from stay import services as stay
    from tests.world import _admitted

    at = now - datetime.timedelta(days=6)
    ep = _admitted(cast, "托世界", at=at)
    placement = stay.placement_start(by=cast.carer, episode=ep, kind="outside_care", organisation=facility,
                                     started_at=at + datetime.timedelta(hours=1))
    services.posting_start(by=cast.head, agreement=agreement, staff=cast.carer)
    services.visit_create(by=cast.carer, station=cast.station, organisation=facility,
                          visited_at=now - datetime.timedelta(days=1), visitors="赵照料", safety="消防通道畅通",
                          rows=[{"placement": placement, "care": "良好", "physical": "稳定", "mental": "平稳"}],
                          photos=[_png()])
    services.visit_create(by=cast.carer, station=cast.station, organisation=cast.hospital,
                          visited_at=now - datetime.timedelta(days=1), visitors="赵照料",
                          rows=[{"placement": ctx.placement, "care": "输液", "physical": "好转", "mental": "清楚",
                                 "tracing": "已发公告"}])
    worker = _user("world_facility", "托养护理员", facility, Role.CARER)
    services.condition_report_create(by=worker, placement=placement, condition="血压平稳")
    today = timezone.localdate()
    services.facility_report_create(by=worker, agreement=agreement, period_start=today - datetime.timedelta(days=30),
                                    period_end=today, headcount=1, care="日常照料正常")
    zone = ctx.beds[0].zone
    services.bringback_plan_create(by=cast.head, station=cast.station, planned_on=today, transport="站内车辆",
                                   zone=zone, placements=[placement])
    # The report forms are the hospital's and the facility's own (the station owner of the walk is not them);
    # outsidecare/tests prove another facility and an unrelated station get 404 there.
    return {"secrets": ["托世界"], "routes_without_fixture": {"/outsidecare/agreements/<uuid:uuid>/report/",
                                                            "/outsidecare/placements/<uuid:uuid>/report/"}}


def _png():
    from tests.world import _png as png

    return png()
