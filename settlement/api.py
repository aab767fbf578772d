"""API of the settlement app (/api/v1/settlement): cases and their steps (rules S1–S4, E1).

Same scope, permissions and services as the pages; documents travel as base64 (JPEG/PNG/WebP image or PDF).
"""

import base64
import binascii
import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from ninja import Field, Query, Router, Schema, Status

from core.audit import log_read
from core.models import Organisation
from core.paging import PAGE_SIZE
from settlement import access, selectors, services

router = Router()

DOC_MAX = 16_000_000  # base64 of the largest accepted upload


class StepOut(Schema):
    uuid: uuid.UUID
    kind: str
    kind_label: str = Field(alias="get_kind_display")
    on: datetime.date
    status_from: str
    status_to: str
    organisation: str = Field(alias="organisation.name")
    by: str
    document_title: str
    has_document: bool
    note: str

    @staticmethod
    def resolve_by(obj) -> str:
        return str(obj.by or "系统")

    @staticmethod
    def resolve_has_document(obj) -> bool:
        return bool(obj.document)


class CaseOut(Schema):
    uuid: uuid.UUID
    number: str
    person: uuid.UUID = Field(alias="person.uuid")
    person_name: str = Field(alias="person.name")
    episode: uuid.UUID = Field(alias="episode.uuid")
    station: str = Field(alias="station.name")
    department: str = Field(alias="department.name")
    status: str
    status_label: str = Field(alias="get_status_display")
    applied_on: datetime.date
    exception_reason: str
    plan_on: datetime.date | None
    government: str
    plan_summary: str
    decided_on: datetime.date | None
    approved_on: datetime.date | None
    approval_ref: str
    placement_kind: str
    institution: str | None = None
    placed_on: datetime.date | None
    police: str | None = None
    long_term_on: datetime.date | None
    hukou_registered_on: datetime.date | None
    hukou_number: str
    hukou_address: str
    tekun_on: datetime.date | None
    insurance_on: datetime.date | None
    identified_at: datetime.datetime | None
    return_home_on: datetime.date | None
    cancellation_requested_at: datetime.datetime | None
    cancelled_on: datetime.date | None
    end_reason: str

    @staticmethod
    def resolve_institution(obj):
        return obj.institution.name if obj.institution else None

    @staticmethod
    def resolve_police(obj):
        return obj.police.name if obj.police else None


class CaseDetailOut(CaseOut):
    steps: list[StepOut] = []

    @staticmethod
    def resolve_steps(obj):
        return list(selectors.case_steps(obj))


class DocIn(Schema):
    document_base64: str = Field("", max_length=DOC_MAX)
    document_filename: str = Field("", max_length=100)


class ApplyIn(DocIn):
    applied_on: datetime.date | None = None
    situation: str = Field("", max_length=2000)
    exception_reason: str = Field("", max_length=500)


class PlanIn(DocIn):
    on: datetime.date
    government: str = Field(max_length=100)
    plan_summary: str = Field(max_length=500)


class DecisionIn(DocIn):
    approved: bool
    on: datetime.date
    approval_ref: str = Field("", max_length=100)
    note: str = Field("", max_length=500)


class PlacementIn(DocIn):
    kind: str = Field(max_length=16)
    institution: uuid.UUID
    police: uuid.UUID
    receiver: str = Field(max_length=50)
    receiver_phone: str = Field("", max_length=40)
    placed_at: datetime.datetime | None = None
    reason: str = Field("", max_length=500)


class LongTermIn(DocIn):
    on: datetime.date
    reason: str = Field(max_length=500)


class HukouIn(DocIn):
    on: datetime.date
    number: str = Field(max_length=50)
    address: str = Field("", max_length=200)


class EnrolIn(DocIn):
    tekun_on: datetime.date | None = None
    insurance_on: datetime.date | None = None
    insurance_note: str = Field("", max_length=200)


class ReturnHomeIn(DocIn):
    on: datetime.date
    destination: str = Field(max_length=200)
    note: str = Field("", max_length=500)


class CancellationIn(DocIn):
    on: datetime.date
    ref: str = Field(max_length=100)


class WithdrawIn(Schema):
    reason: str = Field(max_length=300)


def _doc(payload: DocIn):
    if not payload.document_base64:
        return None
    try:
        raw = base64.b64decode(payload.document_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError({"document": "文书的 base64 编码有误。"}) from exc
    return SimpleUploadedFile(payload.document_filename or "document.bin", raw)


def _org(value: uuid.UUID, field: str) -> Organisation:
    org = Organisation.objects.filter(uuid=value).first()
    if org is None:
        raise ValidationError({field: "未找到该机构。"})
    return org


def _case_for(request, case_uuid, allowed):
    case = selectors.case_get(user=request.user, uuid=case_uuid)
    if not allowed(request.user, case):
        raise PermissionDenied("您不能办理该落户安置的这一步。")
    return case


def _station(user, case) -> bool:
    return access.may_station_act(user, case.station)


@router.get("/cases", response=list[CaseOut],
            summary="落户安置列表（status: open/ended/all 或具体状态；awaiting=police 只看待公安办理）")
def case_list(request, status: str = Query("open", max_length=16), q: str = Query("", max_length=50),
              awaiting: str = Query("", max_length=8), page: int = Query(1, ge=1, le=100_000)):
    qs = selectors.case_list(user=request.user, status=status, q=q, awaiting=awaiting)
    rows = list(qs[(page - 1) * PAGE_SIZE: page * PAGE_SIZE])
    log_read(request, "落户安置列表", objects=rows, filters={"status": status, "q": q, "awaiting": awaiting})
    return rows


@router.get("/cases/{case_uuid}", response=CaseDetailOut, summary="落户安置详情与办理过程")
def case_get(request, case_uuid: uuid.UUID):
    case = selectors.case_get(user=request.user, uuid=case_uuid)
    log_read(request, "落户安置", objects=[case], person_uuid=case.person.uuid)
    return case


@router.get("/cases/{case_uuid}/steps", response=list[StepOut], summary="落户安置各步骤（日期、办理单位、文书）")
def case_steps(request, case_uuid: uuid.UUID):
    case = selectors.case_get(user=request.user, uuid=case_uuid)
    log_read(request, "落户安置步骤", objects=[case], person_uuid=case.person.uuid)
    return list(selectors.case_steps(case))


@router.post("/episodes/{episode_uuid}/cases", response={201: CaseDetailOut},
             summary="申请落户安置（规则S1：身份不明滞留满3个月，提前须写明特殊情况）")
def case_apply(request, episode_uuid: uuid.UUID, payload: ApplyIn):
    episode = selectors.episode_get(user=request.user, uuid=episode_uuid)
    if not access.may_station_act(request.user, episode.station):
        raise PermissionDenied("落户安置由本站站长申请。")
    case = services.settlement_apply(by=request.user, episode=episode, applied_on=payload.applied_on,
                                     document=_doc(payload), exception_reason=payload.exception_reason,
                                     situation=payload.situation)
    return Status(201, case)


@router.post("/cases/{case_uuid}/plan", response=CaseDetailOut, summary="民政部门拟定安置方案报同级人民政府")
def case_plan(request, case_uuid: uuid.UUID, payload: PlanIn):
    case = _case_for(request, case_uuid, access.may_department_act)
    return services.settlement_plan_submit(by=request.user, case=case, on=payload.on, government=payload.government,
                                           plan_summary=payload.plan_summary, document=_doc(payload))


@router.post("/cases/{case_uuid}/decision", response=CaseDetailOut, summary="登记政府批复（批准或未批准）")
def case_decision(request, case_uuid: uuid.UUID, payload: DecisionIn):
    case = _case_for(request, case_uuid, access.may_department_act)
    return services.settlement_decide(by=request.user, case=case, approved=payload.approved, on=payload.on,
                                      approval_ref=payload.approval_ref, note=payload.note, document=_doc(payload))


@router.post("/cases/{case_uuid}/placement", response=CaseDetailOut,
             summary="安置到福利机构并离站（安置，规则S1、E1）；kind=long_term 为长期安置未落户（S3）")
def case_placement(request, case_uuid: uuid.UUID, payload: PlacementIn):
    case = _case_for(request, case_uuid, _station)
    return services.settlement_place(by=request.user, case=case, kind=payload.kind,
                                     institution=_org(payload.institution, "institution"),
                                     police=_org(payload.police, "police"), receiver=payload.receiver,
                                     receiver_phone=payload.receiver_phone, placed_at=payload.placed_at,
                                     reason=payload.reason, document=_doc(payload))


@router.post("/cases/{case_uuid}/long-term", response=CaseDetailOut, summary="转为长期安置（未落户，规则S3）")
def case_long_term(request, case_uuid: uuid.UUID, payload: LongTermIn):
    case = _case_for(request, case_uuid, _station)
    return services.settlement_long_term(by=request.user, case=case, on=payload.on, reason=payload.reason,
                                         document=_doc(payload))


@router.post("/cases/{case_uuid}/hukou", response=CaseDetailOut, summary="公安机关登记户口（集体户，规则S2）")
def case_hukou(request, case_uuid: uuid.UUID, payload: HukouIn):
    case = _case_for(request, case_uuid, access.may_police_act)
    return services.settlement_register_hukou(by=request.user, case=case, on=payload.on, number=payload.number,
                                              address=payload.address, document=_doc(payload))


@router.post("/cases/{case_uuid}/enrolment", response=CaseDetailOut, summary="纳入特困人员供养、参加社会保险（规则S2）")
def case_enrolment(request, case_uuid: uuid.UUID, payload: EnrolIn):
    case = _case_for(request, case_uuid, lambda u, c: access.enrolment_org(u, c) is not None)
    return services.settlement_enrol(by=request.user, case=case, organisation=access.enrolment_org(request.user, case),
                                     tekun_on=payload.tekun_on, insurance_on=payload.insurance_on,
                                     insurance_note=payload.insurance_note, document=_doc(payload))


@router.post("/cases/{case_uuid}/return-home", response=CaseDetailOut, summary="身份查明后登记返乡（规则S4）")
def case_return_home(request, case_uuid: uuid.UUID, payload: ReturnHomeIn):
    case = _case_for(request, case_uuid, _station)
    return services.settlement_return_home(by=request.user, case=case, on=payload.on, destination=payload.destination,
                                           note=payload.note, document=_doc(payload))


@router.post("/cases/{case_uuid}/cancellation", response=CaseDetailOut, summary="公安机关确认注销重复户口（规则S4）")
def case_cancellation(request, case_uuid: uuid.UUID, payload: CancellationIn):
    case = _case_for(request, case_uuid, access.may_police_act)
    return services.settlement_confirm_cancellation(by=request.user, case=case, on=payload.on, ref=payload.ref,
                                                    document=_doc(payload))


@router.post("/cases/{case_uuid}/withdraw", response=CaseDetailOut, summary="撤回尚未安置的落户安置申请")
def case_withdraw(request, case_uuid: uuid.UUID, payload: WithdrawIn):
    case = _case_for(request, case_uuid, _station)
    return services.settlement_withdraw(by=request.user, case=case, reason=payload.reason)
