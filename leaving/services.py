"""Recording a departure (rule E1): per-type required fields, then bed, placements, belongings and the
episode's move to 已离站 — all in one transaction, nothing saved in part."""

import datetime
import decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from core import events
from core.audit import audit, snapshot
from core.crypto import encrypt_id, hash_id, mask_id
from core.images import CleanDocument, take_document
from core.models import STATION_KINDS, AuditAction, Role
from core.scoping import covering_centre_ids
from guitu_match.idcard import InvalidIdNumber, parse_id_number
from leaving.models import Departure, ExitType, HandoverTo
from people.models import Episode
from people.services import episode_close
from people.states import IN_CARE, EpisodeStatus

#: Ways out open to a child under 16 or a person with limited mobility (rule N9): only with
#: relatives or the responsible body — plus the events nobody chooses (death, going missing).
N9_ALLOWED = frozenset({ExitType.FAMILY, ExitType.HOME_ESCORTED, ExitType.TRANSFER, ExitType.DEATH, ExitType.MISSING,
                        ExitType.SETTLEMENT})
#: Ways out where the person (or whoever collects them) takes their belongings (rules I2, N7).
RETURNS_BELONGINGS = frozenset({ExitType.HOME_TICKET, ExitType.HOME_ESCORTED, ExitType.FAMILY, ExitType.TRANSFER,
                                ExitType.SELF, ExitType.SETTLEMENT})
#: Ways out that end at home: an open return-home plan is done (rule T9).
WENT_HOME = frozenset({ExitType.HOME_TICKET, ExitType.HOME_ESCORTED, ExitType.FAMILY})

#: The fields each exit type uses; anything else submitted is dropped, not stored.
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    ExitType.HOME_TICKET: ("ticket_no", "travel_mode", "destination", "is_direct", "transfer_point",
                           "local_station_contact", "cash_yuan", "cash_exception_reason", "cash_receipt_signed",
                           "cash_approved_by"),
    ExitType.HOME_ESCORTED: ("destination", "escort_route", "handed_over_to", "handover_org", "handover_person",
                             "handover_at", "witness_1", "witness_2"),
    ExitType.FAMILY: ("claimant_name", "claimant_relationship", "claimant_phone", "witness_1", "witness_2",
                      "destination"),
    ExitType.TRANSFER: ("transfer_org", "transfer_person", "transfer_person_phone"),
    ExitType.SELF: ("declaration_signed", "destination"),
    ExitType.NO_FORMALITIES: ("written_record",),
    ExitType.DEATH: ("death_place", "death_cause", "police_notified", "hospital_notified"),
    ExitType.MISSING: ("circumstances", "police_notified", "police_report_ref"),
    ExitType.SETTLEMENT: ("transfer_org", "transfer_person", "transfer_person_phone"),
}
#: Ways out recorded only by another app's process, never on the leaving form or its API (rule E1: 安置 is
#: the placement step of a settlement case).
RECORDED_ELSEWHERE = frozenset({ExitType.SETTLEMENT})
COMMON_FIELDS = ("note", "limited_mobility")

#: Rule E3 holds for every way a minor is handed over or sent off (not for death, going missing or leaving
#: without formalities, which are events, not handovers — those open incidents, rule X1).
E3_HANDOVERS = frozenset({ExitType.HOME_TICKET, ExitType.HOME_ESCORTED, ExitType.FAMILY, ExitType.TRANSFER,
                          ExitType.SELF})
WITNESS_FIELDS = ("witness_1", "witness_2")


def cash_cap() -> decimal.Decimal:
    return decimal.Decimal(settings.GUITU_RULES["N8_CASH_CAP_YUAN"])


def n9_min_age() -> int:
    return int(settings.GUITU_RULES["N9_MIN_AGE_TO_LEAVE_ALONE"])


def _age(episode: Episode, at: datetime.datetime) -> int | None:
    person = episode.person
    age = person.age_on(timezone.localtime(at).date())
    if age is None and person.age_max is not None:
        age = person.age_max
    return age


def is_child_under_n9(episode: Episode, at: datetime.datetime) -> bool:
    age = _age(episode, at)
    return age is not None and age < n9_min_age()


def is_minor(episode: Episode, at: datetime.datetime) -> bool:
    age = _age(episode, at)
    return episode.person.is_minor if age is None else age < 18


def take_id_copy(upload: UploadedFile | None) -> CleanDocument:
    """The claimant's ID copy (rule N9): an image (re-encoded by core.images, EXIF stripped) or a PDF."""
    if upload is None:
        raise ValidationError({"claimant_id_copy": "请上传接领人身份证复印件（图片或PDF，规则 N9）。"})
    return take_document(upload, field="claimant_id_copy", label="身份证复印件")


def _require(errors: dict, data: dict, field: str, message: str) -> None:
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[field] = message


def needs_n9_care(episode: Episode, at: datetime.datetime, data: dict[str, Any] | None = None) -> bool:
    """Rule N9 applies: a child under 16 or a person with limited mobility."""
    return is_child_under_n9(episode, at) or bool((data or {}).get("limited_mobility") or episode.person.limited_mobility)


def _check_receiver_id(errors: dict, claimant_id_number: str, who: str) -> None:
    """Rule N9: the receiving person's ID is checked (GB 11643) and kept."""
    if not (claimant_id_number or "").strip():
        errors["claimant_id_number"] = f"请填写{who}身份证号并核对证件原件（规则 N9）。"
        return
    try:
        parse_id_number(claimant_id_number)
    except InvalidIdNumber as exc:
        errors["claimant_id_number"] = f"{who}身份证号有误：{exc}"


def _validate(*, by, episode: Episode, exit_type: str, left_at: datetime.datetime, data: dict[str, Any],
              claimant_id_number: str, escort_staff: list) -> dict[str, str]:
    errors: dict[str, str] = {}
    child = is_child_under_n9(episode, left_at)
    # rule N9: children under 16 and people with limited mobility leave only with relatives or the responsible body
    limited = data.get("limited_mobility") or episode.person.limited_mobility
    n9 = child or limited
    if (child or limited) and exit_type not in N9_ALLOWED:
        who = f"未满{n9_min_age()}周岁的未成年人" if child else "行动不便人员"
        errors["exit_type"] = (f"{who}不能{ExitType(exit_type).label}，须由亲属接领、护送返乡或转送其他机构（规则 N9）。"
                               + ("若已不知去向，请按“走失”登记。" if exit_type == ExitType.NO_FORMALITIES else ""))
        return errors

    if exit_type == ExitType.HOME_TICKET:  # rule N8
        _require(errors, data, "ticket_no", "请填写票号。")
        _require(errors, data, "travel_mode", "请选择交通方式。")
        _require(errors, data, "destination", "请填写目的地。")
        if not data.get("is_direct", True):
            _require(errors, data, "transfer_point", "非直达时须告知并填写中转地（规则 N8）。")
            _require(errors, data, "local_station_contact", "非直达时须告知并填写中转地救助站的联系方式（规则 N8）。")
        # rule N8: cash is the exception — any cash needs a reason and a signed receipt; above the cap
        # (GUITU_RULES["N8_CASH_CAP_YUAN"], 20 yuan) a second approval by the station head.
        cash = data.get("cash_yuan") or decimal.Decimal(0)
        if cash < 0:
            errors["cash_yuan"] = "现金金额不能为负数。"
        elif cash > 0:
            if not (data.get("cash_exception_reason") or "").strip():
                errors["cash_exception_reason"] = "一般不发放现金；确需发放的，请写明特殊情况（规则 N8）。"
            if not data.get("cash_receipt_signed"):
                errors["cash_receipt_signed"] = "发放现金须由受助人员签字领取（规则 N8）。"
            approver = data.get("cash_approved_by")
            if cash > cash_cap():
                if approver is None:
                    errors["cash_approved_by"] = f"发放现金超过{cash_cap()}元，须经站长审批，请选择审批人（规则 N8）。"
                elif approver.pk == getattr(by, "pk", None):
                    errors["cash_approved_by"] = "超额现金须由经办人以外的站长审批（规则 N8）。"
                elif not (approver.organisation_id == episode.station_id and approver.has_role(Role.HEAD)):
                    errors["cash_approved_by"] = "审批人须为本机构站长（规则 N8）。"
    elif exit_type == ExitType.HOME_ESCORTED:
        if not escort_staff:
            errors["escort_staff"] = "请选择护送人员。"
        _require(errors, data, "escort_route", "请填写护送路线。")
        _require(errors, data, "handed_over_to", "请选择交接对象。")
        _require(errors, data, "handover_person", "请填写接收人姓名。")
        _require(errors, data, "handover_at", "请填写交接时间。")
        if data.get("handed_over_to") == HandoverTo.STATION:
            org = data.get("handover_org")
            if org is None or org.kind not in STATION_KINDS:
                errors["handover_org"] = "交户籍地救助管理机构时请选择接收的救助管理机构。"
        handover_at = data.get("handover_at")
        if handover_at and handover_at < left_at:
            errors["handover_at"] = "交接时间不能早于离站时间。"
        elif handover_at and handover_at > timezone.now() + datetime.timedelta(minutes=5):
            errors["handover_at"] = "交接时间不能晚于当前时间。"
        if n9:  # rule N9: the receiving person's ID is checked and a copy kept, on every way out
            _check_receiver_id(errors, claimant_id_number, "接收人")
    elif exit_type == ExitType.FAMILY:  # rules N9, E3
        _require(errors, data, "claimant_name", "请填写接领人姓名。")
        _require(errors, data, "claimant_relationship", "请填写接领人与受助人员的关系。")
        _require(errors, data, "claimant_phone", "请填写接领人电话。")
        _check_receiver_id(errors, claimant_id_number, "接领人")
    elif exit_type == ExitType.TRANSFER:
        org = data.get("transfer_org")
        if org is None:
            errors["transfer_org"] = "请选择转送的机构。"
        elif org.pk == episode.station_id:
            errors["transfer_org"] = "不能转送到本机构。"
        # rule N9: the receiving body's responsible person is recorded
        _require(errors, data, "transfer_person", "请填写接收机构的负责人（规则 N9）。")
        if n9:
            _require(errors, data, "transfer_person_phone", "请填写接收机构负责人的联系电话（规则 N9）。")
    elif exit_type == ExitType.SELF:  # rule N7
        person = episode.person
        # 规程: self-departure only for people aged 16 or over with no sign of mental disorder or
        # intellectual disability (under 16 is refused above, rule N9)
        if person.has_mental_disorder or person.has_intellectual_disability:
            errors["exit_type"] = ("有精神障碍或智力残疾迹象的受助人员不能自行离站，须由亲属接领、护送返乡或"
                                   "转送其他机构（规程）。")
            return errors
        if _age(episode, left_at) is None and person.is_minor:
            errors["exit_type"] = "年龄不详的未成年人不能自行离站（规则 N9）。"
            return errors
        if not data.get("declaration_signed"):
            errors["declaration_signed"] = "自行离站须由本人签署《自行离站声明书》（规则 N7）。"
    elif exit_type == ExitType.NO_FORMALITIES:  # rule N7
        text = (data.get("written_record") or "").strip()
        if len(text) < 10:
            errors["written_record"] = "未办手续离站视为放弃救助，须书面记录经过（至少10个字，规则 N7）。"
    elif exit_type == ExitType.DEATH:
        _require(errors, data, "death_place", "请填写死亡地点。")
        _require(errors, data, "death_cause", "请填写死亡原因（以医疗机构或公安机关结论为准）。")
        if not (data.get("police_notified") or data.get("hospital_notified")):
            errors["police_notified"] = "死亡须通知公安机关或医疗机构（规则 X1）。"
    elif exit_type == ExitType.SETTLEMENT:  # rules S1, E1: into the institution the government approved
        if data.get("transfer_org") is None:
            errors["transfer_org"] = "请选择安置的福利机构。"
        _require(errors, data, "transfer_person", "请填写安置机构的接收负责人（规则 N9）。")
    elif exit_type == ExitType.MISSING:
        if len((data.get("circumstances") or "").strip()) < 10:
            errors["circumstances"] = "请记录走失经过（至少10个字）。"
        if not data.get("police_notified"):
            errors["police_notified"] = "走失须报警（规则 X1）。"
        _require(errors, data, "police_report_ref", "请填写报警回执或报案编号。")
    if exit_type in E3_HANDOVERS and is_minor(episode, left_at):
        _witnesses(errors, data, episode, left_at)
    else:
        for field in WITNESS_FIELDS:
            data.pop(field, None)
    return errors


def _witnesses(errors: dict, data: dict, episode: Episode, left_at: datetime.datetime) -> None:
    """Rule E3: a minor's handover is witnessed by two different members of the station's supervision panel
    whose term is current that day (chosen from the roster, never typed). Replaces the choices in ``data``
    by the members' names and keeps the memberships in ``data["panel_witnesses"]`` (recorded by oversight)."""
    from oversight.services import current_members

    day = timezone.localtime(left_at).date()
    current = {str(m.uuid): m for m in current_members(episode.station, day)}
    chosen = []
    for field, which in (("witness_1", "第一名"), ("witness_2", "第二名")):
        value = data.get(field)
        ref = str(getattr(value, "uuid", value) or "").strip()
        if not ref:
            errors[field] = f"未成年人离站须有两名监督组成员现场见证，请选择{which}见证人（规则 E3）。"
        elif ref not in current:
            errors[field] = "见证人须为本站监督组任期内的成员（规则 E3）。"
        else:
            chosen.append(current[ref])
    if len(chosen) == 2 and chosen[0].member_id == chosen[1].member_id:
        errors["witness_2"] = "两名见证人不能是同一人（规则 E3）。"
    elif len(chosen) == 2:
        data["panel_witnesses"] = chosen
        data["witness_1"], data["witness_2"] = str(chosen[0].member)[:50], str(chosen[1].member)[:50]


def _belongings_list(episode: Episode) -> list[str]:
    """What is still kept (rules I2, N7): the closing path hands it back; the departure lists it."""
    from intake.selectors import belongings_outstanding

    return [f"{b.item}×{b.quantity}" + (f"（{b.description}）" if b.description else "")
            for b in belongings_outstanding(episode)]


@transaction.atomic
def departure_create(*, by, episode: Episode, exit_type: str, left_at: datetime.datetime | None = None,
                     data: dict[str, Any] | None = None, claimant_id_number: str = "",
                     claimant_id_copy: UploadedFile | None = None, escort_staff: list | None = None,
                     settlement_case=None) -> Departure:
    """Record how a person left (rule E1) and close the episode: bed released, placement ended,
    belongings counted back, episode → 已离站. Type-specific fields are required per type.

    安置 (``ExitType.SETTLEMENT``) is accepted only with ``settlement_case``: the settlement app's placement
    step calls this same path, so an episode closes one way whatever the exit."""
    data = dict(data or {})
    escort_staff = list(escort_staff or [])
    left_at = left_at or timezone.now()
    episode = Episode.objects.select_for_update().select_related("person", "station").get(pk=episode.pk)
    if exit_type not in ExitType.values:
        raise ValidationError({"exit_type": "请选择离站方式。"})
    if exit_type in RECORDED_ELSEWHERE and settlement_case is None:
        raise ValidationError({"exit_type": "“安置”须在落户安置流程中办理：政府批准后登记安置到福利机构（规则 S1、E1）。"})
    if episode.status not in IN_CARE:
        raise ValidationError(f"当前状态为“{episode.status_label}”，不能办理离站。")
    if Departure.objects.filter(episode=episode).exists():
        raise ValidationError("该救助过程已有离站记录。")
    time_errors = {}  # reported together with every other mistake, not on the next save
    if left_at > timezone.now() + datetime.timedelta(minutes=5):
        time_errors["left_at"] = "离站时间不能晚于当前时间。"
    elif episode.admitted_at and left_at < episode.admitted_at:
        time_errors["left_at"] = f"离站时间不能早于入站时间（{timezone.localtime(episode.admitted_at):%Y-%m-%d %H:%M}）。"
    errors = _validate(by=by, episode=episode, exit_type=exit_type, left_at=left_at, data=data,
                       claimant_id_number=claimant_id_number, escort_staff=escort_staff)
    errors = {**errors, **time_errors}
    id_copy = None
    keeps_receiver_id = exit_type == ExitType.FAMILY or (
        exit_type == ExitType.HOME_ESCORTED and needs_n9_care(episode, left_at, data))
    if keeps_receiver_id and "exit_type" not in errors:
        try:
            id_copy = take_id_copy(claimant_id_copy)
        except ValidationError as exc:
            errors.update({field: messages[0] for field, messages in exc.message_dict.items()})
    if exit_type == ExitType.HOME_ESCORTED:
        # rule E2: cross-province escorts are run by the regional centre, so its staff escort too
        allowed_orgs = {episode.station_id} | covering_centre_ids(episode.station)
        strangers = [u for u in escort_staff if u.organisation_id not in allowed_orgs]
        if strangers:
            errors["escort_staff"] = "护送人员须为本机构或本区域区域性中心的工作人员（规则 E2）。"
    if errors:
        raise ValidationError(errors)

    allowed = set(TYPE_FIELDS[exit_type]) | set(COMMON_FIELDS)
    if exit_type in E3_HANDOVERS:
        allowed |= set(WITNESS_FIELDS)
    departure = Departure(episode=episode, exit_type=exit_type, left_at=left_at, recorded_by=by,
                          **{k: v for k, v in data.items() if k in allowed and v is not None})
    if exit_type == ExitType.HOME_TICKET and departure.is_direct:
        departure.transfer_point = departure.local_station_contact = ""
    if keeps_receiver_id:
        info = parse_id_number(claimant_id_number)
        departure.claimant_id_enc = encrypt_id(info.number)
        departure.claimant_id_hash = hash_id(info.number)
        departure.claimant_id_masked = mask_id(info.number)

    label = ExitType(exit_type).label
    returns = exit_type in RETURNS_BELONGINGS
    if returns:
        departure.belongings_returned = _belongings_list(episode)
    # The one closing path: bed, placements, belongings, tracing tasks and announcements (rules E1, T3).
    episode_close(by=by, episode=episode, to=EpisodeStatus.LEFT, at=left_at, note=label, reason=f"离站：{label}",
                  return_belongings=returns, went_home=exit_type in WENT_HOME)
    if keeps_receiver_id:
        departure.claimant_id_copy = id_copy.as_file("id-copy")
    departure.save()
    if escort_staff:
        departure.escort_staff.set(escort_staff)
    if data.get("panel_witnesses"):  # rule E3: the two panel members, kept by the panel's roster
        from oversight.services import handover_witnesses_record

        handover_witnesses_record(departure=departure, memberships=data["panel_witnesses"])
    changes = {k: [None, v] for k, v in snapshot(departure).items() if v not in (None, "", [], {}, False)}
    if escort_staff:
        changes["escort_staff"] = [None, [str(u) for u in escort_staff]]
    audit(actor=by, action=AuditAction.CREATE, obj=departure, summary=f"{episode.number} 离站：{label}",
          organisation=episode.station, person_uuid=episode.person.uuid, changes=changes)
    # What follows from a departure in other apps (an incident for a death or going missing, rule X1).
    events.publish(events.EpisodeLeft(episode=episode, departure=departure, exit_type=exit_type, by=by, at=left_at))
    return departure

