"""Rules I8, N10, N11: one person, one plan for every minor (reviews on a schedule, temporary and long-term
guardianship, the family's guardianship assessed before a return home, referral to a minors' protection centre);
tailored care plans with their zone; temporary shelter of domestic-violence victims and the report of violence."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import AuditAction, AuditEntry, Organisation, OrgKind
from dailycare import services
from dailycare.models import CarePlan, DvReport, DvShelter, GuardianshipAssessment, MinorPlan
from dailycare.selectors import episode_todo
from deadlines.registry import BUCKET_OVERDUE
from deadlines.tests.conftest import admit, bucket_of, local
from leaving.models import Departure
from leaving.services import departure_create
from leaving.tests.test_services import CLAIMANT_ID, png_upload
from oversight.tests.panel import make_panel
from people.models import Episode
from stay.tests.factories import admitted_episode, station_beds

pytestmark = pytest.mark.django_db


def _plan(cast, episode=None, **kw):
    episode = episode or admitted_episode(cast, age=12, name="小明", is_minor=True)
    return services.minor_plan_create(by=cast.carer, episode=episode, assessment="与家人走散，身体健康",
                                      plan="安排在未成年人区，心理疏导，联系家人", responsible=cast.carer, **kw)


def _assess(cast, plan, conclusion="fit", **kw):
    data = {"guardian_name": "张父", "relationship": "父亲", "method": "入户走访", "findings": "家庭稳定",
            "conclusion": conclusion, **kw}
    return services.guardianship_assess(by=cast.carer, plan=plan, **data)


def test_i8_a_plan_is_written_for_a_minor_with_a_responsible_staff_member(cast):
    adult = admitted_episode(cast, age=30)
    with pytest.raises(ValidationError, match="只为未成年人"):
        _plan(cast, adult)
    child = admitted_episode(cast, age=12, name="小明", is_minor=True)
    with pytest.raises(ValidationError) as exc:
        services.minor_plan_create(by=cast.carer, episode=child, assessment="a", plan="b", responsible=cast.outsider)
    assert "本机构" in exc.value.message_dict["responsible"][0]
    plan = _plan(cast, child)
    with pytest.raises(ValidationError, match="已有一人一策"):
        _plan(cast, child)
    assert MinorPlan.objects.count() == 1 and plan.written_by == cast.carer
    entry = AuditEntry.objects.get(object_type="dailycare.MinorPlan", action=AuditAction.CREATE)
    assert entry.person_uuid == child.person.uuid


def test_i8_a_change_of_the_plan_is_audited_old_to_new(cast):
    plan = _plan(cast)
    services.minor_plan_update(by=cast.head, plan=plan, assessment=plan.assessment, plan_text="转入学校就读",
                               responsible=cast.tracer)
    entry = AuditEntry.objects.get(object_type="dailycare.MinorPlan", action=AuditAction.UPDATE)
    assert entry.changes["plan"][1] == "转入学校就读" and entry.changes["responsible"][1] == str(cast.tracer)


def test_i8p_a_minor_without_a_plan_is_overdue_three_days_after_admission(cast):
    child = admit(cast, local(2026, 3, 2, 10), name="小红", birth_date=datetime.date(2014, 1, 1), is_minor=True)
    adult = admit(cast, local(2026, 3, 2, 10), name="老张")
    assert bucket_of("I8P", child, local(2026, 3, 5, 11)) == BUCKET_OVERDUE
    assert bucket_of("I8P", adult, local(2026, 3, 5, 11)) is None
    with time_machine.travel(local(2026, 3, 4, 9), tick=False):
        _plan(cast, child)
    assert bucket_of("I8P", child, local(2026, 3, 5, 11)) is None


def test_i8r_the_plan_is_reviewed_every_seven_days_review_after_review(cast):
    child = admit(cast, local(2026, 3, 2, 10), name="小红", birth_date=datetime.date(2014, 1, 1), is_minor=True)
    with time_machine.travel(local(2026, 3, 2, 12), tick=False):
        plan = _plan(cast, child)
    assert bucket_of("I8R", plan, local(2026, 3, 9, 13)) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 3, 8, 12), tick=False):
        review = services.plan_review_add(by=cast.carer, plan=plan, findings="适应良好")
    assert bucket_of("I8R", plan, local(2026, 3, 9, 13)) is None
    assert bucket_of("I8Rn", review, local(2026, 3, 15, 13)) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 3, 14, 12), tick=False):
        second = services.plan_review_add(by=cast.carer, plan=plan, findings="情绪稳定", changes="增加学习辅导")
        with pytest.raises(ValidationError, match="不能早于"):
            services.plan_review_add(by=cast.carer, plan=plan, findings="x", reviewed_at=local(2026, 3, 10))
    assert second.previous == review and bucket_of("I8Rn", review, local(2026, 3, 15, 13)) is None


def test_n10_temporary_guardianship_by_a_department_above_the_station_with_its_start(cast):
    plan = _plan(cast)
    start = plan.episode.admitted_at
    with pytest.raises(ValidationError) as exc:
        services.temporary_guardianship_record(by=cast.head, plan=plan, department=cast.other_dept, started_at=start)
    assert "本机构所属的民政部门" in exc.value.message_dict["department"][0]
    with pytest.raises(ValidationError):
        services.temporary_guardianship_record(by=cast.head, plan=plan, department=cast.hospital, started_at=start)
    services.temporary_guardianship_record(by=cast.head, plan=plan, department=cast.county_dept, started_at=start)
    plan.refresh_from_db()
    assert plan.guardian_department == cast.county_dept and plan.temporary_guardianship_from == start
    with pytest.raises(ValidationError, match="已登记"):
        services.temporary_guardianship_record(by=cast.head, plan=plan, department=cast.city_dept, started_at=start)


def test_n10_long_term_guardianship_only_where_no_family_is_found(cast):
    plan = _plan(cast)
    with pytest.raises(ValidationError, match="先登记民政部门临时监护"):
        services.long_term_guardianship_record(by=cast.head, plan=plan, department=cast.county_dept,
                                               since=timezone.localdate(), basis="寻亲无果")
    services.temporary_guardianship_record(by=cast.head, plan=plan, department=cast.county_dept,
                                           started_at=plan.episode.admitted_at)
    person = plan.episode.person
    person.identity_status = "identified"
    person.save(update_fields=["identity_status"])
    with pytest.raises(ValidationError, match="应当护送返家"):
        services.long_term_guardianship_record(by=cast.head, plan=plan, department=cast.county_dept,
                                               since=timezone.localdate(), basis="寻亲无果")
    _assess(cast, plan, conclusion="unfit", findings="父母长期吸毒，无监护能力")
    services.long_term_guardianship_record(by=cast.head, plan=plan, department=cast.county_dept,
                                           since=timezone.localdate(), basis="监护人不具备监护能力")
    plan.refresh_from_db()
    assert plan.long_term_from == timezone.localdate() and plan.long_term_department == cast.county_dept


def test_n10_referral_goes_only_to_a_minors_protection_centre(cast):
    plan = _plan(cast)
    with pytest.raises(ValidationError) as exc:
        services.minor_refer(by=cast.carer, plan=plan, centre=cast.city_station, reason="长期照料")
    assert "未成年人救助保护中心" in exc.value.message_dict["centre"][0]
    centre = Organisation.objects.create(name="清远市未成年人救助保护中心", code="QYWB", kind=OrgKind.MINOR_CENTRE,
                                         division=cast.city_station.division, supervisor=cast.city_dept)
    referral = services.minor_refer(by=cast.carer, plan=plan, centre=centre, reason="长期照料")
    assert referral.referred_by == cast.carer and plan.referrals.count() == 1


def test_n10_support_conclusion_needs_the_measures(cast):
    plan = _plan(cast)
    with pytest.raises(ValidationError) as exc:
        _assess(cast, plan, conclusion="support")
    assert "帮扶措施" in exc.value.message_dict["support_measures"][0]
    assert not GuardianshipAssessment.objects.exists()


def _home_with_family(cast, episode, panel):
    return departure_create(by=cast.reception, episode=episode, exit_type="family",
                            data={"claimant_name": "张父", "claimant_relationship": "父亲",
                                  "claimant_phone": "13800000000", "witness_1": str(panel[0].uuid),
                                  "witness_2": str(panel[1].uuid)},
                            claimant_id_number=CLAIMANT_ID, claimant_id_copy=png_upload())


def test_n10_a_minor_with_a_plan_goes_home_only_after_a_kept_guardianship_assessment(cast):
    panel = make_panel(cast)
    plan = _plan(cast)
    episode = plan.episode
    assert [t for t in episode_todo(episode=episode, user=cast.carer) if t["rule"] == "N10"]
    with pytest.raises(ValidationError) as exc:
        _home_with_family(cast, episode, panel)
    assert "评估家庭监护" in exc.value.message_dict["exit_type"][0]
    episode.refresh_from_db()
    assert episode.status == "admitted" and not Departure.objects.exists()  # rolled back, nothing saved
    _assess(cast, plan, conclusion="unfit")
    with pytest.raises(ValidationError, match="不具备监护能力"):
        _home_with_family(cast, episode, panel)
    _assess(cast, plan, conclusion="fit")
    assert services.return_home_problem(episode, "family") == ""
    _home_with_family(cast, episode, panel)
    plan.refresh_from_db()
    assert plan.closed_at is not None and Episode.objects.get(pk=episode.pk).status == "left"


def test_n10_the_check_leaves_adults_and_other_ways_out_alone(cast):
    adult = admitted_episode(cast, age=30)
    assert services.return_home_problem(adult, "family") == ""
    plan = _plan(cast)
    assert services.return_home_problem(plan.episode, "transfer") == ""
    assert "评估家庭监护" in services.return_home_problem(plan.episode, "home_escorted")


def test_i8_care_plans_for_the_special_groups_with_their_zone(cast):
    zones = station_beds(cast)
    elderly = admitted_episode(cast, age=75, is_elderly=True)
    with pytest.raises(ValidationError) as exc:
        services.care_plan_create(by=cast.carer, episode=elderly, group="pregnant", zone=zones.women, needs="a",
                                  measures="b", responsible=cast.carer)
    assert "档案未标注为孕妇" in exc.value.message_dict["group"][0]
    todo = [t for t in episode_todo(episode=elderly, user=cast.carer) if t["key"].startswith("dailycare:care")]
    assert todo and todo[0]["rule"] == "I8"
    care = services.care_plan_create(by=cast.carer, episode=elderly, group="elderly", zone=zones.medical,
                                     needs="行动迟缓，高血压", measures="安排下铺，每日测血压", responsible=cast.carer)
    with pytest.raises(ValidationError, match="已有老年人照料方案"):
        services.care_plan_create(by=cast.carer, episode=elderly, group="elderly", zone=zones.men, needs="a",
                                  measures="b", responsible=cast.carer)
    other_zone = station_beds(cast, station=cast.other_station, by=cast.outsider).men
    with pytest.raises(ValidationError, match="本机构"):
        services.care_plan_create(by=cast.carer, episode=admitted_episode(cast, age=40, has_disability=True),
                                  group="disabled", zone=other_zone, needs="a", measures="b", responsible=cast.carer)
    assert care.zone == zones.medical and CarePlan.objects.count() == 1
    services.care_plan_end(by=cast.carer, care=care)
    care.refresh_from_db()
    assert care.ended_at is not None


def test_n11_a_shelter_needs_its_report_within_24_hours_to_whom_and_when(cast):
    victim = admit(cast, local(2026, 3, 2, 10), name="刘女士", sex="女")
    with time_machine.travel(local(2026, 3, 2, 11), tick=False):
        shelter = services.dv_shelter_open(by=cast.reception, episode=victim, abuser_relationship="丈夫",
                                           circumstances="长期遭受殴打，身上多处淤伤", injuries="手臂淤伤")
        with pytest.raises(ValidationError, match="已登记"):
            services.dv_shelter_open(by=cast.reception, episode=victim, abuser_relationship="丈夫", circumstances="x")
    assert bucket_of("N11R", shelter, local(2026, 3, 3, 12)) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 3, 2, 15), tick=False):
        with pytest.raises(ValidationError) as exc:
            services.dv_report_add(by=cast.reception, shelter=shelter, reported_to="press", recipient="x", how="电话",
                                   content="x")
        assert "报告对象" in exc.value.message_dict["reported_to"][0]
        with pytest.raises(ValidationError, match="不能晚于当前时间"):
            services.dv_report_add(by=cast.reception, shelter=shelter, reported_to="police", recipient="城关派出所",
                                   how="电话", content="x", reported_at=local(2026, 3, 2, 18))
        assert not DvReport.objects.exists()
        services.dv_report_add(by=cast.reception, shelter=shelter, reported_to="police", recipient="城关派出所 李警官",
                               how="电话", content="报告刘女士遭受丈夫殴打的情况", reference="JQ2026-001")
        services.dv_report_add(by=cast.reception, shelter=shelter, reported_to="women_federation",
                               recipient="英德市妇联", how="书面", content="请妇联跟进")
    assert bucket_of("N11R", shelter, local(2026, 3, 3, 12)) is None
    assert shelter.reports.count() == 2 and DvShelter.objects.get().recorded_by == cast.reception
