"""Writes of the network app (rule P4): contacts and service points, each in a transaction, audited.

Who may write: users of the township or village itself (their own contacts and points); 站长 / 系统管理员 of a
station for its own points; 系统管理员 / 民政监管员 / 站长 of a civil-affairs department for any organisation it
supervises (the county bureau keeps its townships' and villages' network up to date)."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from core.audit import audit_create, audit_update, snapshot
from core.models import STATION_KINDS, Division, DivisionLevel, Organisation, OrgKind, Role
from core.scoping import can_write, visible_org_ids
from core.validation import clean_instance
from network.models import Contact, ContactKind, PointKind, ServicePoint

LOCAL_KINDS = (OrgKind.TOWNSHIP, OrgKind.VILLAGE)


def county_of(org: Organisation) -> Division | None:
    """The county (县级) division an organisation sits in (its own division or an ancestor)."""
    division = org.division
    while division is not None and division.level not in (DivisionLevel.COUNTY,):
        if division.level in (DivisionLevel.PROVINCE, DivisionLevel.CITY):
            return None
        division = division.parent
    return division


def may_manage(user, org: Organisation | None) -> bool:
    if org is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if org.kind in LOCAL_KINDS and can_write(user, org):
        return True
    if org.kind in STATION_KINDS and can_write(user, org, Role.HEAD):
        return True
    mine = user.organisation
    return (
        mine is not None
        and mine.kind == OrgKind.CIVIL_AFFAIRS
        and org.pk in visible_org_ids(user)
        and user.has_role(Role.ADMIN, Role.SUPERVISOR, Role.HEAD)
    )


def require_manage(user, org) -> None:
    if not may_manage(user, org):
        raise PermissionDenied("您不能修改该机构的救助网络信息。")


def _text(data, key) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _clean(obj, exclude=()) -> None:
    clean_instance(obj, exclude)


def _phone_ok(phone: str) -> bool:
    from announcements.services import normalise_phone

    return normalise_phone(phone) is not None


@transaction.atomic
def contact_save(
    *, by, organisation: Organisation, data: dict[str, Any], contact: Contact | None = None
) -> Contact:
    """Add or change a township liaison (救助联络员) or a village grid worker (网格员)."""
    require_manage(by, organisation)
    if contact is not None and contact.organisation_id != organisation.pk:
        raise PermissionDenied("该联络员不属于所选机构。")
    kind = data.get("kind")
    errors = {}
    if organisation.kind not in LOCAL_KINDS:
        errors["organisation"] = "联络员、网格员须属于乡镇（街道）或村（居）。"
    elif kind not in ContactKind.values:
        errors["kind"] = "请选择类别。"
    elif (kind == ContactKind.LIAISON) != (organisation.kind == OrgKind.TOWNSHIP):
        errors["kind"] = "乡镇（街道）设救助联络员，村（居）设网格员。"
    if not _text(data, "name"):
        errors["name"] = "请填写姓名。"
    if not _phone_ok(_text(data, "phone")):
        errors["phone"] = "请填写正确的手机号或固定电话（含区号）。"
    user = data.get("user")
    if user is not None and user.organisation_id != organisation.pk:
        errors["user"] = "登录账号须属于同一机构。"
    county = county_of(organisation)
    if county is None:
        errors["organisation"] = "该机构没有县级区划，无法归入县级网络。"
    if errors:
        raise ValidationError(errors)
    creating = contact is None
    before = {} if creating else snapshot(contact)
    contact = contact or Contact(organisation=organisation)
    contact.county, contact.kind, contact.name, contact.phone = (
        county,
        kind,
        _text(data, "name"),
        _text(data, "phone"),
    )
    contact.user, contact.note, contact.is_active = (
        user,
        _text(data, "note"),
        bool(data.get("is_active", True)),
    )
    _clean(contact, exclude=["organisation", "county", "user"])
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as exc:
        raise ValidationError({"phone": "本机构已有使用该电话的在岗联络员。"}) from exc
    if creating:
        audit_create(
            actor=by,
            obj=contact,
            organisation=organisation,
            summary=f"登记{contact.get_kind_display()}：{contact}",
        )
    else:
        audit_update(
            actor=by, obj=contact, before=before, organisation=organisation, summary=f"修改联络员：{contact}"
        )
    return contact


@transaction.atomic
def point_save(
    *, by, organisation: Organisation, data: dict[str, Any], point: ServicePoint | None = None
) -> ServicePoint:
    """Add or change a temporary rescue point or a guidance point, with address and coordinates."""
    from outreach.services import clean_coordinates

    require_manage(by, organisation)
    if point is not None and point.organisation_id != organisation.pk:
        raise PermissionDenied("该救助点不属于所选机构。")
    errors = {}
    if data.get("kind") not in PointKind.values:
        errors["kind"] = "请选择类型。"
    for key, label in (("name", "名称"), ("address", "地址")):
        if not _text(data, key):
            errors[key] = f"请填写{label}。"
    if data.get("latitude") in (None, "") or data.get("longitude") in (None, ""):
        errors["latitude"] = "请填写坐标（可在现场用手机定位）。"
    phone = _text(data, "phone")
    if phone and not _phone_ok(phone):
        errors["phone"] = "请填写正确的电话。"
    county = county_of(organisation)
    if county is None:
        errors["organisation"] = "该机构没有县级区划。"
    if errors:
        raise ValidationError(errors)
    lat, lng = clean_coordinates(data.get("latitude"), data.get("longitude"))
    creating = point is None
    before = {} if creating else snapshot(point)
    point = point or ServicePoint(organisation=organisation)
    point.county, point.kind, point.name, point.address = (
        county,
        data["kind"],
        _text(data, "name"),
        _text(data, "address"),
    )
    point.latitude, point.longitude, point.phone, point.hours = lat, lng, phone, _text(data, "hours")
    point.is_active = bool(data.get("is_active", True))
    _clean(point, exclude=["organisation", "county"])
    try:
        with transaction.atomic():
            point.save()
    except IntegrityError as exc:
        raise ValidationError({"name": "本机构已有同名的救助点。"}) from exc
    if creating:
        audit_create(
            actor=by,
            obj=point,
            organisation=organisation,
            summary=f"设立{point.get_kind_display()}：{point.name}",
        )
    else:
        audit_update(
            actor=by, obj=point, before=before, organisation=organisation, summary=f"修改救助点：{point.name}"
        )
    return point
