"""API for core: the current user, organisations in scope, audit entries."""

import datetime
import uuid

from django.core.exceptions import PermissionDenied
from ninja import Field, Router, Schema

from core import selectors
from core.models import Role
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
    return {"username": user.username, "full_name": user.full_name, "roles": sorted(user.role_codes),
            "organisation": user.organisation}


@router.get("/organisations", response=list[OrgOut], summary="数据范围内的机构")
def organisations(request, kind: str = "", q: str = ""):
    return list(selectors.organisation_list(user=request.user, kind=kind, q=q)[:500])


@router.get("/audit", response=list[AuditOut], summary="审计日志（按数据范围）")
def audit_entries(request, action: str = "", person: uuid.UUID | None = None, page: int = 1):
    user = request.user
    if not (user.is_superuser or user.has_role(Role.ADMIN, Role.AUDITOR, Role.HEAD, Role.SUPERVISOR)):
        raise PermissionDenied("只有系统管理员、审计员、站长和民政监管员可以查看审计日志。")
    qs = selectors.audit_list(user=user, filters={"action": action, "person": person})
    start = (max(page, 1) - 1) * PAGE_SIZE
    return list(qs[start:start + PAGE_SIZE])
