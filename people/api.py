"""People API (/api/v1/people): the same selectors, services and permission policy as the pages."""

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from core.idnumbers import KEEP_UNCHECKED_HELP
from core.models import Organisation
from core.paging import api_page
from core.scoping import require_write, scoped, visible_org_ids
from people import selectors, services
from people.forms import find_county
from people.models import Person
from people.permissions import EDIT_ROLES, PHOTO_ROLES, owner, require_station_creator
from people.states import allowed_targets

router = Router()


class PersonListOut(Schema):
    uuid: uuid.UUID
    file_no: str
    name: str
    name_is_provisional: bool
    sex: str
    birth_year: int | None
    identity_status: str
    special_groups: list[str]
    current_station: str | None = Field(default=None, alias="current_station.name")


class PersonOut(PersonListOut):
    aliases: str
    birth_date: datetime.date | None
    age_min: int | None
    age_max: int | None
    id_number_masked: str
    id_number_unchecked_masked: str
    ethnicity: str
    hukou_division_code: str | None = Field(default=None, alias="hukou_division.code")
    hukou_text: str
    residence_text: str
    dialect: str
    height_cm: int | None
    build: str
    marks: str
    registered_by: str = Field(alias="registered_by.name")


class PersonBaseIn(Schema):
    """What a person's file takes both at intake (/api/v1/intake) and on the file (/api/v1/people)."""

    name: str = Field("", max_length=50)
    use_provisional_name: bool = False
    sex: str = Field("", max_length=2)
    birth_date: datetime.date | None = None
    birth_year_est: int | None = Field(None, ge=1900, le=2100)
    age_min: int | None = Field(None, ge=0, le=150)
    age_max: int | None = Field(None, ge=0, le=150)
    ethnicity: str = Field("", max_length=20)
    hukou_text: str = Field("", max_length=200)
    dialect: str = Field("", max_length=50)
    is_minor: bool = False
    is_elderly: bool = False
    has_disability: bool = False
    has_mental_disorder: bool = False
    has_intellectual_disability: bool = False
    limited_mobility: bool = False
    is_pregnant: bool = False
    suspected_foreign: bool = False


class PersonIn(PersonBaseIn):
    id_number: str | None = Field(default=None, description="创建时留空表示无；修改时省略或 null 表示不修改", max_length=18)
    keep_unchecked_id: bool = Field(False, description=KEEP_UNCHECKED_HELP)
    aliases: str = Field("", max_length=200)
    hukou_division_code: str = Field("", max_length=12)
    residence_text: str = Field("", max_length=200)
    height_cm: int | None = Field(None, ge=0, le=300)
    build: str = Field("", max_length=10)
    marks: str = Field("", max_length=2000)
    identity_status: str = Field("unidentified", max_length=16)


class RevealOut(Schema):
    id_number: str


class PhotoOut(Schema):
    uuid: uuid.UUID
    kind: str
    taken_on: datetime.date
    note: str


class EpisodeOut(Schema):
    uuid: uuid.UUID
    number: str
    person_uuid: uuid.UUID = Field(alias="person.uuid")
    station: str = Field(alias="station.name")
    channel: str
    status: str
    status_label: str
    requested_at: datetime.datetime
    admitted_at: datetime.datetime | None
    left_at: datetime.datetime | None
    stranded_days: int
    allowed_targets: list[str]

    @staticmethod
    def resolve_stranded_days(obj) -> int:
        return obj.stranded_days()

    @staticmethod
    def resolve_allowed_targets(obj) -> list[str]:
        return allowed_targets(obj.status)


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


_CHOICE_FIELDS = {"sex": ("男", "女", ""), "build": ("thin", "medium", "heavy", ""),
                  "identity_status": ("identified", "unidentified", "pending")}


def _person_data(payload: PersonIn, fields: set[str] | None = None) -> dict:
    raw = payload.dict(exclude={"use_provisional_name", "id_number", "keep_unchecked_id", "hukou_division_code"})
    errors = {}
    for field, allowed in _CHOICE_FIELDS.items():
        if raw.get(field) not in allowed:
            errors[field] = f"取值不正确，可选：{'、'.join(a or '空' for a in allowed)}。"
    data = {k: v for k, v in raw.items() if fields is None or k in fields}
    if fields is None or "hukou_division_code" in fields:
        division = find_county(payload.hukou_division_code) if payload.hukou_division_code else None
        if payload.hukou_division_code and division is None:
            errors["hukou_division_code"] = "未找到该行政区划代码。"
        data["hukou_division"] = division
    if errors:
        raise ValidationError(errors)
    return data


@router.get("/persons", response=list[PersonListOut], summary="检索人员档案（姓名/拼音/身份证号/档案号）")
def person_list(request, q: str = Query("", max_length=100), sex: str = Query("", max_length=32), age_min: int | None = Query(None, ge=0, le=150), age_max: int | None = Query(None, ge=0, le=150),
                station: uuid.UUID | None = None, identity_status: str = Query("", max_length=32), special_group: str = Query("", max_length=32),
                in_care: str = Query("", max_length=32), page: int = Query(1, ge=1, le=100_000),
                cursor: str = Query("", max_length=1000, description="上一页应答头 X-Next-Cursor 的值（键集翻页）"),
                response: HttpResponse = None):
    station_obj = None
    if station:
        station_obj = Organisation.objects.filter(uuid=station, id__in=visible_org_ids(request.user)).first()
        if station_obj is None:
            raise ValidationError({"station": "机构不存在或不在您的数据范围内。"})
    qs = selectors.person_list(user=request.user, q=q, sex=sex, age_min=age_min, age_max=age_max, station=station_obj,
                               identity_status=identity_status, special_group=special_group, in_care=in_care)
    return api_page(qs, page=page, cursor=cursor, response=response)


@router.get("/persons/likely-same", response=list[CandidateOut], summary="可能为同一人的已有档案（规则 I4）")
def likely_same(request, name: str = Query("", max_length=50), sex: str = Query("", max_length=32), birth_year: int | None = Query(None, ge=1900, le=2100), id_number: str = Query("", max_length=18),
                limit: int = Query(10, ge=1, le=50)):
    return selectors.likely_same_person(user=request.user, name=name, sex=sex, birth_year=birth_year,
                                        id_number=id_number, limit=min(max(limit, 1), 50))


@router.get("/persons/{person_uuid}", response=PersonOut, summary="人员档案（记录查阅，规则 E4）")
def person_get(request, person_uuid: uuid.UUID):
    person = selectors.person_get(user=request.user, uuid=person_uuid)
    services.person_record_view(by=request.user, person=person, via="API")
    return person


@router.post("/persons", response={201: PersonOut}, summary="建立人员档案")
def person_create(request, payload: PersonIn):
    require_station_creator(request.user)
    person = services.person_create(by=request.user, station=request.user.organisation, data=_person_data(payload),
                                    id_number=payload.id_number or "", keep_unchecked_id=payload.keep_unchecked_id,
                                    use_provisional_name=payload.use_provisional_name)
    return Status(201, person)


@router.patch("/persons/{person_uuid}", response=PersonOut, summary="修改人员档案（只改提交的字段）")
def person_update(request, person_uuid: uuid.UUID, payload: PersonIn):
    person = selectors.person_get(user=request.user, uuid=person_uuid)
    require_write(request.user, owner(person), *EDIT_ROLES)
    sent = payload.model_fields_set - {"use_provisional_name", "id_number", "keep_unchecked_id"}
    id_number = payload.id_number if "id_number" in payload.model_fields_set else None
    return services.person_update(by=request.user, person=person, data=_person_data(payload, sent),
                                  id_number=id_number, keep_unchecked_id=payload.keep_unchecked_id)


@router.post("/persons/{person_uuid}/reveal-id", response=RevealOut, summary="查看完整身份证号（记录审计）")
def reveal_id(request, person_uuid: uuid.UUID, reason: str = Query("", max_length=200)):
    """Installation superusers must give a ``reason`` (kept in the audit)."""
    person = selectors.person_get(user=request.user, uuid=person_uuid)
    return {"id_number": services.person_reveal_id(by=request.user, person=person, reason=reason)}


@router.post("/persons/{person_uuid}/photos", response={201: PhotoOut}, summary="上传照片")
def photo_add(request, person_uuid: uuid.UUID, image: File[UploadedFile], taken_on: Form[datetime.date],
              kind: str = Form("portrait", max_length=16), note: str = Form("", max_length=200)):
    person = selectors.person_get(user=request.user, uuid=person_uuid)
    require_write(request.user, owner(person), *PHOTO_ROLES)
    return Status(201, services.photo_add(by=request.user, person=person, image=image, kind=kind, taken_on=taken_on, note=note))


@router.get("/persons/{person_uuid}/episodes", response=list[EpisodeOut], summary="该人员的救助过程（数据范围内）")
def person_episodes(request, person_uuid: uuid.UUID):
    person = selectors.person_get(user=request.user, uuid=person_uuid)
    return [e for e in selectors.person_episodes(person=person, user=request.user) if e.linkable]


@router.get("/episodes/{episode_uuid}", response=EpisodeOut, summary="救助过程")
def episode_get(request, episode_uuid: uuid.UUID):
    return selectors.episode_get(user=request.user, uuid=episode_uuid)


# ---------- share requests (issue 8 hole 2) ----------
class ShareRequestIn(Schema):
    person: uuid.UUID = Field(description="跨机构查重结果中本机构范围外档案的 uuid")
    reason: str = Field(..., max_length=300)


class ShareDecisionIn(Schema):
    accept: bool
    note: str = Field("", max_length=300)


class ShareRequestOut(Schema):
    uuid: uuid.UUID
    requesting_station: str
    holding_station: str
    reason: str
    status: str
    status_label: str
    decision_note: str
    created_at: datetime.datetime
    decided_at: datetime.datetime | None
    person_uuid: uuid.UUID | None = Field(None, description="仅当档案已在本机构范围内（所在机构，或申请已被同意）")


def _share_out(share, user) -> dict:
    """The file's UUID only once it is in the caller's scope (the holder, or after acceptance)."""
    visible = scoped(Person.objects.filter(pk=share.person_id), user).exists()
    return {"uuid": share.uuid, "requesting_station": share.requesting_station.name,
            "holding_station": share.holding_station.name, "reason": share.reason, "status": share.status,
            "status_label": share.get_status_display(), "decision_note": share.decision_note,
            "created_at": share.created_at, "decided_at": share.decided_at,
            "person_uuid": share.person.uuid if visible else None}


@router.post("/share-requests", response={201: ShareRequestOut}, summary="申请外机构共享档案（一人一档，规则 E4）")
def share_request_create(request, payload: ShareRequestIn):
    person = selectors.share_request_target(user=request.user, uuid=payload.person)
    share = services.share_request_create(by=request.user, person=person, reason=payload.reason)
    return Status(201, _share_out(share, request.user))


@router.get("/share-requests", response=list[ShareRequestOut], summary="本机构收到和发出的档案共享申请")
def share_request_list(request):
    lists = selectors.share_requests(user=request.user)
    return [_share_out(s, request.user) for s in lists["incoming"] + lists["outgoing"]]


@router.post("/share-requests/{share_uuid}/decide", response=ShareRequestOut, summary="同意或拒绝共享申请")
def share_request_decide(request, share_uuid: uuid.UUID, payload: ShareDecisionIn):
    share = selectors.share_request_get(user=request.user, uuid=share_uuid)
    share = services.share_request_decide(by=request.user, share=share, accept=payload.accept, note=payload.note)
    return _share_out(share, request.user)
