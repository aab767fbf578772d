"""Every intake write: one function per action, in a transaction, validated, then audited.

The person's file and the episode belong to the people app; they are created and moved only through
people.services (person_create, person_update, episode_open, episode_transition).
"""

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.audit import audit, audit_create, audit_update, snapshot
from core.models import AuditAction, Organisation, OrgKind
from intake.models import (
    Belonging,
    DangerousItem,
    Decision,
    ForeignCase,
    ForeignOutcome,
    HealthCheck,
    HealthOutcome,
    HelpGiven,
    HelpKind,
    IntakeRecord,
    Need,
    Notice,
    NoticeGround,
    NoticeKind,
    PoliceHandover,
    SafetyCheck,
    SafetyResult,
)
from people import services as people_services
from people.models import SPECIAL_GROUP_FIELDS, Channel, Episode, IdentityStatus, Person, PhotoKind
from people.states import IN_CARE, EpisodeStatus

#: Channels where police or 城管 bring the person: a handover record is required (rule I5).
ESCORT_CHANNELS = (Channel.POLICE, Channel.CHENGGUAN)
#: Episode states in which intake records may still be added (request and care; not closed ones).
OPEN_STATES = frozenset({EpisodeStatus.REQUESTED, *IN_CARE})
#: Special-group flags a receptionist may set when attaching a request to an existing file.
PERSON_FLAGS = SPECIAL_GROUP_FIELDS

ANSWER_FIELDS = (
    "residence", "subsistence", "reason", "reason_text", "vagrancy_duration", "vagrancy_history", "relatives",
    "unable_to_answer", "cannot_pay", "no_relatives", "not_on_subsistence", "living_by_vagrancy", "decision",
    "decision_note", "recording_ref", "recording_keep_until", "caller", "fingerprint_taken", "photo_taken",
    "foreign_police_note", "needs", "other_id_document", "self_reported_health", "filled_by_staff",
)


def _now() -> datetime.datetime:
    return timezone.now()


def _not_future(value: datetime.datetime | None, field: str, label: str) -> dict[str, str]:
    if value is not None and value > _now() + datetime.timedelta(minutes=5):
        return {field: f"{label}不能晚于当前时间。"}
    return {}


def _require_open(episode: Episode) -> None:
    episode.refresh_from_db(fields=["status"])  # the caller's copy may be stale
    if episode.status not in OPEN_STATES:
        raise ValidationError(f"该救助过程已结束（{episode.status_label}），不能再登记接待记录。")


def _org_of_kind(org: Organisation | None, kinds: tuple[str, ...], field: str, label: str) -> dict[str, str]:
    if org is not None and org.kind not in kinds:
        return {field: f"{org.name}不是{label}。"}
    return {}


def repeat_request_count(*, person: Person, at: datetime.datetime) -> int:
    """Rule I6: the person's requests (any station, merged files too) in the window ending at ``at``."""
    window = datetime.timedelta(days=settings.GUITU_RULES["I6_WINDOW_DAYS"])
    return Episode.objects.filter(
        Q(person=person) | Q(person__merged_into=person),
        requested_at__gt=at - window,
        requested_at__lte=at,
    ).count()


def _set_episode_flags(*, by, episode: Episode, repeat: bool, foreign: bool) -> None:
    """Raise the rule-I6 / I7 flags through the people app, which owns the episode table."""
    people_services.episode_set_flags(by=by, episode=episode, repeat_requests=repeat, foreign=foreign)


def _validate_answers(*, answers: dict[str, Any], channel: str, requested_at: datetime.datetime,
                      person_groups: dict[str, bool], suspected_foreign: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    decision = answers.get("decision") or Decision.ELIGIBLE
    if decision not in Decision.values:
        errors["decision"] = "请选择救助条件甄别结果。"
    n1 = all(answers.get(f) for f in ("cannot_pay", "no_relatives", "not_on_subsistence", "living_by_vagrancy"))
    # rule R4: temporarily stranded people (临时遇困) are a help path of their own — not forced through the
    # "living by vagrancy" test of N1, but they must be unable to pay and say what happened
    if decision == Decision.TEMPORARY:
        if not answers.get("cannot_pay"):
            errors["cannot_pay"] = "临时遇困人员须为自身无力解决食宿（规则R4）。"
        if len((answers.get("reason_text") or "").strip()) < 4:
            errors["reason_text"] = "请写明临时遇困的经过（如钱物被盗、务工未果、返乡途中滞留，规则R4）。"
    # rule N1: eligible only when all four conditions hold
    if decision == Decision.ELIGIBLE and not n1:
        errors["decision"] = ("“符合救助条件”须同时满足四项条件：无力解决食宿、无亲友可投靠、未享受低保/五保、"
                              "正在流浪乞讨；不满足的请选择“不符合”，老、幼、残或无法陈述者可“先行救助、后核查”。")
    # rule N2: only the old, the young, the disabled and those unable to answer are helped first
    if decision == Decision.HELP_FIRST and not (answers.get("unable_to_answer") or any(person_groups.values())):
        errors["decision"] = "“先行救助、后核查”仅适用于老年人、未成年人、残疾人、精神障碍或无法正常陈述的人员。"
    if answers.get("not_on_subsistence") and answers.get("subsistence") in ("dibao", "wubao"):
        errors["not_on_subsistence"] = "已登记享受低保/五保，与“未享受低保或五保供养”矛盾，请核实（规则N1）。"
    if decision == Decision.NOT_ELIGIBLE and not (answers.get("decision_note") or "").strip():
        errors["decision_note"] = "不符合救助条件的，请写明甄别说明。"
    # rule N6: phone requests keep a reference to the hotline recording, kept at least N days
    if channel == Channel.PHONE:
        if not (answers.get("recording_ref") or "").strip():
            errors["recording_ref"] = "电话求助须填写求助热线录音编号（规则N6）。"
        minimum = timezone.localtime(requested_at).date() + datetime.timedelta(
            days=settings.GUITU_RULES["N6_RECORDING_RETENTION_DAYS"])
        keep = answers.get("recording_keep_until")
        if keep and keep < minimum:
            errors["recording_keep_until"] = f"录音至少保存至 {minimum:%Y-%m-%d}（规则N6：不少于3个月）。"
    needs = answers.get("needs") or []
    if not isinstance(needs, list | tuple) or any(n not in Need.values for n in needs):
        errors["needs"] = "求助需求不正确。"
    # rule I7: a suspected foreign national is reported to the police
    if suspected_foreign and not (answers.get("foreign_police_note") or "").strip():
        errors["foreign_police_note"] = "疑似外籍人员须报告公安机关核实身份，请填写报告情况（规则I7）。"
    return errors


def person_as_recorded(person: Person, at: datetime.datetime) -> dict[str, Any]:
    """The file's details as they stood at the request (rule N12: the 求助登记表 prints what was recorded)."""
    return {
        "name": person.name, "name_is_provisional": person.name_is_provisional, "sex": person.sex,
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "birth_year_est": person.birth_year_est, "age": person.age_on(timezone.localtime(at).date()),
        "ethnicity": person.ethnicity, "id_number_masked": person.id_number_masked, "hukou_text": person.hukou_text,
        "special_groups": person.special_groups, "file_no": person.file_no,
    }


@transaction.atomic
def intake_register(*, by, station: Organisation, channel: str, requested_at: datetime.datetime | None = None,
                    person: Person | None = None, person_data: dict[str, Any] | None = None, id_number: str = "",
                    use_provisional_name: bool = False, answers: dict[str, Any] | None = None,
                    photo=None, keep_unchecked_id: bool = False) -> Episode:
    """Record a request for help (rule I1): attach to ``person`` or open a new file, open the episode,
    store the N2 answers and the N1 decision, and raise the I6 / I7 flags — all or nothing."""
    requested_at = requested_at or _now()
    answers = {k: v for k, v in (answers or {}).items() if k in ANSWER_FIELDS}
    person_data = dict(person_data or {})
    errors: dict[str, str] = {}
    if not station.is_station:
        errors["station"] = f"{station.name}不是救助管理机构，不能登记求助。"
    if channel not in Channel.values:
        errors["channel"] = "请选择求助方式。"
    errors |= _not_future(requested_at, "requested_at", "求助时间")
    if person is not None:
        groups = {f: bool(getattr(person, f) or person_data.get(f)) for f in PERSON_FLAGS}
    else:
        groups = {f: bool(person_data.get(f)) for f in PERSON_FLAGS}
    foreign = groups.pop("suspected_foreign")
    errors |= _validate_answers(answers=answers, channel=channel, requested_at=requested_at,
                                person_groups=groups, suspected_foreign=foreign)
    if errors:
        raise ValidationError(errors)

    if person is None:
        person = people_services.person_create(by=by, station=station, data=person_data, id_number=id_number,
                                               use_provisional_name=use_provisional_name,
                                               keep_unchecked_id=keep_unchecked_id)
    else:
        newly_flagged = {f: True for f in PERSON_FLAGS if person_data.get(f) and not getattr(person, f)}
        if newly_flagged:
            person = people_services.person_update(by=by, person=person, data=newly_flagged)
    episode = people_services.episode_open(by=by, person=person, station=station, channel=channel,
                                           requested_at=requested_at)
    if channel == Channel.PHONE and not answers.get("recording_keep_until"):
        answers["recording_keep_until"] = timezone.localtime(requested_at).date() + datetime.timedelta(
            days=settings.GUITU_RULES["N6_RECORDING_RETENTION_DAYS"])
    if photo is not None:
        # rules N6, I4: the portrait taken at intake, through the one image intake (core.images)
        people_services.photo_add(by=by, person=person, image=photo, kind=PhotoKind.PORTRAIT,
                                  taken_on=timezone.localtime(requested_at).date(), note="求助登记时拍摄")
        answers["photo_taken"] = True
    answers["needs"] = list(answers.get("needs") or [])
    record = IntakeRecord(episode=episode, received_by=by, person_at_intake=person_as_recorded(person, requested_at),
                          **answers)
    record.full_clean(exclude=["episode", "received_by"])
    record.save()
    audit_create(actor=by, obj=record, summary=f"求助登记 {episode.number}（{episode.get_channel_display()}）",
                 organisation=station, person_uuid=person.uuid)
    # rule I6: evaluated as of the request time; rule I7: suspected foreign nationals
    repeat = repeat_request_count(person=person, at=requested_at) >= settings.GUITU_RULES["I6_REQUESTS"]
    _set_episode_flags(by=by, episode=episode, repeat=repeat, foreign=person.suspected_foreign)
    if person.suspected_foreign:
        # rule I7: the case is followed through step by step from the report to the police
        case = ForeignCase.objects.create(episode=episode, reported_at=requested_at, updated_by=by,
                                          report_note=(answers.get("foreign_police_note") or "").strip()[:300])
        audit_create(actor=by, obj=case, summary=f"疑似外籍人员报告公安核实 {episode.number}（规则I7）",
                     organisation=station, person_uuid=person.uuid)
    if person.identity_status != IdentityStatus.IDENTIFIED:
        # rules I4, T7: compare the newcomer with open missing-person reports and earlier files at once
        from matching.services import schedule_person_query

        schedule_person_query(person)
    return episode


@transaction.atomic
def safety_check_add(*, by, episode: Episode, checked_at: datetime.datetime | None = None, note: str = "",
                     items: list[dict[str, Any]] | None = None) -> SafetyCheck:
    """Rule I2: record a safety check; every dangerous item must be reported to the police."""
    _require_open(episode)
    checked_at = checked_at or _now()
    items = [i for i in (items or []) if any(i.get(k) for k in ("kind", "description"))]
    errors = _not_future(checked_at, "checked_at", "检查时间")
    if checked_at < episode.requested_at - datetime.timedelta(hours=24):
        errors["checked_at"] = "检查时间不能早于求助时间。"
    item_errors = []
    for n, item in enumerate(items, start=1):
        problems = []
        if not item.get("kind"):
            problems.append("类别")
        if not (item.get("description") or "").strip():
            problems.append("物品描述")
        police = item.get("reported_to")
        if police is None or not item.get("reported_at"):
            # rule I2: dangerous items are reported to the police
            item_errors.append(f"第{n}件危险物品未报告公安机关：须填写报告的公安机关和报告时间（规则I2）。")
        elif police.kind != OrgKind.POLICE:
            item_errors.append(f"第{n}件危险物品：{police.name}不是公安机关。")
        elif item["reported_at"] > _now() + datetime.timedelta(minutes=5):
            item_errors.append(f"第{n}件危险物品：报告时间不能晚于当前时间。")
        if not (item.get("handling") or "").strip():
            problems.append("处置情况")
        if problems:
            item_errors.append(f"第{n}件危险物品缺少：{'、'.join(problems)}。")
    if item_errors:
        errors["items"] = " ".join(item_errors)
    if errors:
        raise ValidationError(errors)
    check = SafetyCheck.objects.create(
        episode=episode, checked_at=checked_at, checked_by=by, note=note,
        result=SafetyResult.DANGEROUS if items else SafetyResult.CLEAR)
    for item in items:
        DangerousItem.objects.create(check_record=check, kind=item["kind"], description=item["description"].strip(),
                                     reported_to=item["reported_to"], reported_at=item["reported_at"],
                                     handling=item["handling"].strip())
    summary = f"安全检查 {episode.number}：{check.get_result_display()}"
    if items:
        summary += "（" + "、".join(i["description"] for i in items) + "，已报告公安）"
    audit_create(actor=by, obj=check, summary=summary, organisation=episode.station, person_uuid=episode.person.uuid)
    return check


@transaction.atomic
def health_check_add(*, by, episode: Episode, data: dict[str, Any]) -> HealthCheck:
    """Rule I3: initial health and mental check; the outcome drives the episode.

    Suspected mental disorder or infectious disease → designated hospital; acute illness → 120 first
    (先救治、后救助); suspected drug use → reported to the police. Hospital and emergency move the
    episode to 送医.
    """
    _require_open(episode)
    data = dict(data)
    checked_at = data.pop("checked_at", None) or _now()
    check = HealthCheck(episode=episode, checked_by=by, checked_at=checked_at, **data)
    errors = _not_future(checked_at, "checked_at", "检视时间")
    if not (check.physical or "").strip():
        errors["physical"] = "请填写身体状况。"
    if not (check.mental or "").strip():
        errors["mental"] = "请填写精神状况。"
    outcome = check.outcome
    if outcome not in HealthOutcome.values:
        errors["outcome"] = "请选择处置结果。"
    elif check.acute_illness and outcome not in (HealthOutcome.EMERGENCY, HealthOutcome.HOSPITAL):
        errors["outcome"] = "急危重病人员须先呼叫120或送医救治（先救治、后救助，规则I3）。"
    elif (check.suspected_mental_disorder or check.suspected_infectious) and outcome not in (
            HealthOutcome.HOSPITAL, HealthOutcome.EMERGENCY):
        errors["outcome"] = "疑似精神障碍或传染病人员须送定点医疗机构（规则I3）。"
    if outcome == HealthOutcome.HOSPITAL:
        if check.hospital is None:
            errors["hospital"] = "请选择送往的定点医疗机构。"
        else:
            errors |= _org_of_kind(check.hospital, (OrgKind.HOSPITAL,), "hospital", "定点医疗机构")
    if check.suspected_drug_use or outcome == HealthOutcome.POLICE:
        if check.police is None or not check.police_reported_at:
            errors["police"] = "疑似吸毒或须报告公安的，请填写报告的公安机关和报告时间（规则I3）。"
        else:
            errors |= _org_of_kind(check.police, (OrgKind.POLICE,), "police", "公安机关")
            errors |= _not_future(check.police_reported_at, "police_reported_at", "报告时间")
    if errors:
        raise ValidationError(errors)
    check.save()
    audit_create(actor=by, obj=check, summary=f"初步检视 {episode.number}：{check.get_outcome_display()}",
                 organisation=episode.station, person_uuid=episode.person.uuid)
    if outcome in (HealthOutcome.HOSPITAL, HealthOutcome.EMERGENCY) and episode.status != EpisodeStatus.IN_HOSPITAL:
        where = check.hospital.name if check.hospital else "120急救"
        people_services.episode_transition(by=by, episode=episode, to=EpisodeStatus.IN_HOSPITAL, at=checked_at,
                                           note=f"初步检视后送医：{where}（规则I3）")
        episode.refresh_from_db()
    return check


@transaction.atomic
def handover_add(*, by, episode: Episode, data: dict[str, Any]) -> PoliceHandover:
    """Rule I5: the police / 城管 handover record (公安机关护送流浪乞讨人员交接表)."""
    _require_open(episode)
    handover = PoliceHandover(episode=episode, received_by=by, **data)
    errors: dict[str, str] = {}
    if handover.escort_org is None and not (handover.escort_unit_text or "").strip():
        errors["escort_org"] = "请选择或填写护送单位。"
    errors |= _org_of_kind(handover.escort_org, (OrgKind.POLICE, OrgKind.CHENGGUAN), "escort_org", "公安或城管单位")
    for field, label in (("officers", "护送人员姓名及警号"), ("found_place", "发现地点"),
                         ("found_how", "发现经过"), ("condition", "交接时身体、精神状况")):
        if not (getattr(handover, field) or "").strip():
            errors[field] = f"请填写{label}。"
    if handover.handed_over_at is None:
        errors["handed_over_at"] = "请填写交接时间。"
    else:
        errors |= _not_future(handover.handed_over_at, "handed_over_at", "交接时间")
        if handover.found_at and handover.found_at > handover.handed_over_at:
            errors["found_at"] = "发现时间不能晚于交接时间。"
    if errors:
        raise ValidationError(errors)
    handover.save()
    audit_create(actor=by, obj=handover, summary=f"护送交接 {episode.number}：{handover.escort_unit}",
                 organisation=episode.station, person_uuid=episode.person.uuid)
    return handover


@transaction.atomic
def belonging_add(*, by, episode: Episode, item: str, quantity: int = 1, description: str = "",
                  location: str = "") -> Belonging:
    """Rule I2: list a belonging taken into safekeeping (物品代管)."""
    _require_open(episode)
    errors = {}
    if not (item or "").strip():
        errors["item"] = "请填写物品名称。"
    if quantity is None or quantity < 1:
        errors["quantity"] = "数量至少为1。"
    if errors:
        raise ValidationError(errors)
    belonging = Belonging.objects.create(episode=episode, item=item.strip(), quantity=quantity,
                                         description=description, location=location, received_by=by)
    audit_create(actor=by, obj=belonging, summary=f"代管物品 {episode.number}：{belonging.item}×{quantity}",
                 organisation=episode.station, person_uuid=episode.person.uuid)
    return belonging


@transaction.atomic
def belongings_add(*, by, episode: Episode, items: list[dict[str, Any]]) -> list[Belonging]:
    """Rule I2: several belongings taken into safekeeping at once — all or nothing; empty rows are skipped,
    every problem is reported with its row number."""
    rows = [i for i in items if any((str(i.get(k) or "")).strip() for k in ("item", "description", "location"))]
    if not rows:
        raise ValidationError({"items": "请至少填写一件物品。"})
    problems = []
    for n, row in enumerate(rows, start=1):
        if not (row.get("item") or "").strip():
            problems.append(f"第{n}行：请填写物品名称。")
        if row.get("quantity") is None or row["quantity"] < 1:
            problems.append(f"第{n}行：数量至少为1。")
    if problems:
        raise ValidationError({"items": " ".join(problems)})
    return [belonging_add(by=by, episode=episode, item=row["item"], quantity=row["quantity"],
                          description=(row.get("description") or "").strip(),
                          location=(row.get("location") or "").strip()) for row in rows]


@transaction.atomic
def belongings_return_all(*, by, episode: Episode, at: datetime.datetime | None = None, signed: bool = True) -> int:
    """Return every belonging still kept (rules I2, N7: counted back on leaving); returns how many.

    The leaving app calls this when the person leaves; calling it twice returns 0 the second time.
    """
    at = at or _now()
    errors = _not_future(at, "returned_at", "归还时间")
    if errors:
        raise ValidationError(errors)
    outstanding = list(Belonging.objects.select_for_update().filter(episode=episode, returned_at__isnull=True))
    for belonging in outstanding:
        before = snapshot(belonging, ["returned_at", "returned_by", "returned_signed"])
        belonging.returned_at = at
        belonging.returned_by = by
        belonging.returned_signed = signed
        belonging.save(update_fields=["returned_at", "returned_by", "returned_signed", "updated_at"])
        after = snapshot(belonging, before.keys())
        audit(actor=by, action=AuditAction.UPDATE, obj=belonging,
              summary=f"归还代管物品 {episode.number}：{belonging.item}×{belonging.quantity}",
              organisation=episode.station, person_uuid=episode.person.uuid,
              changes={k: [before[k], after[k]] for k in before if before[k] != after[k]})
    return len(outstanding)


@transaction.atomic
def intake_admit(*, by, episode: Episode, at: datetime.datetime | None = None) -> Episode:
    """Admit the person (求助登记 → 已入站) once the intake steps are done.

    Requires a safety check (rule I2), a health check whose latest outcome is 'admitted' (rule I3),
    a handover for police / 城管 escorts (rule I5), and an eligibility decision other than 'not
    eligible' (rule N1).
    """
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    at = at or _now()
    if episode.status != EpisodeStatus.REQUESTED:
        raise ValidationError(f"只有“求助登记”状态的救助过程可以办理入站，当前为“{episode.status_label}”。")
    from intake.selectors import admission_blockers  # one definition with the panel and the episode page

    errors = [b.message for b in admission_blockers(episode)]
    if errors:
        raise ValidationError(errors)
    return people_services.episode_transition(by=by, episode=episode, to=EpisodeStatus.ADMITTED, at=at,
                                              note="办理入站")


def _notice(*, by, episode: Episode, kind: str, reason: str, at: datetime.datetime, code: str,
            ground: str = "") -> Notice:
    year = timezone.localtime(at).year
    seq = people_services.next_sequence(f"notice:{kind}:{episode.station_id}:{year}")
    notice = Notice.objects.create(episode=episode, kind=kind, reason=reason, issued_at=at, issued_by=by, ground=ground,
                                   number=f"{episode.station.code}-{code}{year}-{seq:04d}")
    audit_create(actor=by, obj=notice, summary=f"出具{notice.get_kind_display()} {notice.number}",
                 organisation=episode.station, person_uuid=episode.person.uuid)
    return notice


def _validate_notice(reason: str, at: datetime.datetime, label: str) -> str:
    reason = (reason or "").strip()
    errors = _not_future(at, "issued_at", "出具时间")
    if not reason:
        errors["reason"] = f"请填写{label}的理由（规则N3）。"
    if errors:
        raise ValidationError(errors)
    return reason


@transaction.atomic
def intake_refuse(*, by, episode: Episode, reason: str, at: datetime.datetime | None = None,
                  ground: str = "") -> Notice:
    """Rules N3, I1: refuse help (不予救助) with a written, numbered notice citing its ground — 不属于救助对象 or
    拒不如实提供个人情况 (实施细则第五条); by default the eligibility decision picks it. The request stays on record."""
    at = at or _now()
    reason = _validate_notice(reason, at, "不予救助")
    if not ground:
        record = IntakeRecord.objects.filter(episode=episode).first()
        ground = (NoticeGround.NOT_ELIGIBLE if record and record.decision == Decision.NOT_ELIGIBLE
                  else NoticeGround.REFUSED_INFO)
    if ground not in (NoticeGround.NOT_ELIGIBLE, NoticeGround.REFUSED_INFO):
        raise ValidationError({"ground": "不予救助的依据只能是“不属于救助对象”或“拒不如实提供个人情况”。"})
    people_services.episode_close(by=by, episode=episode, to=EpisodeStatus.REFUSED, at=at,
                                  note=f"不予救助：{reason}", reason="不予救助")
    return _notice(by=by, episode=episode, kind=NoticeKind.REFUSAL, reason=reason, at=at, code="BY", ground=ground)


@transaction.atomic
def intake_terminate(*, by, episode: Episode, reason: str, at: datetime.datetime | None = None) -> Notice:
    """Rule N3: end help (终止救助) with a written, numbered notice; only once the person was admitted."""
    at = at or _now()
    reason = _validate_notice(reason, at, "终止救助")
    episode.refresh_from_db(fields=["status"])
    if episode.status not in IN_CARE:
        raise ValidationError(f"只有已入站的救助过程可以终止救助，当前为“{episode.status_label}”。")
    # The one closing path: bed freed, placements closed, belongings returned, tracing tasks and
    # announcements closed — exactly as a departure (rules N3, E1).
    people_services.episode_close(by=by, episode=episode, to=EpisodeStatus.TERMINATED, at=at,
                                  note=f"终止救助：{reason}", reason="终止救助")
    return _notice(by=by, episode=episode, kind=NoticeKind.TERMINATION, reason=reason, at=at, code="ZZ",
                   ground=NoticeGround.FALSE_INFO)


def on_episode_closed(event) -> None:
    """Intake's part of the one closing path: belongings still kept are counted back (rules I2, N7)
    unless nobody takes them (death, going missing, leaving without formalities)."""
    if event.return_belongings:
        belongings_return_all(by=event.by, episode=event.episode, at=event.at)


@transaction.atomic
def help_add(*, by, episode: Episode, kind: str, description: str = "",
             given_at: datetime.datetime | None = None) -> HelpGiven:
    """Record help given (rule N4: food, lodging, medical care, contact, ticket; rule R4: the emergency and
    transitional help of a temporarily stranded person). Printed on the 在站服务及离站登记表."""
    _require_open(episode)
    given_at = given_at or _now()
    errors = _not_future(given_at, "given_at", "时间")
    if kind not in HelpKind.values:
        errors["kind"] = "请选择救助内容。"
    description = (description or "").strip()
    if len(description) > 200:
        errors["description"] = "说明不能超过200字。"
    if kind == HelpKind.OTHER and not description:
        errors["description"] = "选择“其他”时请填写说明。"
    if given_at < episode.requested_at - datetime.timedelta(minutes=5):
        errors["given_at"] = "时间不能早于求助时间。"
    if errors:
        raise ValidationError(errors)
    help_record = HelpGiven.objects.create(episode=episode, kind=kind, description=description, given_at=given_at,
                                           given_by=by)
    audit_create(actor=by, obj=help_record, summary=f"救助服务 {episode.number}：{help_record.get_kind_display()}",
                 organisation=episode.station, person_uuid=episode.person.uuid)
    return help_record


FOREIGN_FIELDS = ("outcome", "police", "confirmed_at", "nationality", "handed_to_police_at", "fao_notified_at",
                  "fao_contact")


@transaction.atomic
def foreign_case_update(*, by, case: ForeignCase, data: dict[str, Any]) -> ForeignCase:
    """Rule I7, the follow-through: the police confirm the identity; illegal entry → handed to the police;
    legal entry → the foreign-affairs office is notified. Each step dated, in order, none in the future."""
    case = ForeignCase.objects.select_for_update().select_related("episode__person", "episode__station").get(pk=case.pk)
    data = {k: v for k, v in data.items() if k in FOREIGN_FIELDS}
    before = snapshot(case)
    for field, value in data.items():
        setattr(case, field, value.strip() if isinstance(value, str) else value)
    errors: dict[str, str] = {}
    if case.outcome not in ForeignOutcome.values:
        errors["outcome"] = "请选择核实结果。"
    for field, label in (("confirmed_at", "公安核实时间"), ("handed_to_police_at", "移交公安时间"),
                         ("fao_notified_at", "通报外事部门时间")):
        errors |= _not_future(getattr(case, field), field, label)
    if case.outcome != ForeignOutcome.PENDING:
        if case.police is None:
            errors["police"] = "请选择核实身份的公安机关（规则I7）。"
        else:
            errors |= _org_of_kind(case.police, (OrgKind.POLICE,), "police", "公安机关")
        if case.confirmed_at is None:
            errors["confirmed_at"] = "请填写公安机关核实的时间（规则I7）。"
        elif case.confirmed_at < case.reported_at:
            errors["confirmed_at"] = "公安核实时间不能早于报告时间。"
    elif case.confirmed_at or case.handed_to_police_at or case.fao_notified_at:
        errors["outcome"] = "公安核实结果未出，不能登记后续步骤。"
    if case.handed_to_police_at and case.outcome != ForeignOutcome.ILLEGAL:
        errors["handed_to_police_at"] = "只有经核实为非法入境的才移交公安机关（规则I7）。"
    if case.fao_notified_at and case.outcome != ForeignOutcome.LEGAL:
        errors["fao_notified_at"] = "只有经核实为合法入境的才通报外事部门（规则I7）。"
    for field in ("handed_to_police_at", "fao_notified_at"):
        value = getattr(case, field)
        if value and case.confirmed_at and value < case.confirmed_at:
            errors[field] = "该步骤的时间不能早于公安核实时间。"
    if case.fao_notified_at and not case.fao_contact:
        errors["fao_contact"] = "请填写通报的外事部门及联系人。"
    if case.outcome in (ForeignOutcome.ILLEGAL, ForeignOutcome.LEGAL) and not case.nationality:
        errors["nationality"] = "请填写公安机关核实的国籍。"
    if errors:
        raise ValidationError(errors)
    case.updated_by = by
    case.save()
    audit_update(actor=by, obj=case, before=before, summary=f"疑似外籍人员核实 {case.episode.number}：{case.get_outcome_display()}",
                 organisation=case.episode.station, person_uuid=case.episode.person.uuid)
    return case
