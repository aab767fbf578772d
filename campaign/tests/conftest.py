"""A hand-counted fixture city for the campaign summary table (情况汇总表).

The records are written directly (the table only reads them; each app's own tests prove its services). The
campaign runs 2026-01-01 – 2026-12-31; the table is asked for 2026-06-30 (``AS_OF``). Expected figures are in
``EXPECTED`` — counted by hand from the comments below, not by running the code.
"""

import datetime
import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from core.models import Division, DivisionLevel, Organisation, OrgKind, Role, User, UserRole

AS_OF = datetime.date(2026, 6, 30)
START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 12, 31)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def before(days: int) -> datetime.datetime:
    """``days`` days before the table's date (10:00 local)."""
    return at(AS_OF - datetime.timedelta(days=days))


def scan(name="纪要.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (60, 80), (250, 250, 250)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


_seq = iter(range(1, 10_000))


def person_with_episode(station, *, admitted, left=None, status="in_station", identity="unidentified", by):
    from people.models import Episode, Person

    n = next(_seq)
    person = Person.objects.create(file_no=f"T{n:05d}", name=f"测试人员{n}", registered_by=station,
                                   identity_status=identity)
    episode = Episode.objects.create(number=f"E{n:05d}", person=person, station=station, status=status,
                                     channel="walk_in", requested_at=admitted, admitted_at=admitted, left_at=left,
                                     created_by=by)
    return person, episode


def identify(person, station, when, by):
    from tracing.models import Identification

    return Identification.objects.create(person=person, station=station, method="talk", evidence="谈话",
                                         confirmed_at=when, confirmed_by=by)


@pytest.fixture
def city(cast, settings, tmp_path):
    """清远: 市本级 (a minor-protection centre at 441800), 清城区 (the city station), 英德 (its station), 连州 (a new
    county department and station); 韶关 is another city."""
    from aftercare.models import (
        AttentionItem,
        DataSender,
        ReturnCase,
        RiskRegistration,
        SharedList,
        SharedListKind,
        SharedListRow,
    )
    from incidents.models import Incident
    from network.models import Contact
    from oversight.models import Inspection
    from staff.models import ExamResult, StaffMember, TrainingSession

    settings.MEDIA_ROOT = tmp_path
    c = SimpleNamespace(cast=cast)
    clerk = cast.city_supervisor
    c.minor_centre = Organisation.objects.create(
        name="清远市未成年人救助保护中心", code="QYWB", kind=OrgKind.MINOR_CENTRE,
        division=Division.objects.get(code="441800"), supervisor=cast.city_dept)
    c.lz_dept = Organisation.objects.create(name="连州市民政局", code="LZMZ", kind=OrgKind.CIVIL_AFFAIRS,
                                            division=Division.objects.get(code="441882"), supervisor=cast.city_dept)
    c.lz_station = Organisation.objects.create(name="连州市救助管理站", code="LZZ", kind=OrgKind.STATION,
                                               division=Division.objects.get(code="441882"), supervisor=c.lz_dept)
    c.facility = Organisation.objects.create(name="英德市福康托养中心", code="YDFK", kind=OrgKind.CARE_FACILITY,
                                             division=Division.objects.get(code="441881"), supervisor=cast.station)
    c.statistician = User.objects.create_user(username="tongji", password=cast.password, organisation=cast.city_dept)
    UserRole.objects.create(user=c.statistician, role=Role.STATISTICIAN)

    # stations_total: 市本级 1, 清城区 1, 英德 1, 连州 1 (total 4).
    # stations_inspected: 英德 by its county department in the period (1); 连州 by itself (no: not 相关部门);
    # the city station in 2025 (before the campaign) — total 1.
    for org, inspector, when in ((cast.station, cast.county_dept, before(20)), (c.lz_station, c.lz_station, before(5)),
                                 (cast.city_station, cast.city_dept, at(datetime.date(2025, 12, 1)))):
        Inspection.objects.create(number=f"JC{next(_seq)}", organisation=org, inspector_org=inspector,
                                  inspected_at=when, by=clerk)
    # incidents: 英德 2 in the period, 1 in 2025 (not counted); 连州 one after the table's date (not counted).
    for station, when in ((cast.station, before(3)), (cast.station, before(90)),
                          (cast.station, at(datetime.date(2025, 11, 1))), (c.lz_station, at(AS_OF + datetime.timedelta(days=2)))):
        Incident.objects.create(number=f"SJ{next(_seq)}", station=station, kind="opinion", occurred_at=when,
                                title="舆情", description="网络舆情", recorded_by=clerk)
    # stranded_at / stranded_unidentified (over 10 days, identity unknown at the date):
    #   英德 A 20 days, unknown → both; B 5 days, unknown → stranded only; C 30 days, identified on arrival →
    #   stranded only; D 40 days, identified 2 days AFTER the date → both; E left before the date → neither.
    #   清城区 H 12 days, unknown → both. 连州 G 15 days, identified within the period → stranded only.
    #   => stranded_at 英德 4, 清城区 1, 连州 1 (6); stranded_unidentified 英德 2, 清城区 1 (3).
    # identified (in the period, up to the date): 连州 G (1); D's is after the date.
    by = cast.reception
    person_with_episode(cast.station, admitted=before(20), by=by)
    person_with_episode(cast.station, admitted=before(5), by=by)
    person_with_episode(cast.station, admitted=before(30), identity="identified", by=by)
    d, _ = person_with_episode(cast.station, admitted=before(40), identity="identified", by=by)
    identify(d, cast.station, at(AS_OF + datetime.timedelta(days=2)), clerk)
    person_with_episode(cast.station, admitted=before(50), left=before(45), status="left", by=by)
    h, _ = person_with_episode(cast.city_station, admitted=before(12), by=by)
    g, _ = person_with_episode(c.lz_station, admitted=before(15), identity="identified", by=by)
    identify(g, c.lz_station, before(4), clerk)
    # ledger_stations: 英德 (1) and the minor centre at 市本级 (1) → total 2 (市级 1, 县级 1); a ledger entry of
    # 连州 after the date does not count.
    # registry_stations: the city station (清城区 row, but run by the city department: 市级) → 1 (市级 1, 县级 0).
    township_div = Division.objects.create(code="441881001", name="英城街道", level=DivisionLevel.TOWNSHIP,
                                           parent=Division.objects.get(code="441881"))
    village_div = Division.objects.create(code="441881001001", name="和平社区", level=DivisionLevel.VILLAGE,
                                          parent=township_div)
    c.township = Organisation.objects.create(name="英城街道办事处", code="YCJD", kind=OrgKind.TOWNSHIP,
                                             division=township_div, supervisor=cast.county_dept)
    c.village = Organisation.objects.create(name="和平社区居委会", code="HPSQ", kind=OrgKind.VILLAGE,
                                            division=village_div, supervisor=c.township)
    for station, when in ((cast.station, before(10)), (c.minor_centre, before(100)),
                          (c.lz_station, at(AS_OF + datetime.timedelta(days=1)))):
        person, episode = person_with_episode(station, admitted=when - datetime.timedelta(hours=2),
                                              left=when, status="left", identity="identified", by=by)
        ReturnCase.objects.create(person=person, episode=episode, station=station, way="ticket", returned_at=when,
                                  followup_org=station)
    registration = RiskRegistration.objects.create(
        name="易走失甲", address="英城街道和平社区", township=c.township, station=cast.city_station,
        registered_at=before(60), registered_by=clerk, visit_until=at(AS_OF + datetime.timedelta(days=300)))
    # poverty_wandering: 英德 county department, confirmed on a poverty list: person h and the registration
    # (2); a 低保 list item and a pending poverty item do not count.
    for kind, subject, status in ((SharedListKind.POVERTY, {"person": h}, "confirmed"),
                                  (SharedListKind.POVERTY, {"registration": registration}, "confirmed"),
                                  (SharedListKind.DIBAO, {"person": g}, "confirmed"),
                                  (SharedListKind.POVERTY, {"person": g}, "pending")):
        sender = DataSender.objects.create(organisation=cast.county_dept, name=f"来源{next(_seq)}", list_kind=kind,
                                           created_by=cast.county_supervisor)
        shared = SharedList.objects.create(sender=sender, organisation=cast.county_dept, list_kind=kind,
                                           file_name="名单.xlsx", imported_at=before(30),
                                           imported_by=cast.county_supervisor)
        row = SharedListRow.objects.create(shared_list=shared, row_no=2, name="名单人员")
        AttentionItem.objects.create(row=row, organisation=cast.county_dept, probability=0.99, reason="同一人",
                                     status=status, decided_at=before(20) if status == "confirmed" else None,
                                     **subject)
    # four_level_network: 英德 has a station, its one township an organisation with a liaison, its one village a
    # grid worker → 1; 连州 has a station but no township registered → 0.
    county = Division.objects.get(code="441881")
    Contact.objects.create(organisation=c.township, county=county, kind="liaison", name="联络员", phone="13800000001")
    Contact.objects.create(organisation=c.village, county=county, kind="grid", name="网格员", phone="13800000002")
    # staff at 英德 station: s1 (certificate; 2 days off-job in the period; tested), s2 (an internal session
    # only), s3 left before the date → staff 2, off_job_2_days 1, tested 1, certified 1.
    s1 = StaffMember.objects.create(organisation=cast.station, name="甲", post="照料员", hired_on=datetime.date(2020, 1, 1),
                                    social_worker_cert="assistant", cert_number="SG1")
    s2 = StaffMember.objects.create(organisation=cast.station, name="乙", post="寻亲员", hired_on=datetime.date(2020, 1, 1))
    StaffMember.objects.create(organisation=cast.station, name="丙", post="厨师", hired_on=datetime.date(2020, 1, 1),
                               left_on=AS_OF - datetime.timedelta(days=10))
    off = TrainingSession.objects.create(organisation=cast.station, topic="省级培训", held_on=AS_OF - datetime.timedelta(days=40),
                                         held_at=before(40), hours=16, days=2, kind="off_job", recorded_by=cast.head)
    off.attendees.set([s1])
    internal = TrainingSession.objects.create(organisation=cast.station, topic="站内培训", held_on=AS_OF - datetime.timedelta(days=30),
                                              held_at=before(30), hours=2, kind="internal", recorded_by=cast.head)
    internal.attendees.set([s1, s2])
    ExamResult.objects.create(staff=s1, subject="业务考试", taken_on=AS_OF - datetime.timedelta(days=20), score=90,
                              passed=True, recorded_by=cast.head)
    # 韶关's station: records that must never show in 清远's table.
    person_with_episode(cast.other_station, admitted=before(30), by=by)
    c.h, c.g = h, g
    refresh_figures()
    return c


def refresh_figures():
    """The people-in-care columns come from the statistics' summary tables (refreshed by the task queue)."""
    from figures.models import RefreshTrigger
    from figures.refresh import refresh

    refresh(trigger=RefreshTrigger.COMMAND, full=True)


#: 清远's rows in code order: 市本级 441800, 清城区 441802, 清新区 441803, 佛冈 441821, 阳山 441823, 连山 441825,
#: 连南 441826, 英德 441881, 连州 441882.
EXPECTED = {
    "stations_total": {"441800": 1, "441802": 1, "441881": 1, "441882": 1},
    "stations_inspected": {"441881": 1},
    "incidents": {"441881": 2},
    "stranded_unidentified": {"441881": 2, "441802": 1},
    "identified": {"441882": 1},
    "stranded_at": {"441881": 4, "441802": 1, "441882": 1},
    "ledger_stations": {"441881": 1, "441800": 1},
    "registry_stations": {"441802": 1},
    "poverty_wandering": {"441881": 2},
    "four_level_network": {"441881": 1},
    "staff": {"441881": 2},
    "off_job_2_days": {"441881": 1},
    "tested": {"441881": 1},
    "certified": {"441881": 1},
}


@pytest.fixture
def campaign(cast):
    from campaign import services

    return services.campaign_create(
        by=cast.city_supervisor, department=cast.city_dept,
        data={"name": "救助管理服务质量大提升专项行动", "starts_on": START, "ends_on": END},
        reporting_dates=[(datetime.date(2026, 7, 31), "第一阶段"), (datetime.date(2026, 11, 30), "第二阶段")],
    )
