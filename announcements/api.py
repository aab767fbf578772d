"""API of the announcements app (/api/v1/announcements), for authenticated staff.

Same services and scope as the pages: list, create from a person, publish, withdraw, record a channel,
and the clue inbox (list, read, change status). The public board has no JSON here.
"""

import datetime
import uuid
from typing import Annotated

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from announcements import selectors, services
from announcements.selectors import ANNOUNCE_ROLES, CLUE_ROLES
from core.models import Division
from core.scoping import require_write
from people.selectors import person_get

router = Router()


class PublicationOut(Schema):
    uuid: uuid.UUID
    channel: str
    channel_label: str = Field(alias="get_channel_display")
    published_on: datetime.date
    reference: str
    ended_at: datetime.datetime | None


class AnnouncementOut(Schema):
    uuid: uuid.UUID
    code: str
    person: uuid.UUID = Field(alias="person.uuid")
    station: str = Field(alias="station.name")
    status: str
    status_label: str = Field(alias="get_status_display")
    chosen: list[str]
    found_date: datetime.date | None
    found_place: str
    found_division: str | None = Field(default=None, alias="found_division.code")
    sex: str
    age_min: int | None
    age_max: int | None
    height_cm: int | None
    features: str
    statement: str
    contact_phone: str
    photos: list[uuid.UUID] = Field(default=[], alias="photo_uuids")
    published_at: datetime.datetime | None
    withdrawn_at: datetime.datetime | None
    withdrawn_reason: str
    publications: list[PublicationOut] = Field(default=[], alias="publication_list")


class AnnouncementIn(Schema):
    person: uuid.UUID
    photos: list[uuid.UUID] = []
    chosen: list[Annotated[str, StringConstraints(max_length=32)]] = Field([], max_length=50)
    found_date: datetime.date | None = None
    found_place: str = Field("", max_length=200)
    found_division: str = Field("", max_length=12)
    sex: str = Field("", max_length=2)
    age_min: int | None = Field(None, ge=0, le=150)
    age_max: int | None = Field(None, ge=0, le=150)
    height_cm: int | None = Field(None, ge=0, le=300)
    features: str = Field("", max_length=2000)
    statement: str = Field("", max_length=2000)
    contact_phone: str = Field("", max_length=40)
    publish: bool = False


class WithdrawIn(Schema):
    reason: str = Field(..., max_length=300)


class PublicationIn(Schema):
    channel: str = Field(..., max_length=16)
    published_on: datetime.date | None = None
    reference: str = Field("", max_length=300)


class ClueOut(Schema):
    uuid: uuid.UUID
    announcement: uuid.UUID = Field(alias="announcement.uuid")
    announcement_code: str = Field(alias="announcement.code")
    person: uuid.UUID = Field(alias="announcement.person.uuid")
    name: str
    phone: str
    relationship: str
    content: str
    has_photo: bool = False
    status: str
    status_label: str = Field(alias="get_status_display")
    status_note: str
    created_at: datetime.datetime
    handled_at: datetime.datetime | None


class ClueStatusIn(Schema):
    status: str = Field(..., max_length=16)
    note: str = Field("", max_length=200)


def _out(announcement):
    announcement.photo_uuids = [ap.photo.uuid for ap in selectors.announcement_photos(announcement)]
    announcement.publication_list = list(announcement.publications.all())
    return announcement


def _clue_out(clue):
    clue.has_photo = bool(clue.photo)
    return clue


@router.get("/announcements", response=list[AnnouncementOut], summary="寻亲公告列表（按数据范围）")
def announcement_list(request, status: str = Query("", max_length=32), page: int = Query(1, ge=1, le=100_000)):
    qs = selectors.announcement_list(user=request.user, status=status).prefetch_related("publications")
    start = (max(page, 1) - 1) * 50
    return [_out(a) for a in qs[start:start + 50]]


@router.post("/announcements", response={201: AnnouncementOut}, summary="从人员档案撰写寻亲公告（规则 T3）")
def announcement_create(request, payload: AnnouncementIn):
    person = person_get(user=request.user, uuid=payload.person)
    require_write(request.user, services.owner_station(person), *ANNOUNCE_ROLES)
    photos = list(person.photos.filter(uuid__in=payload.photos))
    if len(photos) != len(set(payload.photos)):
        raise ValidationError({"photos": "照片不属于该人员。"})
    division = None
    if payload.found_division:
        division = Division.objects.filter(code=payload.found_division).first()
        if division is None:
            raise ValidationError({"found_division": "区划代码不存在。"})
    details = payload.model_dump(exclude={"person", "photos", "chosen", "publish"})
    details["found_division"] = division
    announcement = services.announcement_create(by=request.user, person=person, photos=photos,
                                                chosen=payload.chosen, details=details)
    if payload.publish:
        announcement = services.announcement_publish(by=request.user, announcement=announcement)
    return Status(201, _out(announcement))


@router.get("/announcements/{announcement_uuid}", response=AnnouncementOut, summary="寻亲公告")
def announcement_get(request, announcement_uuid: uuid.UUID):
    return _out(selectors.announcement_get(user=request.user, uuid=announcement_uuid))


@router.post("/announcements/{announcement_uuid}/publish", response=AnnouncementOut, summary="发布到寻亲平台")
def announcement_publish(request, announcement_uuid: uuid.UUID):
    announcement = selectors.announcement_get(user=request.user, uuid=announcement_uuid)
    require_write(request.user, announcement.station, *ANNOUNCE_ROLES)
    return _out(services.announcement_publish(by=request.user, announcement=announcement))


@router.post("/announcements/{announcement_uuid}/withdraw", response=AnnouncementOut, summary="撤回公告")
def announcement_withdraw(request, announcement_uuid: uuid.UUID, payload: WithdrawIn):
    announcement = selectors.announcement_get(user=request.user, uuid=announcement_uuid)
    require_write(request.user, announcement.station, *ANNOUNCE_ROLES)
    return _out(services.announcement_withdraw(by=request.user, announcement=announcement, reason=payload.reason))


@router.post("/announcements/{announcement_uuid}/publications", response={201: PublicationOut},
             summary="登记其他渠道的发布（规则 T3）")
def publication_add(request, announcement_uuid: uuid.UUID, payload: PublicationIn):
    announcement = selectors.announcement_get(user=request.user, uuid=announcement_uuid)
    require_write(request.user, announcement.station, *ANNOUNCE_ROLES)
    return Status(201, services.publication_add(by=request.user, announcement=announcement, **payload.model_dump()))


@router.get("/clues", response=list[ClueOut], summary="寻亲线索（按数据范围）")
def clue_list(request, status: str = Query("", max_length=32), page: int = Query(1, ge=1, le=100_000)):
    qs = selectors.clue_list(user=request.user, status=status)
    start = (max(page, 1) - 1) * 50
    return [_clue_out(c) for c in qs[start:start + 50]]


@router.get("/clues/{clue_uuid}", response=ClueOut, summary="寻亲线索")
def clue_get(request, clue_uuid: uuid.UUID):
    return _clue_out(selectors.clue_get(user=request.user, uuid=clue_uuid))


@router.post("/clues/{clue_uuid}/status", response=ClueOut, summary="更改线索状态")
def clue_set_status(request, clue_uuid: uuid.UUID, payload: ClueStatusIn):
    clue = selectors.clue_get(user=request.user, uuid=clue_uuid)
    require_write(request.user, clue.announcement.station, *CLUE_ROLES)
    return _clue_out(services.clue_set_status(by=request.user, clue=clue, status=payload.status, note=payload.note))
