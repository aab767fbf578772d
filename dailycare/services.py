"""Every write of daily care and the special groups (rules C2, I8, N10, N11): keyword-only, one transaction
each, validate → write → audit (old → new). Callers check who may act (``dailycare.access``); these functions
check what is allowed and answer in Chinese."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_create, audit_update, snapshot
from core.models import Organisation, OrgKind
from dailycare.models import (
    GROUP_FLAGS,
    RETURN_ALLOWED,
    BasicService,
    BasicServiceCheck,
    CareGroup,
    CarePlan,
    DvReport,
    DvShelter,
    GuardianshipAssessment,
    GuardianshipConclusion,
    Meal,
    MealRecord,
    MealSample,
    MinorPlan,
    MinorReferral,
    PlanReview,
    ReportedTo,
    ServiceOutcome,
)
from oversight.services import clean_text, not_future
from people.models import Episode, IdentityStatus
from people.states import IN_CARE

#: Ways out that end with the family (rule N10): 返乡（购票/护送）and 亲属接领 — leaving's exit-type values.
HOME_EXITS = frozenset({"home_ticket", "home_escorted", "family"})


def keep_hours() -> int:
    """Rule C2: hours a meal's sample is kept before it may be disposed of (GUITU_RULES, default 48)."""
    return int(settings.GUITU_RULES.get("C2_SAMPLE_KEEP_HOURS", 48))


def _aware(at: datetime.datetime | None, field: str, label: str) -> datetime.datetime:
    return not_future(at or timezone.now(), field, label)


def _in_care(episode: Episode) -> None:
    if episode.status not in IN_CARE:
        raise ValidationError(f"当前状态为“{episode.status_label}”，不在站内照料中。")


def _not_before_request(episode: Episode, at: datetime.datetime, field: str, label: str) -> None:
    if at < episode.requested_at:
        raise ValidationError({field: f"{label}不能早于求助时间（{timezone.localtime(episode.requested_at):%Y-%m-%d %H:%M}）。"})


def _staff_of(user, station: Organisation, field: str, label: str) -> None:
    if user is None or user.organisation_id != station.pk or not user.is_active:
        raise ValidationError({field: f"{label}须为本机构在职工作人员。"})


def _audit_new(by, obj, episode: Episode, summary: str) -> None:
    audit_create(actor=by, obj=obj, summary=summary, organisation=episode.station, person_uuid=episode.person.uuid)


# --- rule C2: meals and samples --------------------------------------------------------------------------
@transaction.atomic
def meal_record(*, by, zone, served_on: datetime.date, meal: str, menu: str, headcount: int,
                sample_items: str = "", served_at: datetime.datetime | None = None,
                kept_at: datetime.datetime | None = None, grams: int = 125, storage: str = "",
                note: str = "") -> MealRecord:
    """Record one meal served in a zone, with its kept sample (rule C2: three meals a day, each sampled).
    One record per zone, day and meal (DB constraint ``dailycare_one_meal_per_zone_day``)."""
    if meal not in Meal.values:
        raise ValidationError({"meal": "请选择餐次（早餐、午餐、晚餐）。"})
    if not zone.is_active:
        raise ValidationError({"zone": "该照料区域已停用。"})
    if served_on is None:
        raise ValidationError({"served_on": "请填写日期。"})
    today = timezone.localdate()
    if served_on > today:
        raise ValidationError({"served_on": "日期不能晚于今天：三餐在供餐后登记。"})
    if served_at is None:
        served_at = (timezone.make_aware(datetime.datetime.combine(served_on, DEFAULT_TIMES[meal]))
                     if served_on < today else timezone.now())
    served_at = not_future(served_at, "served_at", "供餐时间")
    if timezone.localtime(served_at).date() != served_on:
        raise ValidationError({"served_at": "供餐时间须在所登记的日期当天。"})
    menu = clean_text(menu, 300, "menu", "菜谱", required=True)
    note = clean_text(note, 200, "note", "备注")
    if headcount is None or not 0 <= int(headcount) <= 10000:
        raise ValidationError({"headcount": "就餐人数应在 0–10000 之间。"})
    sample_items = clean_text(sample_items or menu, 300, "sample_items", "留样品种", required=True)
    storage = clean_text(storage, 100, "storage", "存放位置")
    if not 50 <= int(grams or 0) <= 2000:
        raise ValidationError({"grams": "每样留样重量应在 50–2000 克之间（一般不少于 125 克）。"})
    kept_at = not_future(kept_at or served_at, "kept_at", "留样时间")
    if kept_at < served_at - datetime.timedelta(hours=3):
        raise ValidationError({"kept_at": "留样时间不能早于供餐前 3 小时。"})
    if MealRecord.objects.filter(zone=zone, served_on=served_on, meal=meal).exists():
        raise ValidationError({"meal": f"{zone.name} {served_on:%Y-%m-%d} 的{Meal(meal).label}已登记，不能重复登记。"})
    try:
        with transaction.atomic():
            record = MealRecord.objects.create(zone=zone, served_on=served_on, meal=meal, served_at=served_at,
                                               menu=menu, headcount=int(headcount), note=note, recorded_by=by)
    except IntegrityError as exc:  # a second carer saved the same meal at the same moment
        raise ValidationError({"meal": f"{zone.name} {served_on:%Y-%m-%d} 的{Meal(meal).label}已登记，不能重复登记。"}) from exc
    sample = MealSample.objects.create(meal=record, kept_at=kept_at, kept_by=by, items=sample_items, grams=int(grams),
                                       storage=storage, keep_until=kept_at + datetime.timedelta(hours=keep_hours()))
    audit_create(actor=by, obj=record, organisation=zone.station,
                 summary=f"三餐登记：{zone.name} {served_on:%Y-%m-%d} {Meal(meal).label}（{record.headcount} 人，规则C2）")
    audit_create(actor=by, obj=sample, organisation=zone.station,
                 summary=f"留样：{record}，保存至 {timezone.localtime(sample.keep_until):%Y-%m-%d %H:%M}（规则C2）")
    return record


#: When a meal of a past day is taken to have been served, unless the form says otherwise.
DEFAULT_TIMES = {Meal.BREAKFAST: datetime.time(7, 30), Meal.LUNCH: datetime.time(11, 30),
                 Meal.DINNER: datetime.time(17, 30)}


@transaction.atomic
def sample_dispose(*, by, sample: MealSample, disposed_at: datetime.datetime | None = None,
                   note: str = "") -> MealSample:
    """Dispose of a kept sample — refused before the kept period ends (rule C2)."""
    sample = MealSample.objects.select_for_update().select_related("meal__zone__station").get(pk=sample.pk)
    if sample.disposed_at is not None:
        raise ValidationError("该留样已销毁。")
    disposed_at = _aware(disposed_at, "disposed_at", "销毁时间")
    if disposed_at < sample.keep_until:
        raise ValidationError({"disposed_at": (
            f"留样须保存至 {timezone.localtime(sample.keep_until):%Y-%m-%d %H:%M}（{keep_hours()} 小时），"
            "期满前不能销毁（规则C2）。")})
    note = clean_text(note, 200, "disposal_note", "销毁说明")
    before = snapshot(sample, ["disposed_at", "disposed_by", "disposal_note"])
    sample.disposed_at, sample.disposed_by, sample.disposal_note = disposed_at, by, note
    sample.save(update_fields=["disposed_at", "disposed_by", "disposal_note", "updated_at"])
    audit_update(actor=by, obj=sample, before=before, organisation=sample.meal.zone.station,
                 summary=f"销毁留样：{sample.meal}（规则C2）")
    return sample


# --- rule C2: the "六个一" basic services -------------------------------------------------------------------
@transaction.atomic
def basic_services_record(*, by, episode: Episode, outcomes: dict, done_at: datetime.datetime | None = None,
                          note: str = "") -> list[BasicServiceCheck]:
    """Record the "六个一" basic services given at admission (``{BasicService: outcome}``), each with who and
    when; an item already recorded for the episode is refused (DB constraint ``dailycare_one_check_per_item``)."""
    episode = Episode.objects.select_for_update().select_related("person", "station").get(pk=episode.pk)
    _in_care(episode)
    if not outcomes:
        raise ValidationError("请至少选择一项已提供的服务。")
    done_at = _aware(done_at, "done_at", "服务时间")
    _not_before_request(episode, done_at, "done_at", "服务时间")
    note = clean_text(note, 200, "note", "说明")
    recorded = set(BasicServiceCheck.objects.filter(episode=episode).values_list("service_id", flat=True))
    checks = []
    for service, outcome in outcomes.items():
        if not isinstance(service, BasicService) or not service.is_active:
            raise ValidationError("服务项目不存在或已停用。")
        if outcome not in ServiceOutcome.values:
            raise ValidationError({"outcome": "请选择服务结果。"})
        if service.pk in recorded:
            raise ValidationError(f"“{service.name}”已登记，不能重复登记。")
        check = BasicServiceCheck.objects.create(episode=episode, service=service, outcome=outcome,
                                                 done_at=done_at, done_by=by, note=note)
        _audit_new(by, check, episode, f"{episode.number} “六个一”：{service.name}（{check.get_outcome_display()}，规则C2）")
        checks.append(check)
    return checks


def basic_services_missing(episode: Episode) -> list[BasicService]:
    """Active "六个一" items not yet recorded for the episode."""
    done = BasicServiceCheck.objects.filter(episode=episode).values("service_id")
    return list(BasicService.objects.filter(is_active=True).exclude(pk__in=done))


# --- rules I8, N10: minors ------------------------------------------------------------------------------------
def is_minor(episode: Episode, at: datetime.datetime | None = None) -> bool:
    """Under 18 on the day (from the birth date or the estimated year), else the file's 未成年人 flag."""
    age = episode.person.age_on(timezone.localtime(at or timezone.now()).date())
    return episode.person.is_minor if age is None else age < 18


def _plan_text(assessment: str, plan: str) -> tuple[str, str]:
    return (clean_text(assessment, 1000, "assessment", "综合评估", required=True),
            clean_text(plan, 1000, "plan", "保护方案", required=True))


@transaction.atomic
def minor_plan_create(*, by, episode: Episode, assessment: str, plan: str, responsible,
                      written_at: datetime.datetime | None = None) -> MinorPlan:
    """Write a minor's one-person-one-plan (rule I8): assessment, plan, responsible staff member."""
    episode = Episode.objects.select_for_update().select_related("person", "station").get(pk=episode.pk)
    _in_care(episode)
    if not is_minor(episode):
        raise ValidationError("一人一策只为未成年人制定；请先核对档案中的年龄。")
    if MinorPlan.objects.filter(episode=episode).exists():
        raise ValidationError("该未成年人已有一人一策，请在原方案上修改或定期评估。")
    assessment, plan = _plan_text(assessment, plan)
    _staff_of(responsible, episode.station, "responsible", "责任人")
    written_at = _aware(written_at, "written_at", "制定时间")
    _not_before_request(episode, written_at, "written_at", "制定时间")
    record = MinorPlan.objects.create(episode=episode, assessment=assessment, plan=plan, responsible=responsible,
                                      written_at=written_at, written_by=by)
    _audit_new(by, record, episode, f"{episode.number} 制定未成年人一人一策（规则I8）")
    return record


@transaction.atomic
def minor_plan_update(*, by, plan: MinorPlan, assessment: str, plan_text: str, responsible) -> MinorPlan:
    """Change a minor's plan (assessment, measures, responsible staff); audited old → new."""
    plan = MinorPlan.objects.select_for_update().select_related("episode__station", "episode__person").get(pk=plan.pk)
    if plan.closed_at is not None:
        raise ValidationError("该一人一策已结束，不能修改。")
    assessment, plan_text = _plan_text(assessment, plan_text)
    _staff_of(responsible, plan.episode.station, "responsible", "责任人")
    before = snapshot(plan, ["assessment", "plan", "responsible"])
    plan.assessment, plan.plan, plan.responsible = assessment, plan_text, responsible
    plan.save(update_fields=["assessment", "plan", "responsible", "updated_at"])
    audit_update(actor=by, obj=plan, before=before, organisation=plan.episode.station,
                 person_uuid=plan.episode.person.uuid, summary=f"{plan.episode.number} 修改一人一策（规则I8）")
    return plan


def _open_plan(plan: MinorPlan) -> MinorPlan:
    plan = MinorPlan.objects.select_for_update().select_related("episode__station", "episode__person").get(pk=plan.pk)
    if plan.closed_at is not None:
        raise ValidationError("该一人一策已结束。")
    return plan


@transaction.atomic
def plan_review_add(*, by, plan: MinorPlan, findings: str, changes: str = "",
                    reviewed_at: datetime.datetime | None = None) -> PlanReview:
    """A scheduled review of a minor's plan (rule I8, every GUITU_RULES["I8_REVIEW_DAYS"] days)."""
    plan = _open_plan(plan)
    findings = clean_text(findings, 1000, "findings", "评估情况", required=True)
    changes = clean_text(changes, 1000, "changes", "方案调整")
    reviewed_at = _aware(reviewed_at, "reviewed_at", "评估时间")
    previous = plan.reviews.order_by("-reviewed_at", "-pk").first()
    if reviewed_at < (previous.reviewed_at if previous else plan.written_at):
        raise ValidationError({"reviewed_at": "评估时间不能早于制定时间或上一次评估。"})
    review = PlanReview.objects.create(plan=plan, previous=previous, reviewed_at=reviewed_at, reviewed_by=by,
                                       findings=findings, changes=changes)
    _audit_new(by, review, plan.episode, f"{plan.episode.number} 一人一策定期评估（规则I8）")
    return review


def _department_above(station: Organisation, department: Organisation | None, field: str) -> Organisation:
    """A civil-affairs department that supervises ``station`` (directly or above it)."""
    from dailycare.selectors import departments_above

    if department is None or department.kind != OrgKind.CIVIL_AFFAIRS:
        raise ValidationError({field: "请选择民政部门。"})
    if department.pk not in {d.pk for d in departments_above(station)}:
        raise ValidationError({field: "须为本机构所属的民政部门（本级或上级）。"})
    return department


@transaction.atomic
def temporary_guardianship_record(*, by, plan: MinorPlan, department: Organisation,
                                  started_at: datetime.datetime) -> MinorPlan:
    """Rule N10: the civil-affairs department takes temporary guardianship — recorded with its start."""
    plan = _open_plan(plan)
    if plan.temporary_guardianship_from is not None:
        raise ValidationError("临时监护已登记。")
    department = _department_above(plan.episode.station, department, "department")
    started_at = _aware(started_at, "started_at", "临时监护开始时间")
    _not_before_request(plan.episode, started_at, "started_at", "临时监护开始时间")
    before = snapshot(plan, ["guardian_department", "temporary_guardianship_from"])
    plan.guardian_department, plan.temporary_guardianship_from = department, started_at
    plan.save(update_fields=["guardian_department", "temporary_guardianship_from", "updated_at"])
    audit_update(actor=by, obj=plan, before=before, organisation=plan.episode.station,
                 person_uuid=plan.episode.person.uuid,
                 summary=f"{plan.episode.number} 民政部门临时监护（{department.name}，规则N10）")
    return plan


@transaction.atomic
def guardianship_assess(*, by, plan: MinorPlan, guardian_name: str, relationship: str, method: str,
                        findings: str, conclusion: str, support_measures: str = "",
                        assessed_at: datetime.datetime | None = None) -> GuardianshipAssessment:
    """Rule N10: the family's guardianship assessed before a return home; the assessment is kept."""
    plan = _open_plan(plan)
    fields = {
        "guardian_name": clean_text(guardian_name, 50, "guardian_name", "监护人姓名", required=True),
        "relationship": clean_text(relationship, 20, "relationship", "与未成年人关系", required=True),
        "method": clean_text(method, 100, "method", "评估方式", required=True),
        "findings": clean_text(findings, 2000, "findings", "评估情况", required=True),
        "support_measures": clean_text(support_measures, 300, "support_measures", "帮扶措施"),
    }
    if conclusion not in GuardianshipConclusion.values:
        raise ValidationError({"conclusion": "请选择评估结论。"})
    if conclusion == GuardianshipConclusion.SUPPORT and not fields["support_measures"]:
        raise ValidationError({"support_measures": "经帮扶后返家的，请写明帮扶措施。"})
    assessed_at = _aware(assessed_at, "assessed_at", "评估时间")
    _not_before_request(plan.episode, assessed_at, "assessed_at", "评估时间")
    record = GuardianshipAssessment.objects.create(plan=plan, conclusion=conclusion, assessed_at=assessed_at,
                                                   assessed_by=by, **fields)
    _audit_new(by, record, plan.episode,
               f"{plan.episode.number} 家庭监护评估：{record.get_conclusion_display()}（规则N10）")
    return record


@transaction.atomic
def minor_refer(*, by, plan: MinorPlan, centre: Organisation, reason: str,
                referred_at: datetime.datetime | None = None) -> MinorReferral:
    """Refer a minor to a minors' protection centre (未成年人救助保护中心)."""
    plan = _open_plan(plan)
    if centre is None or centre.kind != OrgKind.MINOR_CENTRE or not centre.is_active:
        raise ValidationError({"centre": "请选择未成年人救助保护中心。"})
    if centre.pk == plan.episode.station_id:
        raise ValidationError({"centre": "不能转介到本机构。"})
    reason = clean_text(reason, 300, "reason", "转介原因", required=True)
    referred_at = _aware(referred_at, "referred_at", "转介时间")
    _not_before_request(plan.episode, referred_at, "referred_at", "转介时间")
    record = MinorReferral.objects.create(plan=plan, centre=centre, referred_at=referred_at, referred_by=by,
                                          reason=reason)
    _audit_new(by, record, plan.episode, f"{plan.episode.number} 转介至{centre.name}")
    return record


@transaction.atomic
def long_term_guardianship_record(*, by, plan: MinorPlan, department: Organisation, since: datetime.date,
                                  basis: str) -> MinorPlan:
    """Rule N10: long-term guardianship by the civil-affairs department where no family is found — after
    temporary guardianship, and only while the identity is unknown or the family was assessed unfit."""
    plan = _open_plan(plan)
    if plan.long_term_from is not None:
        raise ValidationError("长期监护已登记。")
    if plan.temporary_guardianship_from is None:
        raise ValidationError("请先登记民政部门临时监护（规则N10）。")
    department = _department_above(plan.episode.station, department, "department")
    latest = plan.guardianship_assessments.order_by("-assessed_at", "-pk").first()
    family_unfit = latest is not None and latest.conclusion == GuardianshipConclusion.UNFIT
    if plan.episode.person.identity_status == IdentityStatus.IDENTIFIED and not family_unfit:
        raise ValidationError("身份已查明且未经评估认定家庭不具备监护能力的，应当护送返家，不能转为长期监护（规则N10）。")
    if since is None or since > timezone.localdate():
        raise ValidationError({"since": "长期监护开始日期不能晚于今天。"})
    if since < timezone.localtime(plan.temporary_guardianship_from).date():
        raise ValidationError({"since": "长期监护开始日期不能早于临时监护开始日期。"})
    basis = clean_text(basis, 300, "basis", "长期监护依据", required=True)
    before = snapshot(plan, ["long_term_department", "long_term_from", "long_term_basis"])
    plan.long_term_department, plan.long_term_from, plan.long_term_basis = department, since, basis
    plan.save(update_fields=["long_term_department", "long_term_from", "long_term_basis", "updated_at"])
    audit_update(actor=by, obj=plan, before=before, organisation=plan.episode.station,
                 person_uuid=plan.episode.person.uuid,
                 summary=f"{plan.episode.number} 民政部门长期监护（{department.name}，规则N10）")
    return plan


def return_home_problem(episode: Episode, exit_type: str, at: datetime.datetime | None = None) -> str:
    """Rule N10, the check the leaving service can call before a minor goes home (返乡、亲属接领): an empty
    string when nothing stands in the way, else the Chinese reason. A minor with a plan (一人一策) goes
    home only after a kept assessment of the family's guardianship whose latest conclusion allows it."""
    if exit_type not in HOME_EXITS or not is_minor(episode, at):
        return ""
    plan = MinorPlan.objects.filter(episode=episode).first()
    if plan is None:
        return ""  # no plan yet: the episode page and rule I8P ask for one; the departure is not blocked
    latest = plan.guardianship_assessments.order_by("-assessed_at", "-pk").first()
    if latest is None:
        return "未成年人返家前须评估家庭监护情况并留存评估记录（规则N10），请先在一人一策中登记家庭监护评估。"
    if latest.conclusion not in RETURN_ALLOWED:
        return "家庭监护评估结论为不具备监护能力，不能送其返家；请转介或由民政部门继续监护（规则N10）。"
    return ""


def on_episode_left(event) -> None:
    """Rule N10 at the one departure path (``leaving.services.departure_create`` publishes EpisodeLeft inside
    its transaction): a minor's return home without the kept guardianship assessment rolls the departure back
    with the Chinese reason."""
    problem = return_home_problem(event.episode, event.exit_type, event.at)
    if problem:
        raise ValidationError({"exit_type": problem})


def on_episode_closed(event) -> None:
    """The one closing path (any way an episode ends): its open plans and shelter end with it."""
    plans_close_for_episode(by=event.by, episode=event.episode, at=event.at)


def plans_close_for_episode(*, by, episode: Episode, at: datetime.datetime) -> None:
    """The episode ended: its minor's plan, care plans and shelter end too (audited)."""
    for plan in MinorPlan.objects.filter(episode=episode, closed_at__isnull=True):
        before = snapshot(plan, ["closed_at"])
        plan.closed_at = max(at, plan.written_at)
        plan.save(update_fields=["closed_at", "updated_at"])
        audit_update(actor=by, obj=plan, before=before, organisation=episode.station,
                     person_uuid=episode.person.uuid, summary=f"{episode.number} 离站，一人一策结束")
    for care in CarePlan.objects.filter(episode=episode, ended_at__isnull=True):
        _care_plan_end(by=by, care=care, at=at)
    shelter = DvShelter.objects.filter(episode=episode, ended_at__isnull=True).first()
    if shelter is not None:
        _shelter_end(by=by, shelter=shelter, at=at, note="离站")


# --- rule I8: tailored care plans ----------------------------------------------------------------------------
@transaction.atomic
def care_plan_create(*, by, episode: Episode, group: str, zone, needs: str, measures: str, responsible,
                     written_at: datetime.datetime | None = None) -> CarePlan:
    """Tailored care for an elderly, disabled, mentally ill or pregnant person, in a zone of the station."""
    episode = Episode.objects.select_for_update().select_related("person", "station").get(pk=episode.pk)
    _in_care(episode)
    if group not in CareGroup.values:
        raise ValidationError({"group": "请选择人员类别。"})
    if not getattr(episode.person, GROUP_FLAGS[group]):
        raise ValidationError({"group": f"档案未标注为{CareGroup(group).label}，请先在档案中核对特殊群体标识。"})
    if zone is None or zone.station_id != episode.station_id or not zone.is_active:
        raise ValidationError({"zone": "请选择本机构启用中的照料区域。"})
    needs = clean_text(needs, 1000, "needs", "照料需求", required=True)
    measures = clean_text(measures, 1000, "measures", "照料措施", required=True)
    _staff_of(responsible, episode.station, "responsible", "责任人")
    written_at = _aware(written_at, "written_at", "制定时间")
    _not_before_request(episode, written_at, "written_at", "制定时间")
    if CarePlan.objects.filter(episode=episode, group=group, ended_at__isnull=True).exists():
        raise ValidationError({"group": f"该人员已有{CareGroup(group).label}照料方案。"})
    try:
        with transaction.atomic():
            care = CarePlan.objects.create(episode=episode, group=group, zone=zone, needs=needs, measures=measures,
                                           responsible=responsible, written_at=written_at, written_by=by)
    except IntegrityError as exc:
        raise ValidationError({"group": f"该人员已有{CareGroup(group).label}照料方案。"}) from exc
    _audit_new(by, care, episode, f"{episode.number} 照料方案：{care.get_group_display()}（{zone.name}，规则I8）")
    return care


def _care_plan_end(*, by, care: CarePlan, at: datetime.datetime) -> None:
    before = snapshot(care, ["ended_at"])
    care.ended_at = max(at, care.written_at)
    care.save(update_fields=["ended_at", "updated_at"])
    audit_update(actor=by, obj=care, before=before, organisation=care.episode.station,
                 person_uuid=care.episode.person.uuid, summary=f"{care.episode.number} 照料方案结束")


@transaction.atomic
def care_plan_end(*, by, care: CarePlan, at: datetime.datetime | None = None) -> CarePlan:
    care = CarePlan.objects.select_for_update().select_related("episode__station", "episode__person").get(pk=care.pk)
    if care.ended_at is not None:
        raise ValidationError("该照料方案已结束。")
    at = _aware(at, "ended_at", "结束时间")
    if at < care.written_at:
        raise ValidationError({"ended_at": "结束时间不能早于制定时间。"})
    _care_plan_end(by=by, care=care, at=at)
    return care


# --- rule N11: domestic violence ------------------------------------------------------------------------------
@transaction.atomic
def dv_shelter_open(*, by, episode: Episode, abuser_relationship: str, circumstances: str, injuries: str = "",
                    safety_measures: str = "", sheltered_at: datetime.datetime | None = None) -> DvShelter:
    """Rule N11: take a victim of domestic violence into temporary shelter (its own help path)."""
    episode = Episode.objects.select_for_update().select_related("person", "station").get(pk=episode.pk)
    _in_care(episode)
    if DvShelter.objects.filter(episode=episode).exists():
        raise ValidationError("该救助过程已登记家庭暴力临时庇护。")
    fields = {
        "abuser_relationship": clean_text(abuser_relationship, 30, "abuser_relationship", "施暴人与受害人关系",
                                          required=True),
        "circumstances": clean_text(circumstances, 2000, "circumstances", "遭受家庭暴力情况", required=True),
        "injuries": clean_text(injuries, 300, "injuries", "伤情"),
        "safety_measures": clean_text(safety_measures, 300, "safety_measures", "安全保护措施"),
    }
    sheltered_at = _aware(sheltered_at, "sheltered_at", "庇护开始时间")
    _not_before_request(episode, sheltered_at, "sheltered_at", "庇护开始时间")
    shelter = DvShelter.objects.create(episode=episode, sheltered_at=sheltered_at, recorded_by=by, **fields)
    _audit_new(by, shelter, episode, f"{episode.number} 家庭暴力受害人临时庇护（规则N11）")
    return shelter


@transaction.atomic
def dv_report_add(*, by, shelter: DvShelter, reported_to: str, recipient: str, how: str, content: str,
                  reference: str = "", reported_at: datetime.datetime | None = None) -> DvReport:
    """Rule N11: the station's report of the violence — to whom (公安机关、妇联 …), when, how."""
    shelter = DvShelter.objects.select_for_update().select_related("episode__station", "episode__person").get(
        pk=shelter.pk)
    if reported_to not in ReportedTo.values:
        raise ValidationError({"reported_to": "请选择报告对象。"})
    fields = {
        "recipient": clean_text(recipient, 100, "recipient", "接收单位/人员", required=True),
        "how": clean_text(how, 50, "how", "报告方式", required=True),
        "content": clean_text(content, 2000, "content", "报告内容", required=True),
        "reference": clean_text(reference, 50, "reference", "回执/案件编号"),
    }
    reported_at = _aware(reported_at, "reported_at", "报告时间")
    _not_before_request(shelter.episode, reported_at, "reported_at", "报告时间")
    report = DvReport.objects.create(shelter=shelter, reported_to=reported_to, reported_at=reported_at,
                                     recorded_by=by, **fields)
    _audit_new(by, report, shelter.episode,
               f"{shelter.episode.number} 报告家庭暴力：{report.get_reported_to_display()}（规则N11）")
    return report


def _shelter_end(*, by, shelter: DvShelter, at: datetime.datetime, note: str) -> None:
    before = snapshot(shelter, ["ended_at", "end_note"])
    shelter.ended_at, shelter.end_note = max(at, shelter.sheltered_at), note[:200]
    shelter.save(update_fields=["ended_at", "end_note", "updated_at"])
    audit_update(actor=by, obj=shelter, before=before, organisation=shelter.episode.station,
                 person_uuid=shelter.episode.person.uuid, summary=f"{shelter.episode.number} 临时庇护结束")


@transaction.atomic
def dv_shelter_end(*, by, shelter: DvShelter, note: str, at: datetime.datetime | None = None) -> DvShelter:
    shelter = DvShelter.objects.select_for_update().select_related("episode__station", "episode__person").get(
        pk=shelter.pk)
    if shelter.ended_at is not None:
        raise ValidationError("临时庇护已结束。")
    at = _aware(at, "ended_at", "结束时间")
    if at < shelter.sheltered_at:
        raise ValidationError({"ended_at": "结束时间不能早于庇护开始时间。"})
    _shelter_end(by=by, shelter=shelter, at=at, note=clean_text(note, 200, "end_note", "结束说明", required=True))
    return shelter
