"""API of the leaving app (/api/v1/leaving): record a departure for an episode, read departures.

Same service and scope as the pages. The claimant's ID copy travels as base64 (JPEG, PNG or PDF).
"""

import base64
import binascii
import datetime
import decimal
import uuid

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from core.models import Organisation, User
from core.paging import api_page
from core.scoping import require_case_write
from leaving import selectors, services
from leaving.selectors import LEAVING_ROLES

router = Router()


class DepartureIn(Schema):
    exit_type: str = Field(..., max_length=20)
    left_at: datetime.datetime | None = None
    limited_mobility: bool = False
    note: str = Field("", max_length=2000)
    ticket_no: str = Field("", max_length=50)
    travel_mode: str = Field("", max_length=10)
    destination: str = Field("", max_length=100)
    is_direct: bool = True
    transfer_point: str = Field("", max_length=100)
    local_station_contact: str = Field("", max_length=100)
    cash_yuan: decimal.Decimal = Field(decimal.Decimal(0), max_digits=8, decimal_places=2, ge=0)
    cash_exception_reason: str = Field("", max_length=300)
    cash_receipt_signed: bool = False
    escort_staff: list[uuid.UUID] = []
    escort_route: str = Field("", max_length=200)
    handed_over_to: str = Field("", max_length=10)
    handover_org: uuid.UUID | None = None
    handover_person: str = Field("", max_length=50)
    handover_at: datetime.datetime | None = None
    claimant_name: str = Field("", max_length=50)
    claimant_id_number: str = Field("", max_length=18)
    claimant_id_copy_base64: str = Field("", max_length=14000000)
    claimant_id_copy_filename: str = Field("", max_length=200)
    claimant_relationship: str = Field("", max_length=20)
    claimant_phone: str = Field("", max_length=40)
    witness_1: str = Field("", max_length=50)
    witness_2: str = Field("", max_length=50)
    transfer_org: uuid.UUID | None = None
    declaration_signed: bool = False
    written_record: str = Field("", max_length=2000)
    death_place: str = Field("", max_length=200)
    death_cause: str = Field("", max_length=300)
    police_notified: bool = False
    hospital_notified: bool = False
    circumstances: str = Field("", max_length=2000)
    police_report_ref: str = Field("", max_length=100)


class DepartureOut(Schema):
    uuid: uuid.UUID
    episode: uuid.UUID = Field(alias="episode.uuid")
    episode_number: str = Field(alias="episode.number")
    person: uuid.UUID = Field(alias="episode.person.uuid")
    exit_type: str
    exit_type_label: str = Field(alias="get_exit_type_display")
    left_at: datetime.datetime
    limited_mobility: bool
    ticket_no: str
    travel_mode: str
    destination: str
    is_direct: bool
    transfer_point: str
    local_station_contact: str
    cash_yuan: decimal.Decimal
    cash_exception_reason: str
    cash_receipt_signed: bool
    escort_route: str
    handed_over_to: str
    handover_person: str
    handover_at: datetime.datetime | None
    claimant_name: str
    claimant_id_masked: str
    claimant_relationship: str
    claimant_phone: str
    has_id_copy: bool = False
    witness_1: str
    witness_2: str
    transfer_org: str | None = Field(default=None, alias="transfer_org.name")
    declaration_signed: bool
    written_record: str
    death_place: str
    death_cause: str
    police_notified: bool
    hospital_notified: bool
    circumstances: str
    police_report_ref: str
    belongings_returned: list[str]
    note: str


def _out(departure):
    departure.has_id_copy = bool(departure.claimant_id_copy)
    return departure


def _org(value: uuid.UUID | None, field: str) -> Organisation | None:
    if value is None:
        return None
    org = Organisation.objects.filter(uuid=value).first()
    if org is None:
        raise ValidationError({field: "未找到该机构。"})
    return org


@router.post("/episodes/{episode_uuid}/departure", response={201: DepartureOut}, summary="办理离站（规则 E1、N7–N9）")
def departure_create(request, episode_uuid: uuid.UUID, payload: DepartureIn):
    episode = selectors.episode_get(user=request.user, uuid=episode_uuid)
    require_case_write(request.user, episode, *LEAVING_ROLES)
    data = payload.model_dump(exclude={"exit_type", "left_at", "escort_staff", "claimant_id_number",
                                 "claimant_id_copy_base64", "claimant_id_copy_filename"})
    data["handover_org"] = _org(payload.handover_org, "handover_org")
    data["transfer_org"] = _org(payload.transfer_org, "transfer_org")
    copy = None
    if payload.claimant_id_copy_base64:
        try:
            content = base64.b64decode(payload.claimant_id_copy_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError({"claimant_id_copy": "身份证复印件的 base64 编码有误。"}) from exc
        copy = SimpleUploadedFile(payload.claimant_id_copy_filename or "id-copy.bin", content)
    staff = list(User.objects.filter(uuid__in=payload.escort_staff))
    if len(staff) != len(set(payload.escort_staff)):
        raise ValidationError({"escort_staff": "护送人员中有不存在的用户。"})
    departure = services.departure_create(by=request.user, episode=episode, exit_type=payload.exit_type,
                                          left_at=payload.left_at, data=data,
                                          claimant_id_number=payload.claimant_id_number, claimant_id_copy=copy,
                                          escort_staff=staff)
    return Status(201, _out(departure))


@router.get("/departures/{departure_uuid}", response=DepartureOut, summary="离站记录")
def departure_get(request, departure_uuid: uuid.UUID):
    return _out(selectors.departure_get(user=request.user, uuid=departure_uuid))


@router.get("/departures", response=list[DepartureOut], summary="离站记录列表（按数据范围）")
def departure_list(request, exit_type: str = Query("", max_length=32), date_from: datetime.date | None = None,
                   date_to: datetime.date | None = None, page: int = Query(1, ge=1, le=100_000),
                   cursor: str = Query("", max_length=1000, description="上一页应答头 X-Next-Cursor 的值（键集翻页）"),
                   response: HttpResponse = None):
    qs = selectors.departure_list(user=request.user, filters={"exit_type": exit_type, "date_from": date_from,
                                                               "date_to": date_to})
    return [_out(d) for d in api_page(qs.select_related("transfer_org"), page=page, cursor=cursor, response=response)]
