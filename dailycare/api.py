"""API of daily care and the special groups (/api/v1/dailycare), rules C2, I8, N10, N11: the same scope, the
same permission helpers (``dailycare.access``) and the same services as the pages; Chinese errors."""

import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from core.audit import log_read
from core.models import Organisation, OrgKind, User
from core.paging import PAGE_SIZE
from dailycare import access, selectors, services
from dailycare.models import BasicService

router = Router()


def _page(qs, page: int):
    page = max(1, min(page, 10_000))
    return list(qs[(page - 1) * PAGE_SIZE: page * PAGE_SIZE])


def _staff(station, user_uuid: uuid.UUID | None, field: str = "responsible"):
    user = User.objects.filter(uuid=user_uuid, organisation=station, is_active=True).first() if user_uuid else None
    if user is None:
        raise ValidationError({field: "责任人须为本机构在职工作人员。"})
    return user


# --- rule C2: meals and samples ----------------------------------------------------------------------------
class SampleOut(Schema):
    uuid: uuid.UUID
    meal: uuid.UUID = Field(alias="meal.uuid")
    kept_at: datetime.datetime
    kept_by: str
    items: str
    grams: int
    storage: str
    keep_until: datetime.datetime
    disposed_at: datetime.datetime | None
    disposed_by: str | None
    disposal_note: str

    @staticmethod
    def resolve_kept_by(obj) -> str:
        return str(obj.kept_by)

    @staticmethod
    def resolve_disposed_by(obj) -> str | None:
        return str(obj.disposed_by) if obj.disposed_by_id else None


class MealOut(Schema):
    uuid: uuid.UUID
    station: str = Field(alias="zone.station.name")
    zone: uuid.UUID = Field(alias="zone.uuid")
    zone_name: str = Field(alias="zone.name")
    served_on: datetime.date
    meal: str
    served_at: datetime.datetime
    menu: str
    headcount: int
    note: str
    recorded_by: str
    sample: SampleOut | None

    @staticmethod
    def resolve_recorded_by(obj) -> str:
        return str(obj.recorded_by)

    @staticmethod
    def resolve_sample(obj):
        return getattr(obj, "sample", None)


class MealIn(Schema):
    zone: uuid.UUID
    served_on: datetime.date
    meal: str = Field(max_length=10, description="breakfast 早餐 / lunch 午餐 / dinner 晚餐")
    served_at: datetime.datetime | None = None
    menu: str = Field(max_length=300)
    headcount: int = Field(ge=0, le=10000)
    sample_items: str = Field("", max_length=300, description="留样品种；空则按菜谱")
    kept_at: datetime.datetime | None = None
    grams: int = Field(125, ge=50, le=2000)
    storage: str = Field("", max_length=100)
    note: str = Field("", max_length=200)


class DisposeIn(Schema):
    disposed_at: datetime.datetime | None = None
    note: str = Field("", max_length=200)


@router.get("/meals", response=list[MealOut], summary="三餐登记（规则C2）")
def meal_list(request, zone: str = "", date_from: datetime.date | None = None,
              date_to: datetime.date | None = None, meal: str = "", page: int = 1):
    rows = _page(selectors.meal_list(user=request.user, zone=zone, date_from=date_from, date_to=date_to,
                                     meal=meal), page)
    log_read(request, "三餐登记", objects=rows)
    return rows


@router.post("/meals", response={201: MealOut}, summary="登记一餐及其留样（规则C2）")
def meal_create(request, payload: MealIn):
    zone = get_object_or_404(selectors.zones(user=request.user), uuid=payload.zone)
    if not access.may_care(request.user, zone.station):
        raise PermissionDenied("三餐由本机构照料员、医护人员或站长登记。")
    data = payload.dict(exclude={"zone"})
    return Status(201, services.meal_record(by=request.user, zone=zone, **data))


@router.get("/meals/{meal_uuid}", response=MealOut, summary="一餐及其留样")
def meal_get(request, meal_uuid: uuid.UUID):
    return selectors.meal_get(user=request.user, uuid=meal_uuid)


@router.get("/samples", response=list[SampleOut], summary="留样记录（state: kept / due / disposed）")
def sample_list(request, state: str = "", page: int = 1):
    return _page(selectors.sample_list(user=request.user, state=state), page)


@router.get("/samples/{sample_uuid}", response=SampleOut, summary="留样")
def sample_get(request, sample_uuid: uuid.UUID):
    return selectors.sample_get(user=request.user, uuid=sample_uuid)


@router.post("/samples/{sample_uuid}/dispose", response=SampleOut, summary="销毁留样（期满前拒绝，规则C2）")
def sample_dispose(request, sample_uuid: uuid.UUID, payload: DisposeIn):
    sample = selectors.sample_get(user=request.user, uuid=sample_uuid)
    if not access.may_care(request.user, sample.meal.zone.station):
        raise PermissionDenied("留样由本机构照料员、医护人员或站长销毁。")
    return services.sample_dispose(by=request.user, sample=sample, disposed_at=payload.disposed_at,
                                   note=payload.note)


# --- rule C2: "六个一" ---------------------------------------------------------------------------------------
class ServiceItemOut(Schema):
    code: str
    name: str
    description: str


class CheckOut(Schema):
    service: str = Field(alias="service.code")
    name: str = Field(alias="service.name")
    outcome: str
    done_at: datetime.datetime
    done_by: str
    note: str

    @staticmethod
    def resolve_done_by(obj) -> str:
        return str(obj.done_by)


class OutcomeIn(Schema):
    service: str = Field(max_length=30, description="服务项目代码，如 bath")
    outcome: str = Field("done", max_length=16, description="done / declined / not_applicable")


class ChecksIn(Schema):
    outcomes: list[OutcomeIn] = Field(max_length=50)
    done_at: datetime.datetime | None = None
    note: str = Field("", max_length=200)


@router.get("/basic-services", response=list[ServiceItemOut], summary="“六个一”基本服务项目")
def basic_service_items(request):
    return list(BasicService.objects.filter(is_active=True))


@router.get("/episodes/{episode_uuid}/basic-services", response=list[CheckOut], summary="一个救助过程的“六个一”")
def basic_services_get(request, episode_uuid: uuid.UUID):
    episode = selectors.episode_get(user=request.user, uuid=episode_uuid)
    log_read(request, "“六个一”服务", person_uuid=episode.person.uuid, organisation=episode.station)
    return list(episode.basic_services.select_related("service", "done_by"))


@router.post("/episodes/{episode_uuid}/basic-services", response={201: list[CheckOut]}, summary="登记“六个一”")
def basic_services_post(request, episode_uuid: uuid.UUID, payload: ChecksIn):
    episode = selectors.episode_get(user=request.user, uuid=episode_uuid)
    if not access.may_care_for(request.user, episode):
        raise PermissionDenied("“六个一”服务由本机构工作人员登记。")
    codes = [o.service for o in payload.outcomes]
    items = {s.code: s for s in BasicService.objects.filter(is_active=True, code__in=codes)}
    unknown = [code for code in codes if code not in items]
    if unknown:
        raise ValidationError({"outcomes": f"服务项目不存在：{'、'.join(unknown)[:100]}"})
    if len(set(codes)) != len(codes):
        raise ValidationError({"outcomes": "同一服务项目只能登记一次。"})
    return Status(201, services.basic_services_record(
        by=request.user, episode=episode, outcomes={items[o.service]: o.outcome for o in payload.outcomes},
        done_at=payload.done_at, note=payload.note))


# --- rules I8, N10: minors -----------------------------------------------------------------------------------
class ReviewOut(Schema):
    uuid: uuid.UUID
    reviewed_at: datetime.datetime
    findings: str
    changes: str


class AssessmentOut(Schema):
    uuid: uuid.UUID
    guardian_name: str
    relationship: str
    assessed_at: datetime.datetime
    method: str
    findings: str
    conclusion: str
    support_measures: str


class ReferralOut(Schema):
    uuid: uuid.UUID
    centre: str = Field(alias="centre.name")
    referred_at: datetime.datetime
    reason: str


class MinorPlanOut(Schema):
    uuid: uuid.UUID
    episode: uuid.UUID = Field(alias="episode.uuid")
    person: str = Field(alias="episode.person.name")
    station: str = Field(alias="episode.station.name")
    assessment: str
    plan: str
    responsible: str
    written_at: datetime.datetime
    guardian_department: str | None
    temporary_guardianship_from: datetime.datetime | None
    long_term_department: str | None
    long_term_from: datetime.date | None
    long_term_basis: str
    closed_at: datetime.datetime | None

    @staticmethod
    def resolve_responsible(obj) -> str:
        return str(obj.responsible)

    @staticmethod
    def resolve_guardian_department(obj) -> str | None:
        return obj.guardian_department.name if obj.guardian_department_id else None

    @staticmethod
    def resolve_long_term_department(obj) -> str | None:
        return obj.long_term_department.name if obj.long_term_department_id else None


class MinorPlanDetail(MinorPlanOut):
    reviews: list[ReviewOut]
    assessments: list[AssessmentOut]
    referrals: list[ReferralOut]

    @staticmethod
    def resolve_reviews(obj):
        return list(obj.reviews.all())

    @staticmethod
    def resolve_assessments(obj):
        return list(obj.guardianship_assessments.all())

    @staticmethod
    def resolve_referrals(obj):
        return list(obj.referrals.select_related("centre"))


class MinorPlanIn(Schema):
    assessment: str = Field(max_length=1000)
    plan: str = Field(max_length=1000)
    responsible: uuid.UUID


class ReviewIn(Schema):
    findings: str = Field(max_length=1000)
    changes: str = Field("", max_length=1000)
    reviewed_at: datetime.datetime | None = None


class AssessmentIn(Schema):
    guardian_name: str = Field(max_length=50)
    relationship: str = Field(max_length=20)
    method: str = Field(max_length=100)
    findings: str = Field(max_length=2000)
    conclusion: str = Field(max_length=10, description="fit / support / unfit")
    support_measures: str = Field("", max_length=300)
    assessed_at: datetime.datetime | None = None


class GuardianshipIn(Schema):
    department: uuid.UUID
    started_at: datetime.datetime


class LongTermIn(Schema):
    department: uuid.UUID
    since: datetime.date
    basis: str = Field(max_length=300)


class ReferralIn(Schema):
    centre: uuid.UUID
    reason: str = Field(max_length=300)
    referred_at: datetime.datetime | None = None


def _plan_for_write(request, plan_uuid):
    plan = selectors.minor_plan_get(user=request.user, uuid=plan_uuid)
    if not access.may_plan(request.user, plan.episode):
        raise PermissionDenied("一人一策由本机构照料员、医护人员、寻亲员或站长办理。")
    return plan


def _department(department_uuid) -> Organisation | None:
    return Organisation.objects.filter(uuid=department_uuid, kind=OrgKind.CIVIL_AFFAIRS).first()


@router.get("/minor-plans", response=list[MinorPlanOut], summary="未成年人一人一策（规则I8）")
def minor_plan_list(request, state: str = "open", page: int = 1):
    rows = _page(selectors.minor_plan_list(user=request.user, state=state), page)
    log_read(request, "未成年人一人一策", objects=rows)
    return rows


@router.post("/episodes/{episode_uuid}/minor-plan", response={201: MinorPlanOut}, summary="制定一人一策（规则I8）")
def minor_plan_create(request, episode_uuid: uuid.UUID, payload: MinorPlanIn):
    episode = selectors.episode_get(user=request.user, uuid=episode_uuid)
    if not access.may_plan(request.user, episode):
        raise PermissionDenied("一人一策由本机构照料员、医护人员、寻亲员或站长制定。")
    return Status(201, services.minor_plan_create(by=request.user, episode=episode, assessment=payload.assessment,
                                                  plan=payload.plan,
                                                  responsible=_staff(episode.station, payload.responsible)))


@router.get("/minor-plans/{plan_uuid}", response=MinorPlanDetail, summary="一人一策详情")
def minor_plan_get(request, plan_uuid: uuid.UUID):
    plan = selectors.minor_plan_get(user=request.user, uuid=plan_uuid)
    log_read(request, "一人一策", person_uuid=plan.episode.person.uuid, organisation=plan.episode.station)
    return plan


@router.post("/minor-plans/{plan_uuid}/reviews", response={201: ReviewOut}, summary="一人一策定期评估")
def minor_plan_review(request, plan_uuid: uuid.UUID, payload: ReviewIn):
    plan = _plan_for_write(request, plan_uuid)
    return Status(201, services.plan_review_add(by=request.user, plan=plan, **payload.dict()))


@router.post("/minor-plans/{plan_uuid}/assessments", response={201: AssessmentOut},
             summary="家庭监护评估（返家前，规则N10）")
def minor_plan_assess(request, plan_uuid: uuid.UUID, payload: AssessmentIn):
    plan = _plan_for_write(request, plan_uuid)
    return Status(201, services.guardianship_assess(by=request.user, plan=plan, **payload.dict()))


@router.post("/minor-plans/{plan_uuid}/guardianship", response=MinorPlanOut, summary="民政部门临时监护（规则N10）")
def minor_plan_guardianship(request, plan_uuid: uuid.UUID, payload: GuardianshipIn):
    plan = _plan_for_write(request, plan_uuid)
    return services.temporary_guardianship_record(by=request.user, plan=plan, department=_department(
        payload.department), started_at=payload.started_at)


@router.post("/minor-plans/{plan_uuid}/long-term", response=MinorPlanOut, summary="长期监护（规则N10）")
def minor_plan_long_term(request, plan_uuid: uuid.UUID, payload: LongTermIn):
    plan = _plan_for_write(request, plan_uuid)
    return services.long_term_guardianship_record(by=request.user, plan=plan, department=_department(
        payload.department), since=payload.since, basis=payload.basis)


@router.post("/minor-plans/{plan_uuid}/referrals", response={201: ReferralOut},
             summary="转介至未成年人救助保护中心")
def minor_plan_refer(request, plan_uuid: uuid.UUID, payload: ReferralIn):
    plan = _plan_for_write(request, plan_uuid)
    centre = Organisation.objects.filter(uuid=payload.centre).first()
    return Status(201, services.minor_refer(by=request.user, plan=plan, centre=centre, reason=payload.reason,
                                            referred_at=payload.referred_at))


# --- rule I8: care plans -------------------------------------------------------------------------------------
class CarePlanOut(Schema):
    uuid: uuid.UUID
    episode: uuid.UUID = Field(alias="episode.uuid")
    person: str = Field(alias="episode.person.name")
    group: str
    zone: str = Field(alias="zone.name")
    needs: str
    measures: str
    responsible: str
    written_at: datetime.datetime
    ended_at: datetime.datetime | None

    @staticmethod
    def resolve_responsible(obj) -> str:
        return str(obj.responsible)


class CarePlanIn(Schema):
    group: str = Field(max_length=10, description="elderly / disabled / mental / pregnant")
    zone: uuid.UUID
    needs: str = Field(max_length=1000)
    measures: str = Field(max_length=1000)
    responsible: uuid.UUID


@router.get("/care-plans", response=list[CarePlanOut], summary="特殊群体照料方案（规则I8）")
def care_plan_list(request, group: str = "", state: str = "open",
                   page: int = 1):
    rows = _page(selectors.care_plan_list(user=request.user, group=group, state=state), page)
    log_read(request, "特殊群体照料方案", objects=rows)
    return rows


@router.post("/episodes/{episode_uuid}/care-plans", response={201: CarePlanOut}, summary="制定照料方案（规则I8）")
def care_plan_create(request, episode_uuid: uuid.UUID, payload: CarePlanIn):
    from stay.models import Zone

    episode = selectors.episode_get(user=request.user, uuid=episode_uuid)
    if not access.may_plan(request.user, episode):
        raise PermissionDenied("照料方案由本机构照料员、医护人员或站长制定。")
    zone = Zone.objects.filter(uuid=payload.zone, station=episode.station).first()
    return Status(201, services.care_plan_create(by=request.user, episode=episode, group=payload.group, zone=zone,
                                                 needs=payload.needs, measures=payload.measures,
                                                 responsible=_staff(episode.station, payload.responsible)))


@router.get("/care-plans/{care_uuid}", response=CarePlanOut, summary="照料方案")
def care_plan_get(request, care_uuid: uuid.UUID):
    return selectors.care_plan_get(user=request.user, uuid=care_uuid)


# --- rule N11: domestic violence -----------------------------------------------------------------------------
class DvReportOut(Schema):
    uuid: uuid.UUID
    reported_to: str
    recipient: str
    reported_at: datetime.datetime
    how: str
    content: str
    reference: str


class ShelterOut(Schema):
    uuid: uuid.UUID
    episode: uuid.UUID = Field(alias="episode.uuid")
    person: str = Field(alias="episode.person.name")
    sheltered_at: datetime.datetime
    abuser_relationship: str
    circumstances: str
    injuries: str
    safety_measures: str
    ended_at: datetime.datetime | None
    reports: list[DvReportOut]

    @staticmethod
    def resolve_reports(obj):
        return list(obj.reports.all())


class ShelterIn(Schema):
    abuser_relationship: str = Field(max_length=30)
    circumstances: str = Field(max_length=2000)
    injuries: str = Field("", max_length=300)
    safety_measures: str = Field("", max_length=300)
    sheltered_at: datetime.datetime | None = None


class DvReportIn(Schema):
    reported_to: str = Field(max_length=24, description="police / women_federation / residents_committee / …")
    recipient: str = Field(max_length=100)
    reported_at: datetime.datetime
    how: str = Field(max_length=50)
    content: str = Field(max_length=2000)
    reference: str = Field("", max_length=50)


@router.get("/shelters", response=list[ShelterOut], summary="家庭暴力受害人临时庇护（规则N11）")
def shelter_list(request, state: str = "open", page: int = 1):
    rows = _page(selectors.shelter_list(user=request.user, state=state).prefetch_related("reports"), page)
    log_read(request, "家庭暴力临时庇护", objects=rows)
    return rows


@router.post("/episodes/{episode_uuid}/shelter", response={201: ShelterOut}, summary="登记临时庇护（规则N11）")
def shelter_create(request, episode_uuid: uuid.UUID, payload: ShelterIn):
    episode = selectors.episode_get(user=request.user, uuid=episode_uuid)
    if not access.may_shelter(request.user, episode):
        raise PermissionDenied("临时庇护由本机构接待员、照料员或站长登记。")
    return Status(201, services.dv_shelter_open(by=request.user, episode=episode, **payload.dict()))


@router.get("/shelters/{shelter_uuid}", response=ShelterOut, summary="临时庇护")
def shelter_get(request, shelter_uuid: uuid.UUID):
    shelter = selectors.shelter_get(user=request.user, uuid=shelter_uuid)
    log_read(request, "家庭暴力临时庇护", person_uuid=shelter.episode.person.uuid, organisation=shelter.episode.station)
    return shelter


@router.post("/shelters/{shelter_uuid}/reports", response={201: DvReportOut}, summary="登记家庭暴力报告（规则N11）")
def shelter_report(request, shelter_uuid: uuid.UUID, payload: DvReportIn):
    shelter = selectors.shelter_get(user=request.user, uuid=shelter_uuid)
    if not access.may_shelter(request.user, shelter.episode):
        raise PermissionDenied("家庭暴力报告由本机构接待员、照料员或站长登记。")
    return Status(201, services.dv_report_add(by=request.user, shelter=shelter, **payload.dict()))
