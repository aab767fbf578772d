"""Oversight objects for the every-URL scoping test (tests/world.py): a checklist, an inspection with a photo
and a failed item, its hazard submitted for acceptance."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from oversight import services
from oversight.models import Outcome, RiskCategory
from oversight.tests.assessment import concluded, make_indicator_set
from oversight.tests.panel import make_panel


def png(name="site.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def make_checklist(cast):
    by = cast.city_supervisor
    return [
        services.checklist_item_create(
            by=by,
            organisation=cast.city_dept,
            category=RiskCategory.FIRE,
            text="灭火器在有效期内并定点放置",
            guidance="逐个查看压力表和有效期",
        ),
        services.checklist_item_create(
            by=by,
            organisation=cast.city_dept,
            category=RiskCategory.FOOD,
            text="三餐留样48小时备查",
            guidance="查看留样柜和记录",
        ),
        services.checklist_item_create(
            by=by, organisation=cast.city_dept, category=RiskCategory.MISSING, text="出入口门禁和监控正常"
        ),
    ]


def extend_world(cast, ctx):
    items = make_checklist(cast)
    inspection = services.inspection_create(
        by=cast.head,
        organisation=cast.station,
        results=[
            {"item": items[0], "outcome": Outcome.FAIL, "note": "二楼走廊灭火器过期", "photo": png()},
            {"item": items[1], "outcome": Outcome.PASS},
            {"item": items[2], "outcome": Outcome.NA},
        ],
        participants="王站长、赵照料",
    )
    hazard = inspection.hazards.get()
    services.hazard_plan(by=cast.carer, hazard=hazard, measures="更换灭火器", responsible="赵照料")
    services.hazard_submit(by=cast.carer, hazard=hazard, rectification="已更换4具灭火器")
    panel = make_panel(cast)
    meeting = services.meeting_create(by=cast.panel_member, station=cast.station, held_at=timezone.now(),
                                      topic="上半年监督工作", minutes="听取站长汇报，查看寻亲月报", attendees=panel[:3])
    services.opinion_create(by=cast.panel_member, station=cast.station, text="女区夜间值班人员不足", meeting=meeting)
    assignment = services.leader_assign(by=cast.county_supervisor, leader=cast.county_supervisor,
                                        leader_role="deputy", institution=cast.station)
    services.contact_record(by=cast.county_supervisor, assignment=assignment, contacted_at=timezone.now(),
                            method="site", problems="监控室夜间无人值守",
                            items=[{"text": "落实监控室夜间值守", "due_on": timezone.localdate()}])
    # rule O5: a year's indicators, last year's assessment concluded with shortfalls (hazards), this year's open.
    make_indicator_set(cast, year=2025)
    make_indicator_set(cast, year=2026)
    concluded(cast, year=2025)
    services.assessment_open(by=cast.city_supervisor, station=cast.station, year=2026, evaluator_org=cast.panel)
    return {
        "secrets": ["二楼走廊灭火器过期", "女区夜间值班人员不足", "监控室夜间无人值守", "档案缺失三份", "自评属实"],
        # The checklist is the department's: a station user (the test's owner) reads it but may not edit it;
        # oversight/tests/test_views.py checks this page with the department and an outsider. The panel is
        # appointed by the department and speaks through its members, so the owner may not open those forms;
        # oversight/tests/test_panel_views.py checks them with the right users.
        "routes_without_fixture": {"/oversight/checklist/<uuid:uuid>/", "/oversight/panels/<uuid:uuid>/members/new/",
                                   "/oversight/panels/<uuid:uuid>/meetings/new/",
                                   "/oversight/panels/<uuid:uuid>/opinions/new/",
                                   # Indicators are edited, evaluations entered and assessments concluded by the
                                   # department or the evaluator, never the station (oversight/tests/test_assessment_views.py).
                                   "/oversight/indicator-items/<uuid:uuid>/",
                                   "/oversight/assessments/<uuid:uuid>/evaluate/",
                                   "/oversight/assessments/<uuid:uuid>/conclude/"},
    }
