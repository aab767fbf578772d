"""API of the network app (/api/v1/network): contacts, service points and coverage per county (rule P4)."""

import decimal
import uuid

from django.core.exceptions import ValidationError
from ninja import Field, Router, Schema, Status

from core.models import Organisation
from network import selectors, services

router = Router()


class ContactIn(Schema):
    organisation: uuid.UUID
    kind: str = Field(max_length=10)
    name: str = Field(max_length=50)
    phone: str = Field(max_length=40)
    note: str = Field("", max_length=200)
    is_active: bool = True


class ContactOut(Schema):
    uuid: uuid.UUID
    organisation: str = Field(alias="organisation.name")
    county: str = Field(alias="county.code")
    kind: str
    name: str
    phone: str
    is_active: bool


class PointIn(Schema):
    organisation: uuid.UUID
    kind: str = Field(max_length=10)
    name: str = Field(max_length=100)
    address: str = Field(max_length=200)
    latitude: decimal.Decimal = Field(ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: decimal.Decimal = Field(ge=-180, le=180, max_digits=9, decimal_places=6)
    phone: str = Field("", max_length=40)
    hours: str = Field("", max_length=100)
    is_active: bool = True


class PointOut(Schema):
    uuid: uuid.UUID
    organisation: str = Field(alias="organisation.name")
    county: str = Field(alias="county.code")
    kind: str
    name: str
    address: str
    latitude: decimal.Decimal
    longitude: decimal.Decimal
    phone: str
    hours: str
    is_active: bool


class TownshipOut(Schema):
    code: str
    name: str
    organisation: str | None
    liaisons: int
    villages: int
    villages_with_grid: int


class CoverageOut(Schema):
    county: str
    name: str
    stations: list[str]
    four_level: bool
    townships: list[TownshipOut]
    points: int


def _org(user, value: uuid.UUID) -> Organisation:
    org = next((o for o in selectors.manageable_orgs(user) if o.uuid == value), None)
    if org is None:
        raise ValidationError({"organisation": "未找到该机构，或您不能修改它的救助网络信息。"})
    return org


@router.get("/contacts", response=list[ContactOut], summary="救助联络员与网格员")
def contacts(request):
    return list(selectors.contact_list(user=request.user)[:2000])


@router.post("/contacts", response={201: ContactOut}, summary="登记联络员/网格员")
def contact_create(request, payload: ContactIn):
    org = _org(request.user, payload.organisation)
    return Status(
        201,
        services.contact_save(by=request.user, organisation=org, data=payload.dict(exclude={"organisation"})),
    )


@router.get("/points", response=list[PointOut], summary="临时救助点与求助引导点")
def points(request):
    return list(selectors.point_list(user=request.user)[:2000])


@router.post("/points", response={201: PointOut}, summary="设立临时救助点/求助引导点")
def point_create(request, payload: PointIn):
    org = _org(request.user, payload.organisation)
    return Status(
        201,
        services.point_save(by=request.user, organisation=org, data=payload.dict(exclude={"organisation"})),
    )


@router.get("/coverage", response=list[CoverageOut], summary="各县四级网络覆盖情况")
def coverage(request):
    return [
        {
            "county": c.county.code,
            "name": c.county.name,
            "stations": [s.name for s in c.stations],
            "four_level": c.four_level,
            "points": c.points,
            "townships": [
                {
                    "code": t.division.code,
                    "name": t.division.name,
                    "organisation": t.organisation.name if t.organisation else None,
                    "liaisons": len(t.liaisons),
                    "villages": t.villages,
                    "villages_with_grid": t.villages_with_grid,
                }
                for t in c.townships
            ],
        }
        for c in selectors.coverage(request.user)
    ]
