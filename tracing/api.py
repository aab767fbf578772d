"""API of the tracing app (/api/v1/tracing): identity checks (send, police inbox, answer), talks, DNA,
identification, the return plan with escalations, and the monthly report (T10).

Same services, scope and write rules as the pages. Attachments travel as base64 (image or PDF).
"""

import base64
import binascii
import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from ninja import Field, Query, Router, Schema, Status

from core.models import Division, Organisation, Role
from core.scoping import require_case_write, require_write
from tracing import selectors, services
from tracing.selectors import CHECK_ROLES, IDENTIFY_ROLES, PLAN_ROLES, TRACING_ROLES

router = Router()


# --- schemas ----------------------------------------------------------------------------------------------


class CheckIn(Schema):
    police: uuid.UUID
    photo: uuid.UUID | None = None
    biometrics_ref: str = Field("", max_length=200)
    known_info: str = Field("", max_length=2000)
    send: bool = True


class AttachmentIn(Schema):
    filename: str = Field(..., max_length=200)
    content_base64: str = Field(..., max_length=14000000)


class AnswerIn(Schema):
    result: str = Field(..., max_length=16)
    answer_text: str = Field("", max_length=2000)
    name: str = Field("", max_length=50)
    id_number: str = Field("", max_length=18)
    hukou_division: str = Field("", max_length=12)
    hukou_text: str = Field("", max_length=200)
    attachments: list[AttachmentIn] = []


class AttachmentOut(Schema):
    uuid: uuid.UUID
    filename: str
    content_type: str
    size: int


class CheckOut(Schema):
    """What the police see: what was sent and the answer — never the person's file."""

    uuid: uuid.UUID
    number: str
    status: str
    status_label: str = Field(alias="get_status_display")
    station: str = Field(alias="station.name")
    police: str = Field(alias="police.name")
    has_photo: bool = False
    biometrics_ref: str
    known_info: str
    sent_at: datetime.datetime | None
    answered_at: datetime.datetime | None
    answer_due: datetime.datetime | None = None
    t2_state: str = ""
    result: str
    answer_text: str
    answered_name: str
    answered_id_masked: str
    answered_hukou_text: str
    attachments: list[AttachmentOut] = []


class TalkIn(Schema):
    held_at: datetime.datetime
    content: str = Field(..., max_length=5000)
    present: str = Field("", max_length=200)


class TalkOut(Schema):
    uuid: uuid.UUID
    held_at: datetime.datetime
    content: str
    present: str
    by: str
    suggestions: list[dict]

    @staticmethod
    def resolve_by(obj) -> str:
        return str(obj.by)


class DnaIn(Schema):
    police: uuid.UUID
    requested_at: datetime.datetime | None = None
    sample_taken_on: datetime.date | None = None
    note: str = Field("", max_length=2000)


class DnaUpdateIn(Schema):
    sample_taken_on: datetime.date | None = None
    result: str = Field("", max_length=16)
    reference: str = Field("", max_length=200)
    result_on: datetime.date | None = None
    note: str | None = Field(None, max_length=2000)


class DnaOut(Schema):
    uuid: uuid.UUID
    police: str = Field(alias="police.name")
    requested_at: datetime.datetime
    sample_taken_on: datetime.date | None
    result: str
    reference: str
    result_on: datetime.date | None
    closed_reason: str
    t6_state: str = ""


class IdentifyIn(Schema):
    method: str = Field(..., max_length=16)
    evidence: str = Field(..., max_length=2000)
    name: str = Field("", max_length=50)
    id_number: str = Field("", max_length=18)
    hukou_division: str = Field("", max_length=12)
    hukou_text: str = Field("", max_length=200)


class IdentificationOut(Schema):
    uuid: uuid.UUID
    person: uuid.UUID = Field(alias="person.uuid")
    method: str
    method_label: str = Field(alias="get_method_display")
    evidence: str
    name: str
    id_number_masked: str
    confirmed_at: datetime.datetime
    confirmed_by: str
    return_plan_uuid: uuid.UUID | None = None

    @staticmethod
    def resolve_confirmed_by(obj) -> str:
        return str(obj.confirmed_by)


class EscalationOut(Schema):
    uuid: uuid.UUID
    level: int
    to_organisation: str = Field(alias="to_organisation.name")
    escalated_on: datetime.date
    note: str
    answer: str
    answered_on: datetime.date | None


class PlanIn(Schema):
    status: str = Field(..., max_length=16)
    target_date: datetime.date | None = None
    method: str = Field("", max_length=16)
    home_organisation: uuid.UUID | None = None
    home_contact: str = Field("", max_length=200)
    refusal_reason: str = Field("", max_length=300)
    note: str = Field("", max_length=2000)


class PlanOut(Schema):
    uuid: uuid.UUID
    person: uuid.UUID = Field(alias="person.uuid")
    station: str = Field(alias="station.name")
    status: str
    status_label: str = Field(alias="get_status_display")
    target_date: datetime.date | None
    method: str
    home_contact: str
    refusal_reason: str
    note: str
    escalations: list[EscalationOut] = []


class EscalateIn(Schema):
    note: str = Field("", max_length=2000)
    escalated_on: datetime.date | None = None


class ReportRowOut(Schema):
    file_no: str
    name: str
    entry: datetime.datetime
    days: int
    tracer: str
    channels: dict[str, bool]
    any_live: bool
    talks: int
    talk_days_missed: int
    police: str
    dna: str


class ReportOut(Schema):
    station: str
    month: str
    as_of: datetime.datetime
    stranded: int
    over_10_days: int
    unidentified: int
    without_live_announcement: int
    identified: dict[str, int]
    rows: list[ReportRowOut]


# --- helpers ---------------------------------------------------------------------------------------------


def _org(value: uuid.UUID | None, field: str) -> Organisation | None:
    if value is None:
        return None
    org = Organisation.objects.filter(uuid=value).first()
    if org is None:
        raise ValidationError({field: "未找到该机构。"})
    return org


def _division(code: str, field: str) -> Division | None:
    if not code:
        return None
    division = Division.objects.filter(code=code.strip()).first()
    if division is None:
        raise ValidationError({field: f"区划代码“{code}”不存在。"})
    return division


def _check_out(check):
    t2 = selectors.t2_status(check)
    check.has_photo = bool(check.photo_id)
    check.answer_due = t2["deadline"]
    check.t2_state = t2["state"]
    return check


def _open_episode_for_write(request, person_uuid, *roles):
    person = selectors.person_get(user=request.user, uuid=person_uuid)
    episode = selectors.open_episode(person)
    if episode is None:
        require_write(request.user, person.current_station or person.registered_by, *roles)
        raise ValidationError("该人员目前不在站（没有进行中的救助过程）。")
    require_case_write(request.user, episode, *roles)
    return person, episode


def _plan_out(plan):
    return plan


# --- identity checks ----------------------------------------------------------------------------------


@router.post("/people/{person_uuid}/checks", response={201: CheckOut}, summary="发送公安身份核查（规则T1）")
def check_create(request, person_uuid: uuid.UUID, payload: CheckIn):
    person, _ = _open_episode_for_write(request, person_uuid, *CHECK_ROLES)
    photo = None
    if payload.photo:
        photo = person.photos.filter(uuid=payload.photo).first()
        if photo is None:
            raise ValidationError({"photo": "所选照片不属于该人员。"})
    check = services.check_create(by=request.user, person=person, police=_org(payload.police, "police"), photo=photo,
                                  biometrics_ref=payload.biometrics_ref, known_info=payload.known_info,
                                  send=payload.send)
    return Status(201, _check_out(check))


@router.get("/checks", response=list[CheckOut], summary="身份核查列表（机构的请求，或公安机关的收件箱）")
def check_list(request, status: str = Query("", max_length=32), page: int = Query(1, ge=1, le=100_000)):
    start = (max(page, 1) - 1) * 50
    return [_check_out(c) for c in selectors.check_list(user=request.user, status=status)[start:start + 50]]


@router.get("/checks/inbox", response=list[CheckOut], summary="公安机关收件箱：发给本单位的核查请求")
def police_inbox(request, status: str = Query("", max_length=32), page: int = Query(1, ge=1, le=100_000)):
    if not selectors.is_police_user(request.user):
        raise PermissionDenied("只有公安机关的用户有核查收件箱。")
    start = (max(page, 1) - 1) * 50
    return [_check_out(c) for c in selectors.police_inbox(user=request.user, status=status)[start:start + 50]]


@router.get("/checks/{check_uuid}", response=CheckOut, summary="身份核查详情")
def check_get(request, check_uuid: uuid.UUID):
    return _check_out(selectors.check_get(user=request.user, uuid=check_uuid))


@router.post("/checks/{check_uuid}/send", response=CheckOut, summary="发送草稿核查")
def check_send(request, check_uuid: uuid.UUID):
    check = selectors.check_get(user=request.user, uuid=check_uuid)
    require_write(request.user, check.station, *CHECK_ROLES)
    return _check_out(services.check_send(by=request.user, check=check))


@router.post("/checks/{check_uuid}/answer", response=CheckOut, summary="公安答复身份核查（规则T2）")
def check_answer(request, check_uuid: uuid.UUID, payload: AnswerIn):
    check = selectors.check_get(user=request.user, uuid=check_uuid)
    require_write(request.user, check.police, Role.POLICE)
    uploads = []
    for att in payload.attachments:
        try:
            content = base64.b64decode(att.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError({"attachments": f"附件“{att.filename}”的 base64 编码有误。"}) from exc
        uploads.append(SimpleUploadedFile(att.filename or "attachment.bin", content))
    check = services.check_answer(by=request.user, check=check, result=payload.result, answer_text=payload.answer_text,
                                  name=payload.name, id_number=payload.id_number,
                                  hukou_division=_division(payload.hukou_division, "hukou_division"),
                                  hukou_text=payload.hukou_text, attachments=uploads)
    return _check_out(check)


# --- talks -----------------------------------------------------------------------------------------------


@router.post("/people/{person_uuid}/talks", response={201: TalkOut}, summary="记录寻亲谈话（规则T4）")
def talk_add(request, person_uuid: uuid.UUID, payload: TalkIn):
    _, episode = _open_episode_for_write(request, person_uuid, *TRACING_ROLES)
    talk = services.talk_add(by=request.user, episode=episode, held_at=payload.held_at, content=payload.content,
                             present=payload.present)
    return Status(201, talk)


@router.get("/people/{person_uuid}/talks", response=list[TalkOut], summary="寻亲谈话列表")
def talk_list(request, person_uuid: uuid.UUID):
    person = selectors.person_get(user=request.user, uuid=person_uuid)
    from core.scoping import scoped
    from tracing.models import Talk

    return list(scoped(Talk.objects.filter(episode__person=person), request.user).select_related("by")
                .order_by("held_at"))


# --- DNA -------------------------------------------------------------------------------------------------


def _dna_out(dna):
    dna.t6_state = selectors.t6_status(dna)["state"]
    return dna


@router.post("/people/{person_uuid}/dna", response={201: DnaOut}, summary="申请 DNA 采样比对（规则T5）")
def dna_create(request, person_uuid: uuid.UUID, payload: DnaIn):
    _, episode = _open_episode_for_write(request, person_uuid, *TRACING_ROLES)
    dna = services.dna_request_create(by=request.user, episode=episode, police=_org(payload.police, "police"),
                                      requested_at=payload.requested_at, sample_taken_on=payload.sample_taken_on,
                                      note=payload.note)
    return Status(201, _dna_out(dna))


@router.get("/dna/{dna_uuid}", response=DnaOut, summary="DNA 采样比对记录")
def dna_get(request, dna_uuid: uuid.UUID):
    return _dna_out(selectors.dna_get(user=request.user, uuid=dna_uuid))


@router.post("/dna/{dna_uuid}", response=DnaOut, summary="登记采样日期和比对结果（规则T6）")
def dna_update(request, dna_uuid: uuid.UUID, payload: DnaUpdateIn):
    dna = selectors.dna_get(user=request.user, uuid=dna_uuid)
    require_case_write(request.user, dna.episode, *TRACING_ROLES)
    dna = services.dna_request_update(by=request.user, dna=dna, sample_taken_on=payload.sample_taken_on,
                                      result=payload.result, reference=payload.reference, result_on=payload.result_on,
                                      note=payload.note)
    return _dna_out(dna)


# --- identification and the return plan --------------------------------------------------------------


@router.post("/people/{person_uuid}/identification", response={201: IdentificationOut}, summary="确认身份")
def identify(request, person_uuid: uuid.UUID, payload: IdentifyIn):
    person, _ = _open_episode_for_write(request, person_uuid, *IDENTIFY_ROLES)
    ident = services.identity_confirm(by=request.user, person=person, method=payload.method, evidence=payload.evidence,
                                      name=payload.name, id_number=payload.id_number,
                                      hukou_division=_division(payload.hukou_division, "hukou_division"),
                                      hukou_text=payload.hukou_text)
    plan = getattr(ident, "return_plan", None)
    ident.return_plan_uuid = plan.uuid if plan else None
    return Status(201, ident)


@router.get("/plans/{plan_uuid}", response=PlanOut, summary="返乡计划（规则T9）")
def plan_get(request, plan_uuid: uuid.UUID):
    return _plan_out(selectors.plan_get(user=request.user, uuid=plan_uuid))


@router.post("/plans/{plan_uuid}", response=PlanOut, summary="更新返乡计划")
def plan_update(request, plan_uuid: uuid.UUID, payload: PlanIn):
    plan = selectors.plan_get(user=request.user, uuid=plan_uuid)
    require_write(request.user, plan.station, *PLAN_ROLES)
    plan = services.return_plan_update(by=request.user, plan=plan, status=payload.status,
                                       target_date=payload.target_date, method=payload.method,
                                       home_organisation=_org(payload.home_organisation, "home_organisation"),
                                       home_contact=payload.home_contact, refusal_reason=payload.refusal_reason,
                                       note=payload.note)
    return _plan_out(plan)


@router.post("/plans/{plan_uuid}/escalations", response={201: EscalationOut}, summary="户籍地拒收，逐级上报")
def plan_escalate(request, plan_uuid: uuid.UUID, payload: EscalateIn):
    plan = selectors.plan_get(user=request.user, uuid=plan_uuid)
    require_write(request.user, plan.station, *PLAN_ROLES)
    return Status(201, services.escalate(by=request.user, plan=plan, note=payload.note,
                                         escalated_on=payload.escalated_on))


# --- T10 --------------------------------------------------------------------------------------------------


@router.get("/reports/{station_uuid}", response=ReportOut, summary="寻亲工作月报（规则T10）")
def report(request, station_uuid: uuid.UUID, month: str = Query("", max_length=7)):
    station = selectors.report_station_get(user=request.user, uuid=station_uuid)
    year, mon = selectors.parse_month(month)
    r = selectors.monthly_report(station=station, year=year, month=mon)
    return {
        "station": station.name, "month": f"{year}-{mon:02d}", "as_of": r["as_of"], "stranded": r["stranded"],
        "over_10_days": r["over_10_days"], "unidentified": r["unidentified"],
        "without_live_announcement": r["without_live_announcement"],
        "identified": {i["method"]: i["count"] for i in r["identified"]},
        "rows": [{**row, "channels": {c["channel"]: c["live"] for c in row["channels"]}} for row in r["rows"]],
    }
