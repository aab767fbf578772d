"""API of the aftercare app (/api/v1/aftercare): the returnee ledger, follow-up visits, hardship referrals,
the at-risk registry and renewed-wandering alerts (rules A1–A3). Same services and scope as the pages;
free texts carry the same length limits."""

import datetime
import uuid

from django.core.exceptions import ValidationError
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from aftercare import selectors, services
from aftercare.models import NOTE_MAX, REPORT_MAX, RISK_CATEGORIES
from core.audit import audit
from core.models import AuditAction, Organisation, OrgKind

router = Router()


class CaseOut(Schema):
    uuid: uuid.UUID
    person: uuid.UUID = Field(alias="person.uuid")
    name: str = Field(alias="person.name")
    station: str = Field(alias="station.name")
    way: str
    way_label: str = Field(alias="get_way_display")
    returned_at: datetime.datetime
    destination: str | None = Field(None, alias="destination.code")
    destination_text: str
    township: str | None = Field(None, alias="township.name")
    village: str | None = Field(None, alias="village.name")
    followup_org: str = Field(alias="followup_org.name")
    is_minor: bool
    family_report: str
    family_reported_at: datetime.datetime | None


class VisitIn(Schema):
    visited_at: datetime.datetime
    method: str = Field(max_length=10)
    at_home: bool = True
    situation: str = Field(min_length=1, max_length=REPORT_MAX)


class VisitOut(Schema):
    uuid: uuid.UUID
    visited_at: datetime.datetime
    method: str
    organisation: str = Field(alias="organisation.name")
    visited_by: str
    at_home: bool
    situation: str

    @staticmethod
    def resolve_visited_by(obj) -> str:
        return str(obj.visited_by)


class FamilyReportIn(Schema):
    family_report: str = Field(min_length=1, max_length=REPORT_MAX)


class ReferralIn(Schema):
    kind: str = Field(max_length=12)
    reason: str = Field(min_length=1, max_length=300)


class ReferralDecideIn(Schema):
    status: str = Field(max_length=10)
    outcome: str = Field(min_length=1, max_length=300)


class ReferralOut(Schema):
    uuid: uuid.UUID
    case: uuid.UUID = Field(alias="case.uuid")
    kind: str
    reason: str
    referred_at: datetime.datetime
    status: str
    status_label: str = Field(alias="get_status_display")
    outcome: str
    decided_at: datetime.datetime | None


class RegistrationIn(Schema):
    name: str = Field("", max_length=50)
    sex: str = Field("", max_length=2)
    birth_date: datetime.date | None = None
    address: str = Field("", max_length=200)
    guardian_name: str = Field("", max_length=50)
    guardian_phone: str = Field("", max_length=40)
    marks: str = Field("", max_length=300)
    mental_disorder: bool = False
    alzheimers: bool = False
    physical_disability: bool = False
    intellectual_disability: bool = False
    repeated_wandering: bool = False
    township: uuid.UUID
    village: uuid.UUID | None = None
    station: uuid.UUID
    case: uuid.UUID | None = None


class RegistrationOut(Schema):
    uuid: uuid.UUID
    name: str
    sex: str
    birth_date: datetime.date | None
    address: str
    categories: list[str] = Field(alias="category_labels")
    township: str = Field(alias="township.name")
    village: str | None = Field(None, alias="village.name")
    station: str = Field(alias="station.name")
    registered_at: datetime.datetime
    visit_until: datetime.datetime
    ended_at: datetime.datetime | None
    end_reason: str


class RiskVisitIn(Schema):
    visited_at: datetime.datetime
    method: str = Field(max_length=10)
    present: bool = True
    situation: str = Field(min_length=1, max_length=REPORT_MAX)


class WanderingIn(Schema):
    last_seen_on: datetime.date
    last_seen_place: str = Field("", max_length=200)
    note: str = Field("", max_length=NOTE_MAX)


class AlertOut(Schema):
    uuid: uuid.UUID
    name: str
    station: str = Field(alias="station.name")
    reporting_org: str = Field(alias="reporting_org.name")
    reported_at: datetime.datetime
    last_seen_on: datetime.date
    last_seen_place: str
    note: str
    missing_report_uuid: uuid.UUID | None
    acknowledged_at: datetime.datetime | None


class EndIn(Schema):
    reason: str = Field(max_length=20)


def _org(value: uuid.UUID | None, field: str, kinds=None) -> Organisation | None:
    if value is None:
        return None
    qs = Organisation.objects.filter(uuid=value, is_active=True)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    org = qs.first()
    if org is None:
        raise ValidationError({field: "未找到该机构。"})
    return org


def _audit_list(request, what: str, count: int) -> None:
    audit(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type=f"aftercare.{what}",
        object_id="api",
        summary=f"接口查看{what}（{count} 条）",
        organisation=request.user.organisation,
    )


def _page(qs, offset: int, limit: int):
    offset = max(0, min(offset, 10**6))
    limit = max(1, min(limit, 200))
    return list(qs[offset : offset + limit])


@router.get("/cases", response=list[CaseOut], summary="返乡人员台账（规则A1）")
def cases(request, visited: str = Query("", max_length=3), offset: int = 0, limit: int = 50):
    rows = _page(selectors.case_list(user=request.user, filters={"visited": visited[:3]}), offset, limit)
    _audit_list(request, "返乡人员台账", len(rows))
    return rows


@router.get("/cases/{case_uuid}", response=CaseOut, summary="返乡人员")
def case(request, case_uuid: uuid.UUID):
    return selectors.case_get(user=request.user, uuid=case_uuid)


@router.get("/cases/{case_uuid}/visits", response=list[VisitOut], summary="回访记录（规则A2）")
def case_visits(request, case_uuid: uuid.UUID):
    return list(selectors.visits_for(selectors.case_get(user=request.user, uuid=case_uuid)))


@router.post("/cases/{case_uuid}/visits", response={201: VisitOut}, summary="记录回访（规则A2）")
def case_visit_add(request, case_uuid: uuid.UUID, payload: VisitIn):
    c = selectors.case_get(user=request.user, uuid=case_uuid)
    visit = services.followup_visit_add(
        by=request.user,
        case=c,
        visited_at=payload.visited_at,
        method=payload.method,
        situation=payload.situation,
        at_home=payload.at_home,
    )
    return Status(201, visit)


@router.post("/cases/{case_uuid}/family-report", response=CaseOut, summary="登记家庭情况（规则A1）")
def case_family_report(request, case_uuid: uuid.UUID, payload: FamilyReportIn):
    c = selectors.case_get(user=request.user, uuid=case_uuid)
    return services.family_report_record(by=request.user, case=c, report=payload.family_report)


@router.post("/cases/{case_uuid}/referrals", response={201: ReferralOut}, summary="困难帮扶转介（规则A1）")
def case_referral_add(request, case_uuid: uuid.UUID, payload: ReferralIn):
    c = selectors.case_get(user=request.user, uuid=case_uuid)
    return Status(
        201, services.referral_create(by=request.user, case=c, kind=payload.kind, reason=payload.reason)
    )


@router.post(
    "/cases/{case_uuid}/wandering", response={201: AlertOut}, summary="报告返乡人员再次流浪（规则A3）"
)
def case_wandering(request, case_uuid: uuid.UUID, payload: WanderingIn):
    c = selectors.case_get(user=request.user, uuid=case_uuid)
    return Status(
        201,
        services.wandering_report(
            by=request.user,
            case=c,
            last_seen_on=payload.last_seen_on,
            last_seen_place=payload.last_seen_place,
            note=payload.note,
        ),
    )


@router.get("/referrals", response=list[ReferralOut], summary="帮扶转介")
def referrals(request, pending: bool = False, offset: int = 0, limit: int = 50):
    return _page(selectors.referral_list(user=request.user, pending_only=pending), offset, limit)


@router.post(
    "/referrals/{referral_uuid}/decision", response=ReferralOut, summary="乡镇办结帮扶转介（规则A1）"
)
def referral_decide(request, referral_uuid: uuid.UUID, payload: ReferralDecideIn):
    referral = selectors.referral_get(user=request.user, uuid=referral_uuid)
    return services.referral_decide(
        by=request.user, referral=referral, status=payload.status, outcome=payload.outcome
    )


@router.get("/registry", response=list[RegistrationOut], summary="易流浪走失人员库（规则A3）")
def registry(request, include_ended: bool = False, offset: int = 0, limit: int = 50):
    rows = _page(
        selectors.registration_list(user=request.user, filters={"include_ended": include_ended}),
        offset,
        limit,
    )
    _audit_list(request, "易流浪走失人员库", len(rows))
    return rows


@router.post("/registry", response={201: RegistrationOut}, summary="登记易流浪走失人员（规则A3）")
def registry_add(request, payload: RegistrationIn):
    c = selectors.case_get(user=request.user, uuid=payload.case) if payload.case else None
    data = payload.dict(exclude={"township", "village", "station", "case"})
    if c is not None:
        data = {k: v for k, v in data.items() if v not in ("", None)}
    reg = services.registration_create(
        by=request.user,
        data=data,
        case=c,
        township=_org(payload.township, "township", [OrgKind.TOWNSHIP]),
        village=_org(payload.village, "village", [OrgKind.VILLAGE]),
        station=_org(payload.station, "station"),
    )
    return Status(201, reg)


@router.get("/registry/{registration_uuid}", response=RegistrationOut, summary="易流浪走失人员")
def registration(request, registration_uuid: uuid.UUID):
    return selectors.registration_get(user=request.user, uuid=registration_uuid)


@router.post("/registry/{registration_uuid}/visits", response={201: VisitOut}, summary="记录走访（规则A3）")
def registration_visit(request, registration_uuid: uuid.UUID, payload: RiskVisitIn):
    reg = selectors.registration_get(user=request.user, uuid=registration_uuid)
    visit = services.risk_visit_add(
        by=request.user,
        registration=reg,
        visited_at=payload.visited_at,
        method=payload.method,
        situation=payload.situation,
        present=payload.present,
    )
    visit.at_home = visit.present
    return Status(201, visit)


@router.post("/registry/{registration_uuid}/end", response=RegistrationOut, summary="移出人员库")
def registration_end(request, registration_uuid: uuid.UUID, payload: EndIn):
    reg = selectors.registration_get(user=request.user, uuid=registration_uuid)
    return services.registration_end(by=request.user, registration=reg, reason=payload.reason)


@router.post(
    "/registry/{registration_uuid}/wandering", response={201: AlertOut}, summary="报告再次流浪（规则A3）"
)
def registration_wandering(request, registration_uuid: uuid.UUID, payload: WanderingIn):
    reg = selectors.registration_get(user=request.user, uuid=registration_uuid)
    return Status(
        201,
        services.wandering_report(
            by=request.user,
            registration=reg,
            last_seen_on=payload.last_seen_on,
            last_seen_place=payload.last_seen_place,
            note=payload.note,
        ),
    )


@router.get("/alerts", response=list[AlertOut], summary="再次流浪报告")
def alerts(request, open_only: bool = False, offset: int = 0, limit: int = 50):
    return _page(selectors.alert_list(user=request.user, open_only=open_only), offset, limit)


@router.post("/alerts/{alert_uuid}/ack", response=AlertOut, summary="签收再次流浪报告（A3w，24小时内）")
def alert_ack(request, alert_uuid: uuid.UUID):
    alert = selectors.alert_get(user=request.user, uuid=alert_uuid)
    return services.alert_acknowledge(by=request.user, alert=alert)


# --- data sharing (rule A4) -----------------------------------------------------------------------------


class SenderIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    list_kind: str = Field(max_length=12)
    header_row: int = Field(1, ge=1, le=20)
    mapping: dict[str, str] = Field(
        description="字段 → 列名：name, id_number, sex, birth_date, address, category, disability"
    )


class SenderOut(Schema):
    uuid: uuid.UUID
    name: str
    list_kind: str
    list_kind_label: str = Field(alias="get_list_kind_display")
    header_row: int
    mapping: dict[str, str]
    organisation: str = Field(alias="organisation.name")


class SharedListOut(Schema):
    uuid: uuid.UUID
    sender: str = Field(alias="sender.name")
    list_kind: str
    file_name: str
    imported_at: datetime.datetime
    row_count: int
    matched_at: datetime.datetime | None
    match_count: int


class SharedRowOut(Schema):
    uuid: uuid.UUID
    row_no: int
    name: str
    sex: str
    birth_date: datetime.date | None
    id_number_masked: str
    address: str
    category: str
    disability: str


class AttentionOut(Schema):
    uuid: uuid.UUID
    row: SharedRowOut
    shared_list: uuid.UUID = Field(alias="row.shared_list.uuid")
    list_kind: str = Field(alias="row.shared_list.list_kind")
    subject_name: str
    person: uuid.UUID | None = Field(None, alias="person.uuid")
    case: uuid.UUID | None = Field(None, alias="case.uuid")
    registration: uuid.UUID | None = Field(None, alias="registration.uuid")
    township: str | None = Field(None, alias="township.name")
    village: str | None = Field(None, alias="village.name")
    probability: float
    exact_id: bool
    reason: str
    status: str
    note: str
    decided_at: datetime.datetime | None
    added_registration: uuid.UUID | None = Field(None, alias="added_registration.uuid")


class AttentionDecideIn(Schema):
    status: str = Field(max_length=10)
    note: str = Field("", max_length=NOTE_MAX)


class AttentionRegisterIn(Schema):
    township: uuid.UUID
    village: uuid.UUID | None = None
    station: uuid.UUID
    mental_disorder: bool = False
    alzheimers: bool = False
    physical_disability: bool = False
    intellectual_disability: bool = False
    repeated_wandering: bool = False


@router.get("/shared/senders", response=list[SenderOut], summary="数据共享来源部门及列对应（规则A4）")
def shared_senders(request):
    return list(selectors.sender_list(user=request.user)[:200])


@router.post("/shared/senders", response={201: SenderOut}, summary="设置来源部门及列对应（规则A4）")
def shared_sender_add(request, payload: SenderIn):
    return Status(
        201,
        services.sender_save(
            by=request.user,
            name=payload.name,
            list_kind=payload.list_kind,
            header_row=payload.header_row,
            mapping=payload.mapping,
        ),
    )


@router.get("/shared/senders/{sender_uuid}", response=SenderOut, summary="来源部门")
def shared_sender(request, sender_uuid: uuid.UUID):
    return selectors.sender_get(user=request.user, uuid=sender_uuid)


@router.put("/shared/senders/{sender_uuid}", response=SenderOut, summary="修改来源部门列对应（规则A4）")
def shared_sender_change(request, sender_uuid: uuid.UUID, payload: SenderIn):
    sender = selectors.sender_get(user=request.user, uuid=sender_uuid)
    return services.sender_save(
        by=request.user,
        sender=sender,
        name=payload.name,
        list_kind=payload.list_kind,
        header_row=payload.header_row,
        mapping=payload.mapping,
    )


@router.get("/shared/lists", response=list[SharedListOut], summary="已导入的共享名单（规则A4）")
def shared_lists(request, offset: int = 0, limit: int = 50):
    return _page(selectors.shared_list_list(user=request.user), offset, limit)


@router.post(
    "/shared/lists", response={201: SharedListOut}, summary="导入共享名单 Excel（规则A4，全部或全不）"
)
def shared_list_import(request, sender: Form[uuid.UUID], file: File[UploadedFile]):
    chosen = selectors.writable_senders(request.user).filter(uuid=sender).first()
    if chosen is None:
        raise ValidationError({"sender": "未找到该来源部门，或您无权导入。"})
    return Status(201, services.shared_list_import(by=request.user, sender=chosen, upload=file))


@router.get("/shared/lists/{list_uuid}", response=SharedListOut, summary="共享名单")
def shared_list(request, list_uuid: uuid.UUID):
    return selectors.shared_list_get(user=request.user, uuid=list_uuid)


@router.get("/shared/lists/{list_uuid}/rows", response=list[SharedRowOut], summary="共享名单人员")
def shared_list_rows(request, list_uuid: uuid.UUID, offset: int = 0, limit: int = 50):
    shared = selectors.shared_list_get(user=request.user, uuid=list_uuid)
    rows = _page(shared.rows.order_by("row_no"), offset, limit)
    _audit_list(request, "共享名单人员", len(rows))
    return rows


@router.get("/shared/attention", response=list[AttentionOut], summary="共享名单需关注人员（规则A4）")
def shared_attention(
    request,
    status: str = Query("", max_length=10),
    kind: str = Query("", max_length=12),
    offset: int = 0,
    limit: int = 50,
):
    rows = _page(
        selectors.attention_list(user=request.user, filters={"status": status, "kind": kind}), offset, limit
    )
    _audit_list(request, "共享名单需关注人员", len(rows))
    return rows


@router.get("/shared/attention/{item_uuid}", response=AttentionOut, summary="需关注人员")
def shared_attention_item(request, item_uuid: uuid.UUID):
    return selectors.attention_get(user=request.user, uuid=item_uuid)


@router.post(
    "/shared/attention/{item_uuid}/decision",
    response=AttentionOut,
    summary="核实：确认为同一人 / 不是同一人（规则A4）",
)
def shared_attention_decide(request, item_uuid: uuid.UUID, payload: AttentionDecideIn):
    item = selectors.attention_get(user=request.user, uuid=item_uuid)
    return services.attention_decide(by=request.user, item=item, status=payload.status, note=payload.note)


@router.post(
    "/shared/attention/{item_uuid}/registration",
    response={201: RegistrationOut},
    summary="纳入易流浪走失人员库（规则A4 → A3）",
)
def shared_attention_register(request, item_uuid: uuid.UUID, payload: AttentionRegisterIn):
    item = selectors.attention_get(user=request.user, uuid=item_uuid)
    reg = services.attention_register(
        by=request.user,
        item=item,
        township=_org(payload.township, "township", [OrgKind.TOWNSHIP]),
        village=_org(payload.village, "village", [OrgKind.VILLAGE]),
        station=_org(payload.station, "station"),
        categories=payload.dict(include=set(RISK_CATEGORIES)),
    )
    return Status(201, reg)
