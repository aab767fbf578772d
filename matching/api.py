"""API of the matching app (/api/v1/matching): reports (CRUD + Excel import), candidates, review, person query.

Same selectors, services and permissions as the pages; errors become the project's JSON error shape.
"""

import datetime
import uuid

from django.core.exceptions import ValidationError
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from core.idnumbers import KEEP_UNCHECKED_HELP
from core.models import Division
from core.scoping import require_write
from matching import selectors, services
from matching.services import REPORT_ROLES
from people import selectors as people_selectors

router = Router()


class ReportOut(Schema):
    uuid: uuid.UUID
    organisation: uuid.UUID = Field(alias="organisation.uuid")
    organisation_name: str = Field(alias="organisation.name")
    report_no: str
    reported_at: datetime.datetime
    reporter_name: str
    reporter_phone: str
    reporter_relationship: str
    name: str
    aliases: str
    sex: str
    birth_date: datetime.date | None
    birth_year: int | None
    age_min: int | None
    age_max: int | None
    id_number_masked: str
    id_number_unchecked_masked: str
    hukou_division: str | None = None
    hukou_text: str
    dialect: str
    height_cm: int | None
    marks: str
    last_seen_on: datetime.date | None
    last_seen_place: str
    status: str
    found_station_name: str
    found_at: datetime.datetime | None
    closed_reason: str

    @staticmethod
    def resolve_hukou_division(obj):
        return obj.hukou_division.code if obj.hukou_division_id else None


class ReportIn(Schema):
    report_no: str = Field(..., max_length=50)
    reported_at: datetime.datetime
    name: str = Field(..., max_length=50)
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", max_length=40)
    reporter_relationship: str = Field("", max_length=20)
    aliases: str = Field("", max_length=200)
    sex: str = Field("", max_length=2)
    birth_date: datetime.date | None = None
    birth_year: int | None = Field(None, ge=1900, le=2100)
    age_min: int | None = Field(None, ge=0, le=150)
    age_max: int | None = Field(None, ge=0, le=150)
    id_number: str = Field("", max_length=18)
    keep_unchecked_id: bool = Field(False, description=KEEP_UNCHECKED_HELP)
    hukou_division: str | None = Field(None, description="6位区划代码", max_length=12)
    hukou_text: str = Field("", max_length=200)
    dialect: str = Field("", max_length=50)
    height_cm: int | None = Field(None, ge=0, le=300)
    marks: str = Field("", max_length=2000)
    last_seen_on: datetime.date | None = None
    last_seen_place: str = Field("", max_length=200)


class ReportPatch(Schema):
    report_no: str | None = Field(None, max_length=50)
    reported_at: datetime.datetime | None = None
    name: str | None = Field(None, max_length=50)
    reporter_name: str | None = Field(None, max_length=50)
    reporter_phone: str | None = Field(None, max_length=40)
    reporter_relationship: str | None = Field(None, max_length=20)
    aliases: str | None = Field(None, max_length=200)
    sex: str | None = Field(None, max_length=2)
    birth_date: datetime.date | None = None
    birth_year: int | None = Field(None, ge=1900, le=2100)
    age_min: int | None = Field(None, ge=0, le=150)
    age_max: int | None = Field(None, ge=0, le=150)
    id_number: str | None = Field(None, description="省略或 null 表示不变，空字符串表示删除", max_length=18)
    keep_unchecked_id: bool = Field(False, description=KEEP_UNCHECKED_HELP)
    hukou_division: str | None = Field(None, max_length=12)
    hukou_text: str | None = Field(None, max_length=200)
    dialect: str | None = Field(None, max_length=50)
    height_cm: int | None = Field(None, ge=0, le=300)
    marks: str | None = Field(None, max_length=2000)
    last_seen_on: datetime.date | None = None
    last_seen_place: str | None = Field(None, max_length=200)


class CloseIn(Schema):
    reason: str = Field(..., max_length=200)


class ImportOut(Schema):
    created: int
    reports: list[uuid.UUID]


class CandidateOut(Schema):
    uuid: uuid.UUID
    kind: str
    status: str
    probability: float
    band: str = Field(description="很可能 / 可能 / 较弱 (never 很可能 from weak evidence)")
    band_percent: str = Field(description="the figure to show (capped at 99 %)")
    id_number_match: bool
    face_similarity: float | None
    explanation: str
    person: uuid.UUID = Field(alias="person.uuid")
    person_name: str = Field(alias="person.name")
    person_file_no: str = Field(alias="person.file_no")
    report: uuid.UUID | None = None
    report_no: str | None = None
    report_name: str | None = None
    other_person: uuid.UUID | None = None
    other_file_no: str | None = None
    decided_at: datetime.datetime | None
    decision_note: str

    @staticmethod
    def resolve_band(obj):
        return obj.band.label

    @staticmethod
    def resolve_band_percent(obj):
        return obj.band.percent

    @staticmethod
    def resolve_report(obj):
        return obj.report.uuid if obj.report_id else None

    @staticmethod
    def resolve_report_no(obj):
        return obj.report.report_no if obj.report_id else None

    @staticmethod
    def resolve_report_name(obj):
        return obj.report.name if obj.report_id else None

    @staticmethod
    def resolve_other_person(obj):
        return obj.other_person.uuid if obj.other_person_id else None

    @staticmethod
    def resolve_other_file_no(obj):
        return obj.other_person.file_no if obj.other_person_id else None


class DecideIn(Schema):
    decision: str = Field(description="confirmed / rejected / deferred", max_length=10)
    note: str = Field("", max_length=300)
    confirm: bool = Field(False, description="confirming a report match identifies the person (rename, withdraw "
                                             "announcements, close police checks): send true to confirm it; without "
                                             "it the answer (400) lists those consequences")


class MergeIn(Schema):
    keep: uuid.UUID


class MergeOut(Schema):
    kept: uuid.UUID
    merged: uuid.UUID


def _report_data(payload: Schema, *, partial: bool) -> tuple[dict, str | None]:
    data = payload.dict(exclude_unset=partial)
    id_number = data.pop("id_number", None)
    data.pop("keep_unchecked_id", None)
    if "hukou_division" in data:
        code = data.pop("hukou_division")
        division = Division.objects.filter(code=code).first() if code else None
        if code and division is None:
            raise ValidationError({"hukou_division": f"区划代码“{code}”不存在。"})
        data["hukou_division"] = division
    if partial:
        for key in ("report_no", "name", "reported_at"):
            if key in data and data[key] is None:
                raise ValidationError({key: "该字段不能为空。"})
        data = {k: ("" if v is None and k in ReportIn.model_fields and isinstance(ReportIn.model_fields[k].default, str)
                     else v) for k, v in data.items()}
    return data, id_number


@router.get("/reports", response=list[ReportOut], summary="走失报案列表（本机构及下属）")
def list_reports(request, q: str = Query("", max_length=100), status: str = Query("", max_length=32), limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=1_000_000)):
    qs = selectors.report_list(user=request.user, q=q, status=status)
    return list(qs.select_related("hukou_division")[offset: offset + min(limit, 500)])


@router.post("/reports", response={201: ReportOut}, summary="登记走失报案（规则 T7）")
def create_report(request, payload: ReportIn):
    organisation = services.require_report_registrar(request.user)
    data, id_number = _report_data(payload, partial=False)
    report = services.report_create(by=request.user, organisation=organisation, data=data, id_number=id_number or "",
                                    keep_unchecked_id=payload.keep_unchecked_id)
    return Status(201, report)


@router.post("/reports/import", response={201: ImportOut}, summary="Excel 导入走失报案（全部或全不）")
def import_reports(request, file: File[UploadedFile]):
    organisation = services.require_report_registrar(request.user)
    created = services.reports_import(by=request.user, organisation=organisation, upload=file)
    return Status(201, {"created": len(created), "reports": [r.uuid for r in created]})


@router.get("/reports/{uuid}", response=ReportOut, summary="走失报案详情")
def get_report(request, uuid: uuid.UUID):
    return selectors.report_get(user=request.user, uuid=uuid)


@router.patch("/reports/{uuid}", response=ReportOut, summary="修改走失报案")
def update_report(request, uuid: uuid.UUID, payload: ReportPatch):
    report = selectors.report_get(user=request.user, uuid=uuid)
    require_write(request.user, report.organisation, *REPORT_ROLES)
    data, id_number = _report_data(payload, partial=True)
    return services.report_update(by=request.user, report=report, data=data, id_number=id_number,
                                  keep_unchecked_id=payload.keep_unchecked_id)


@router.post("/reports/{uuid}/close", response=ReportOut, summary="结案")
def close_report(request, uuid: uuid.UUID, payload: CloseIn):
    report = selectors.report_get(user=request.user, uuid=uuid)
    require_write(request.user, report.organisation, *REPORT_ROLES)
    return services.report_close(by=request.user, report=report, reason=payload.reason)


@router.post("/reports/{uuid}/compare", response=list[CandidateOut], summary="立即与在站人员比对")
def compare_report(request, uuid: uuid.UUID):
    report = selectors.report_get(user=request.user, uuid=uuid)
    require_write(request.user, report.organisation, *REPORT_ROLES)
    services.run_report_query(by=request.user, report=report)
    return selectors.candidates_for_report(user=request.user, report=report)


@router.get("/reports/{uuid}/candidates", response=list[CandidateOut], summary="报案的比对候选（本机构范围内）")
def report_candidates(request, uuid: uuid.UUID):
    report = selectors.report_get(user=request.user, uuid=uuid)
    return selectors.candidates_for_report(user=request.user, report=report)


@router.get("/candidates", response=list[CandidateOut], summary="待审核的比对候选（最优先在前）")
def list_candidates(request, kind: str = Query("", max_length=32), status: str = Query("", max_length=32), limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=1_000_000)):
    qs = selectors.candidate_queue(user=request.user, kind=kind, status=status)
    return list(qs[offset: offset + min(limit, 500)])


@router.get("/candidates/{uuid}", response=CandidateOut, summary="比对候选详情")
def get_candidate(request, uuid: uuid.UUID):
    return selectors.candidate_get(user=request.user, uuid=uuid)


@router.post("/candidates/{uuid}/decide", response=CandidateOut, summary="审核：确认 / 排除 / 暂缓")
def decide_candidate(request, uuid: uuid.UUID, payload: DecideIn):
    candidate = selectors.candidate_get(user=request.user, uuid=uuid)
    if payload.decision == "confirmed" and candidate.kind == "report" and not payload.confirm:
        services.require_review(request.user, candidate)
        raise ValidationError({"confirm": "确认为同一人将：" + "；".join(selectors.confirm_consequences(candidate))
                                          + " 请核实后以 confirm=true 再次提交。"})
    return services.candidate_decide(by=request.user, candidate=candidate, decision=payload.decision,
                                     note=payload.note)


@router.post("/candidates/{uuid}/merge", response=MergeOut, summary="合并已确认的重复档案")
def merge_candidate(request, uuid: uuid.UUID, payload: MergeIn):
    candidate = selectors.candidate_get(user=request.user, uuid=uuid)
    services.require_review(request.user, candidate)
    files = {p.uuid: p for p in (candidate.person, candidate.other_person) if p is not None}
    keep = files.get(payload.keep)
    if keep is None:
        raise ValidationError({"keep": "请选择这两份档案之一作为保留档案。"})
    services.candidate_merge(by=request.user, candidate=candidate, keep=keep)
    merged = candidate.other_person if keep.pk == candidate.person_id else candidate.person
    return {"kept": keep.uuid, "merged": merged.uuid}


@router.get("/persons/{uuid}/candidates", response=list[CandidateOut], summary="某人的比对候选")
def person_candidates(request, uuid: uuid.UUID):
    person = people_selectors.person_get(user=request.user, uuid=uuid)
    return selectors.candidates_for_person(user=request.user, person=person)


@router.post("/persons/{uuid}/query", response=list[CandidateOut], summary="立即比对某人（走失报案与以往档案）")
def person_query(request, uuid: uuid.UUID):
    person = people_selectors.person_get(user=request.user, uuid=uuid)
    services.run_person_query(by=request.user, person=person)
    return selectors.candidates_for_person(user=request.user, person=person)
