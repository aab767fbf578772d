"""Intake API (/api/v1/intake): the same services and scoped selectors as the pages."""

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from core.idnumbers import KEEP_UNCHECKED_HELP
from core.models import Organisation
from core.paging import api_page
from core.scoping import require_case_write, require_write
from intake import selectors, services
from intake.models import Belonging, HealthCheck, PoliceHandover, SafetyCheck
from intake.selectors import INTAKE_ROLES
from people.api import PersonBaseIn
from people.models import Episode

router = Router()


# ---------- schemas ----------
class PersonIn(PersonBaseIn):
    id_number: str = Field("", max_length=18)
    keep_unchecked_id: bool = Field(False, description=KEEP_UNCHECKED_HELP)


class AnswersIn(Schema):
    residence: str = Field("", max_length=200)
    subsistence: str = Field("none", max_length=16)
    reason: str = Field("other", max_length=24)
    reason_text: str = Field("", max_length=2000)
    vagrancy_duration: str = Field("", max_length=100)
    vagrancy_history: str = Field("", max_length=2000)
    relatives: str = Field("", max_length=2000)
    unable_to_answer: bool = False
    cannot_pay: bool = False
    no_relatives: bool = False
    not_on_subsistence: bool = False
    living_by_vagrancy: bool = False
    decision: str = Field("eligible", max_length=16)
    decision_note: str = Field("", max_length=300)
    recording_ref: str = Field("", max_length=100)
    recording_keep_until: datetime.date | None = None
    caller: str = Field("", max_length=100)
    fingerprint_taken: bool = False
    photo_taken: bool = False
    foreign_police_note: str = Field("", max_length=2000)


class RegisterIn(Schema):
    channel: str = Field(..., max_length=16)
    requested_at: datetime.datetime | None = None
    person_uuid: uuid.UUID | None = None
    person: PersonIn = PersonIn()
    answers: AnswersIn = AnswersIn()


class CandidateOut(Schema):
    uuid: uuid.UUID
    in_scope: bool
    name: str
    sex: str
    birth_year: int | None
    file_no: str
    station_name: str
    station_phone: str = ""
    reasons: list[str]
    score: int
    same_id: bool


class EpisodeOut(Schema):
    uuid: uuid.UUID
    number: str
    status: str
    status_label: str
    channel: str
    requested_at: datetime.datetime
    admitted_at: datetime.datetime | None
    person_uuid: uuid.UUID
    person_name: str
    station: str
    flag_repeat_requests: bool
    flag_foreign: bool
    decision: str | None

    @staticmethod
    def resolve_person_uuid(obj):
        return obj.person.uuid

    @staticmethod
    def resolve_person_name(obj):
        return obj.person.name

    @staticmethod
    def resolve_station(obj):
        return obj.station.name

    @staticmethod
    def resolve_decision(obj):
        record = getattr(obj, "intake", None)  # reverse one-to-one: missing → None
        return record.decision if record else None


class RegisterOut(Schema):
    episode: EpisodeOut
    candidates: list[CandidateOut]


class DangerousItemIn(Schema):
    kind: str = Field(..., max_length=16)
    description: str = Field(..., max_length=200)
    reported_to: uuid.UUID | None = None
    reported_at: datetime.datetime | None = None
    handling: str = Field("", max_length=300)


class SafetyIn(Schema):
    checked_at: datetime.datetime | None = None
    note: str = Field("", max_length=300)
    items: list[DangerousItemIn] = []


class HealthIn(Schema):
    checked_at: datetime.datetime | None = None
    checker_role: str = Field("reception", max_length=16)
    physical: str = Field("", max_length=300)
    mental: str = Field("", max_length=300)
    suspected_mental_disorder: bool = False
    suspected_infectious: bool = False
    acute_illness: bool = False
    suspected_drug_use: bool = False
    outcome: str = Field(..., max_length=16)
    hospital: uuid.UUID | None = None
    police: uuid.UUID | None = None
    police_reported_at: datetime.datetime | None = None
    note: str = Field("", max_length=300)


class HandoverIn(Schema):
    escort_org: uuid.UUID | None = None
    escort_unit_text: str = Field("", max_length=100)
    officers: str = Field("", max_length=200)
    officer_phone: str = Field("", max_length=40)
    handed_over_at: datetime.datetime | None = None
    found_place: str = Field("", max_length=200)
    found_how: str = Field("", max_length=300)
    condition: str = Field("", max_length=300)
    belongings_text: str = Field("", max_length=300)


class BelongingIn(Schema):
    item: str = Field(..., max_length=100)
    quantity: int = Field(1, ge=1, le=10000)
    description: str = Field("", max_length=200)
    location: str = Field("", max_length=100)


class ReasonIn(Schema):
    reason: str = Field("", max_length=2000)


class RecordOut(Schema):
    uuid: uuid.UUID
    summary: str


class SafetyOut(Schema):
    uuid: uuid.UUID
    checked_at: datetime.datetime
    result: str
    items: list[str]

    @staticmethod
    def resolve_items(obj):
        return [f"{i.get_kind_display()}：{i.description}" for i in obj.items.all()]


class HealthOut(Schema):
    uuid: uuid.UUID
    checked_at: datetime.datetime
    outcome: str
    physical: str
    mental: str


class HandoverOut(Schema):
    uuid: uuid.UUID
    handed_over_at: datetime.datetime
    escort_unit: str
    officers: str


class BelongingOut(Schema):
    uuid: uuid.UUID
    item: str
    quantity: int
    returned_at: datetime.datetime | None


class NoticeOut(Schema):
    uuid: uuid.UUID
    kind: str
    number: str
    reason: str
    issued_at: datetime.datetime


class PanelOut(Schema):
    episode: EpisodeOut
    safety_checks: list[SafetyOut]
    health_checks: list[HealthOut]
    handovers: list[HandoverOut]
    belongings: list[BelongingOut]
    notices: list[NoticeOut]
    missing: list[str]


class ReturnedOut(Schema):
    returned: int


# ---------- helpers ----------
def _org(value: uuid.UUID | None, field: str) -> Organisation | None:
    if value is None:
        return None
    org = Organisation.objects.filter(uuid=value).first()
    if org is None:
        raise ValidationError({field: "未找到该机构。"})
    return org


def _episode_for_write(request, uuid_value) -> Episode:
    episode = selectors.episode_get(user=request.user, uuid=uuid_value)
    require_case_write(request.user, episode, *INTAKE_ROLES)
    return episode


def _candidates(request, payload: RegisterIn, exclude=None) -> list[dict]:
    p = payload.person
    birth_year = p.birth_date.year if p.birth_date else p.birth_year_est
    return selectors.duplicate_candidates(user=request.user, name=p.name.strip(), sex=p.sex, birth_year=birth_year,
                                          id_number=p.id_number.strip(), exclude=exclude)


# ---------- endpoints ----------
@router.get("/requests", response=list[EpisodeOut], summary="求助记录列表（含不予救助、终止救助，规则I1）")
def list_requests(request, channel: str = Query("", max_length=32), decision: str = Query("", max_length=32), status: str = Query("", max_length=32),
                  date_from: datetime.date | None = None, date_to: datetime.date | None = None, page: int = Query(1, ge=1, le=100_000),
                  cursor: str = Query("", max_length=1000, description="上一页应答头 X-Next-Cursor 的值（键集翻页）"),
                  response: HttpResponse = None):
    qs = selectors.intake_list(user=request.user, filters={"channel": channel, "decision": decision,
                                                           "status": status, "date_from": date_from,
                                                           "date_to": date_to})
    return api_page(qs, page=page, cursor=cursor, response=response)


@router.post("/requests/check", response=list[CandidateOut], summary="登记前查找可能重复的档案（规则I4、E4）")
def check_request(request, payload: RegisterIn):
    require_write(request.user, request.user.organisation, *INTAKE_ROLES)
    return _candidates(request, payload)


@router.post("/requests", response={201: RegisterOut}, summary="求助登记（规则I1、N1、N2、N6、I6、I7）")
def register(request, payload: RegisterIn):
    station = request.user.organisation
    require_write(request.user, station, *INTAKE_ROLES)
    p = payload.person
    birth_year = p.birth_date.year if p.birth_date else p.birth_year_est
    person = None
    if payload.person_uuid:
        person = selectors.attachable_person(user=request.user, uuid=payload.person_uuid, name=p.name.strip(),
                                             sex=p.sex, birth_year=birth_year, id_number=p.id_number.strip())
    data = p.dict(exclude={"id_number", "keep_unchecked_id", "use_provisional_name"})
    data["residence_text"] = payload.answers.residence
    episode = services.intake_register(by=request.user, station=station, channel=payload.channel,
                                       requested_at=payload.requested_at, person=person, person_data=data,
                                       id_number=p.id_number.strip(), keep_unchecked_id=p.keep_unchecked_id,
                                       use_provisional_name=p.use_provisional_name,
                                       answers=payload.answers.dict())
    episode = Episode.objects.select_related("person", "station", "intake").get(pk=episode.pk)
    return Status(201, {"episode": episode, "candidates": _candidates(request, payload, exclude=episode.person)})


@router.get("/episodes/{uuid}", response=PanelOut, summary="救助过程的接待记录")
def episode_detail(request, uuid: uuid.UUID):
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    return selectors.episode_panel(episode=episode, user=request.user)


@router.post("/episodes/{uuid}/safety-checks", response={201: SafetyOut}, summary="安全检查（规则I2）")
def add_safety(request, uuid: uuid.UUID, payload: SafetyIn):
    episode = _episode_for_write(request, uuid)
    items = [{**i.dict(), "reported_to": _org(i.reported_to, "items")} for i in payload.items]
    check = services.safety_check_add(by=request.user, episode=episode, checked_at=payload.checked_at,
                                      note=payload.note, items=items)
    return Status(201, SafetyCheck.objects.prefetch_related("items").get(pk=check.pk))


@router.post("/episodes/{uuid}/health-checks", response={201: HealthOut}, summary="初步检视（规则I3）")
def add_health(request, uuid: uuid.UUID, payload: HealthIn):
    episode = _episode_for_write(request, uuid)
    data = payload.dict()
    data["hospital"] = _org(payload.hospital, "hospital")
    data["police"] = _org(payload.police, "police")
    check = services.health_check_add(by=request.user, episode=episode, data=data)
    return Status(201, HealthCheck.objects.get(pk=check.pk))


@router.post("/episodes/{uuid}/handovers", response={201: HandoverOut}, summary="护送交接（规则I5）")
def add_handover(request, uuid: uuid.UUID, payload: HandoverIn):
    episode = _episode_for_write(request, uuid)
    data = payload.dict()
    data["escort_org"] = _org(payload.escort_org, "escort_org")
    handover = services.handover_add(by=request.user, episode=episode, data=data)
    return Status(201, PoliceHandover.objects.select_related("escort_org").get(pk=handover.pk))


@router.post("/episodes/{uuid}/belongings", response={201: BelongingOut}, summary="登记代管物品（规则I2）")
def add_belonging(request, uuid: uuid.UUID, payload: BelongingIn):
    episode = _episode_for_write(request, uuid)
    belonging = services.belonging_add(by=request.user, episode=episode, **payload.dict())
    return Status(201, Belonging.objects.get(pk=belonging.pk))


@router.post("/episodes/{uuid}/belongings/return", response=ReturnedOut, summary="归还全部代管物品")
def return_belongings(request, uuid: uuid.UUID):
    episode = _episode_for_write(request, uuid)
    return {"returned": services.belongings_return_all(by=request.user, episode=episode)}


@router.post("/episodes/{uuid}/admit", response=EpisodeOut, summary="办理入站")
def admit(request, uuid: uuid.UUID):
    episode = _episode_for_write(request, uuid)
    services.intake_admit(by=request.user, episode=episode)
    return Episode.objects.select_related("person", "station", "intake").get(pk=episode.pk)


@router.post("/episodes/{uuid}/refuse", response={201: NoticeOut}, summary="不予救助（规则N3、I1）")
def refuse(request, uuid: uuid.UUID, payload: ReasonIn):
    episode = _episode_for_write(request, uuid)
    return Status(201, services.intake_refuse(by=request.user, episode=episode, reason=payload.reason))


@router.post("/episodes/{uuid}/terminate", response={201: NoticeOut}, summary="终止救助（规则N3）")
def terminate(request, uuid: uuid.UUID, payload: ReasonIn):
    episode = _episode_for_write(request, uuid)
    return Status(201, services.intake_terminate(by=request.user, episode=episode, reason=payload.reason))

