"""API for core: the current user, organisations in scope, audit entries."""

import datetime
import uuid

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema

from core import selectors
from core.paging import PAGE_SIZE

router = Router()


class OrgOut(Schema):
    uuid: uuid.UUID
    name: str
    code: str
    kind: str
    kind_label: str = Field(alias="get_kind_display")
    division_code: str = Field(alias="division.code")
    supervisor: str | None = Field(default=None, alias="supervisor.name")


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[str]
    organisation: OrgOut | None


class AuditOut(Schema):
    id: int
    at: datetime.datetime
    actor_name: str
    action: str
    object_type: str
    object_id: str
    person_uuid: uuid.UUID | None
    summary: str
    changes: dict


@router.get("/me", response=MeOut, summary="当前用户")
def me(request):
    user = request.user
    return {
        "username": user.username,
        "full_name": user.full_name,
        "roles": sorted(user.role_codes),
        "organisation": user.organisation,
    }


@router.get("/organisations", response=list[OrgOut], summary="数据范围内的机构")
def organisations(request, kind: str = Query("", max_length=32), q: str = Query("", max_length=100)):
    return list(selectors.organisation_list(user=request.user, kind=kind, q=q)[:500])


@router.get("/audit", response=list[AuditOut], summary="审计日志（按数据范围）")
def audit_entries(
    request, action: str = Query("", max_length=32), person: uuid.UUID | None = None,
    before: int | None = Query(None, ge=1, le=2**62),
):
    """Newest first, 50 at a time; the next page is ``before=<id of the last entry>`` (keyset)."""
    user = request.user
    if not selectors.may_read_audit(user):
        raise PermissionDenied("只有审计员可以查看审计日志。")
    qs = selectors.audit_list(user=user, filters={"action": action, "person": person, "before": before})
    return list(qs[:PAGE_SIZE])
