"""Every write of the matching app: reports (rule T7), their import, engine runs, review and merge.

Each function validates, writes and audits in one transaction; nothing is saved in part. The engine
proposes, a person decides (guitu_match.review): candidates are only ever confirmed, rejected or
deferred by a person, and a confirmed match identifies nobody until tracing's identity_confirm runs.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit, audit_create, audit_update, snapshot
from core.crypto import decrypt_id
from core.excel import ExcelBook, cell_text, read_upload
from core.idnumbers import store_id_number
from core.images import take_image
from core.models import AuditAction, Division, Organisation, OrgKind, Role
from core.scoping import require_write, visible_org_ids
from matching import engine
from matching.models import (
    OPEN_STATUSES,
    CandidateKind,
    CandidateStatus,
    MatchCandidate,
    MatchDecision,
    MatchRun,
    MissingReport,
    ReportPhoto,
    ReportStatus,
)
from people.models import IdentityStatus, Person
from people.permissions import owner
from tracing.services import identity_confirm

#: Who registers and edits reports: police liaison officers (公安协查员) of a police organisation, or
#: station staff when a family reports at the counter (head and admin are always allowed).
REPORT_ROLES = (Role.POLICE, Role.RECEPTION, Role.TRACER)
#: Who reviews candidates and merges files: the person's station (tracer, reception; head, admin).
REVIEW_ROLES = (Role.TRACER, Role.RECEPTION)

REPORT_FIELDS = (
    "report_no", "reported_at", "reporter_name", "reporter_phone", "reporter_relationship", "name", "aliases",
    "sex", "birth_date", "birth_year", "age_min", "age_max", "hukou_division", "hukou_text", "dialect",
    "height_cm", "marks", "last_seen_on", "last_seen_place",
)


# --- permissions -------------------------------------------------------------------------------

def may_register_reports(user) -> bool:
    org = getattr(user, "organisation", None)
    if user.is_superuser:
        return True
    if org is None or not (org.kind == OrgKind.POLICE or org.is_station):
        return False
    return user.has_role(*REPORT_ROLES, Role.HEAD, Role.ADMIN)


def require_report_registrar(user) -> Organisation:
    """Police (公安协查员) or station staff register reports for their own organisation; others 403."""
    if not may_register_reports(user):
        raise PermissionDenied("只有公安协查员或救助管理机构的工作人员可以登记走失报案。")
    require_write(user, user.organisation, *REPORT_ROLES)
    return user.organisation


def require_review(user, candidate: MatchCandidate) -> None:
    """Reviewers write for the station responsible for the person (either file of a duplicate pair)."""
    orgs = [owner(candidate.person)]
    if candidate.other_person_id:
        orgs.append(owner(candidate.other_person))
    for org in orgs:
        try:
            require_write(user, org, *REVIEW_ROLES)
            return
        except PermissionDenied:
            continue
    raise PermissionDenied("您只有查看权限，不能审核该比对候选。")


# --- reports -----------------------------------------------------------------------------------

def _validate_report(report: MissingReport, now: datetime.datetime) -> None:
    today = timezone.localdate(now)
    errors: dict[str, str] = {}
    if not (report.report_no or "").strip():
        errors["report_no"] = "请填写报案编号。"
    if not (report.name or "").strip():
        errors["name"] = "请填写走失者姓名（不详时可填写“不详”并补充体貌特征）。"
    if report.reported_at is None:
        errors["reported_at"] = "请填写报案时间。"
    elif report.reported_at > now + datetime.timedelta(minutes=5):
        errors["reported_at"] = "报案时间不能晚于当前时间。"
    if report.sex not in ("", "男", "女"):
        errors["sex"] = "性别只能是“男”“女”或不填。"
    if report.birth_date and report.birth_date > today:
        errors["birth_date"] = "出生日期不能晚于今天。"
    elif report.birth_date and report.birth_date.year < 1900:
        errors["birth_date"] = "出生日期不合理（早于1900年）。"
    if report.birth_year is not None and not (1900 <= report.birth_year <= today.year):
        errors["birth_year"] = f"出生年份应在1900年至{today.year}年之间。"
    if report.birth_date and report.birth_year and report.birth_date.year != report.birth_year:
        errors["birth_year"] = "出生年份与出生日期不一致。"
    if report.age_min is not None and report.age_max is not None and report.age_min > report.age_max:
        errors["age_max"] = "年龄上限不能小于下限。"
    for field in ("age_min", "age_max"):
        value = getattr(report, field)
        if value is not None and value > 120:
            errors[field] = "年龄不合理（超过120岁）。"
    if report.height_cm is not None and not (40 <= report.height_cm <= 250):
        errors["height_cm"] = "身高应在40至250厘米之间。"
    if report.last_seen_on:
        if report.last_seen_on > today:
            errors["last_seen_on"] = "最后出现日期不能晚于今天。"
        elif report.reported_at and report.last_seen_on > timezone.localdate(report.reported_at):
            errors["last_seen_on"] = "最后出现日期不能晚于报案时间。"
        elif report.birth_date and report.last_seen_on < report.birth_date:
            errors["last_seen_on"] = "最后出现日期不能早于出生日期。"
    phone = report.reporter_phone or ""
    if phone and not all(ch.isdigit() or ch in "+-() " for ch in phone):
        errors["reporter_phone"] = "电话号码只能包含数字和“+-()”。"
    if report.organisation_id and report.report_no and (
            MissingReport.objects.filter(organisation_id=report.organisation_id, report_no=report.report_no.strip())
            .exclude(pk=report.pk).exists()):
        errors["report_no"] = f"本机构已登记过报案编号“{report.report_no}”。"
    if errors:
        raise ValidationError(errors)


def _apply_id_number(report, id_number: str, keep_unchecked: bool = False) -> None:
    """Validate (GB 11643) and store encrypted + keyed hash + masked; sex and birth date must agree. A number that
    fails its check is kept as the family gave it only when ``keep_unchecked`` (core.idnumbers)."""
    store_id_number(report, id_number, keep_unchecked=keep_unchecked)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(REPORT_FIELDS)
    if unknown:
        raise ValidationError(f"未知字段：{'、'.join(sorted(unknown))}")
    out = {}
    for key, value in data.items():
        out[key] = value.strip() if isinstance(value, str) else value
        if key in ("sex",) and out[key] is None:
            out[key] = ""
    for key in ("reporter_name", "reporter_phone", "reporter_relationship", "aliases", "hukou_text", "dialect",
                "marks", "last_seen_place"):
        if key in out and out[key] is None:
            out[key] = ""
    return out


def _build_report(*, by, organisation: Organisation, data: dict[str, Any], id_number: str,
                  now: datetime.datetime, keep_unchecked_id: bool = False) -> MissingReport:
    report = MissingReport(organisation=organisation, created_by=by, **_clean(data))
    _apply_id_number(report, id_number, keep_unchecked_id)
    if report.birth_date and not report.birth_year:
        report.birth_year = report.birth_date.year
    _validate_report(report, now)
    return report


def schedule_report_query(report: MissingReport) -> None:
    """Compare the report with everyone in care once the transaction commits (rule T7)."""
    from matching import tasks

    pk = report.pk
    transaction.on_commit(lambda: tasks.report_query_task(pk))


def schedule_person_query(person: Person) -> None:
    """Compare a person with open reports and earlier files once the transaction commits (rules T7, I4).

    Other apps (intake, tracing) may call this after saving a new unidentified person.
    """
    from matching import tasks

    pk = person.pk
    transaction.on_commit(lambda: tasks.person_query_task(pk))


@transaction.atomic
def report_create(*, by, organisation: Organisation, data: dict[str, Any], id_number: str = "",
                  photos: list | tuple = (), keep_unchecked_id: bool = False) -> MissingReport:
    """Register one missing-person report (rule T7) and schedule its comparison with everyone in care."""
    report = _build_report(by=by, organisation=organisation, data=data, id_number=id_number, now=timezone.now(),
                           keep_unchecked_id=keep_unchecked_id)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as exc:
        raise ValidationError({"report_no": f"本机构已登记过报案编号“{report.report_no}”。"}) from exc
    audit_create(actor=by, obj=report, summary=f"登记走失报案 {report.report_no} {report.name}",
                 organisation=organisation)
    for image in photos:
        report_photo_add(by=by, report=report, image=image)
    schedule_report_query(report)
    return report


@transaction.atomic
def report_update(*, by, report: MissingReport, data: dict[str, Any], id_number: str | None = None,
                  keep_unchecked_id: bool = False) -> MissingReport:
    """Change a report; ``id_number=None`` keeps the stored number. An open report is compared again."""
    before = snapshot(report)
    for key, value in _clean(data).items():
        setattr(report, key, value)
    if id_number is not None:
        _apply_id_number(report, id_number, keep_unchecked_id)
    _validate_report(report, timezone.now())
    report.save()
    audit_update(actor=by, obj=report, before=before, summary=f"修改走失报案 {report.report_no}",
                 organisation=report.organisation)
    if report.status == ReportStatus.OPEN:
        schedule_report_query(report)
    return report


@transaction.atomic
def report_close(*, by, report: MissingReport, reason: str) -> MissingReport:
    """Close a report without a match (e.g. the family found the person); its open candidates close too."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写结案说明。"})
    if report.status != ReportStatus.OPEN:
        raise ValidationError("该报案已不在寻找中，不能再结案。")
    before = snapshot(report, ["status", "closed_reason"])
    report.status = ReportStatus.CLOSED
    report.closed_reason = reason[:200]
    report.save(update_fields=["status", "closed_reason", "updated_at"])
    MatchCandidate.objects.filter(report=report, status__in=OPEN_STATUSES).update(
        status=CandidateStatus.CLOSED, updated_at=timezone.now())
    audit_update(actor=by, obj=report, before=before, summary=f"走失报案 {report.report_no} 结案：{reason[:100]}",
                 organisation=report.organisation)
    return report


@transaction.atomic
def report_photo_add(*, by, report: MissingReport, image) -> ReportPhoto:
    """Store a report's photo privately; its face embedding (if exactly one face) joins the comparison."""
    clean = take_image(image, field="photos", label="照片")  # pixel cap, re-encode, EXIF (GPS) stripped
    vector, note = None, ""
    if engine.faces_enabled():
        from guitu_match import faces

        try:
            vector = faces.embed_photo(clean.content, largest=True).to_bytes()
        except faces.FaceError as exc:
            note = exc.message
    photo = ReportPhoto(report=report, image=clean.as_file("photo"), uploaded_by=by, face_vector=vector, face_note=note[:200])
    photo.save()
    audit_create(actor=by, obj=photo, summary=f"上传报案照片 {report.report_no}", organisation=report.organisation)
    return photo


# --- Excel import -------------------------------------------------------------------------------

#: Excel template columns: (header, field, required). The header row must match exactly (order free).
IMPORT_COLUMNS = [
    ("报案编号", "report_no", True),
    ("报案时间", "reported_at", True),
    ("报案人", "reporter_name", False),
    ("报案人电话", "reporter_phone", False),
    ("与走失者关系", "reporter_relationship", False),
    ("走失者姓名", "name", True),
    ("别名", "aliases", False),
    ("性别", "sex", False),
    ("出生日期", "birth_date", False),
    ("出生年份", "birth_year", False),
    ("年龄下限", "age_min", False),
    ("年龄上限", "age_max", False),
    ("身份证号", "id_number", False),
    ("户籍地区划代码", "hukou_division", False),
    ("户籍地址", "hukou_text", False),
    ("方言口音", "dialect", False),
    ("身高厘米", "height_cm", False),
    ("体貌特征", "marks", False),
    ("最后出现日期", "last_seen_on", False),
    ("最后出现地点", "last_seen_place", False),
]
MAX_IMPORT_ROWS = 5000


def import_template() -> bytes:
    """The downloadable .xlsx template with the Chinese headers and one example row."""
    book = ExcelBook()
    book.sheet("走失报案").header([h for h, _, _ in IMPORT_COLUMNS]).row([
        "QC2026-0001", "2026-03-01 09:30", "张大山", "13800000000", "父亲", "张小伟", "伟伟", "男", "", "1988", "", "",
        "", "441881", "广东省英德市大站镇", "客家话", "170", "左眉有疤", "2026-02-27", "英德市火车站"])
    notes = book.sheet("填写说明").header(["列", "必填", "说明"])
    for header, _, required in IMPORT_COLUMNS:
        notes.row([header, "是" if required else "", ""])
    notes.row(["", "", "日期写作 2026-03-01，时间写作 2026-03-01 09:30；性别填“男”“女”或留空；"
                       "有错误时整份文件不导入，请按错误清单修改后重新上传。"])
    return book.to_bytes()


def _parse_date(value, label: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_text(value).replace("/", "-").replace(".", "-")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{label}“{text}”不是有效日期（应写作 2026-03-01）") from exc


def _parse_datetime(value, label: str) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        dt = value
    elif isinstance(value, datetime.date):
        dt = datetime.datetime.combine(value, datetime.time(0, 0))
    else:
        text = cell_text(value).replace("/", "-").replace("T", " ")
        try:
            dt = datetime.datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"{label}“{text}”不是有效时间（应写作 2026-03-01 09:30）") from exc
    return timezone.make_aware(dt) if timezone.is_naive(dt) else dt


def _parse_int(value, label: str) -> int:
    text = cell_text(value)
    try:
        return int(float(text))
    except ValueError as exc:
        raise ValueError(f"{label}“{text}”不是数字") from exc


def _row_data(raw: dict[str, Any]) -> tuple[dict[str, Any], str, list[str]]:
    """One sheet row → (report data, id number, Chinese problems)."""
    data: dict[str, Any] = {}
    problems: list[str] = []
    id_number = ""
    labels = {f: h for h, f, _ in IMPORT_COLUMNS}
    for header, field, required in IMPORT_COLUMNS:
        value = raw.get(field)
        text = cell_text(value)
        if required and not text:
            problems.append(f"缺少“{header}”")
            continue
        if not text:
            continue
        try:
            if field == "reported_at":
                data[field] = _parse_datetime(value, header)
            elif field in ("birth_date", "last_seen_on"):
                data[field] = _parse_date(value, header)
            elif field in ("birth_year", "age_min", "age_max", "height_cm"):
                number = _parse_int(value, header)
                if number < 0:
                    raise ValueError(f"{header}不能为负数")
                data[field] = number
            elif field == "id_number":
                id_number = text
            elif field == "hukou_division":
                division = Division.objects.filter(code=text.split()[0]).first()
                if division is None:
                    raise ValueError(f"户籍地区划代码“{text}”不存在")
                data[field] = division
            elif field == "sex":
                if text not in ("男", "女", "不详"):
                    raise ValueError(f"性别“{text}”应为“男”“女”或留空")
                data[field] = "" if text == "不详" else text
            else:
                data[field] = text
        except ValueError as exc:
            problems.append(str(exc))
    del labels
    return data, id_number, problems


def _flatten(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        header = {f: h for h, f, _ in IMPORT_COLUMNS}
        return [f"{header.get(field, field)}：{msg}" if field in header else msg
                for field, msgs in exc.message_dict.items() for msg in msgs]
    return list(exc.messages)


@transaction.atomic
def reports_import(*, by, organisation: Organisation, upload) -> list[MissingReport]:
    """Import reports from the Excel template (rule T7). All or nothing:

    - unreadable file, missing or unknown columns → refused as a whole, nothing saved;
    - any row with a problem → a ValidationError listing every problem as “第N行：…”, nothing saved;
    - otherwise every row is saved in this one transaction and each report is scheduled for comparison.
    """
    headers, rows = read_upload(upload, unreadable="无法读取文件，请上传用模板填写的 Excel（.xlsx）文件。")
    while headers and not headers[-1]:
        headers.pop()
    known = {h: f for h, f, _ in IMPORT_COLUMNS}
    missing = [h for h, _, req in IMPORT_COLUMNS if req and h not in headers]
    unknown = [h for h in headers if h and h not in known]
    if not headers or missing or unknown or len(set(headers)) != len(headers):
        parts = []
        if missing:
            parts.append("缺少必需列：" + "、".join(missing))
        if unknown:
            parts.append("无法识别的列：" + "、".join(unknown))
        if headers and len(set(headers)) != len(headers):
            parts.append("有重复的列名")
        if not headers:
            parts.append("第一行应为表头")
        raise ValidationError({"file": "列与模板不符，整份文件未导入。" + "；".join(parts) + "。请下载模板后按模板填写。"})
    now = timezone.now()
    problems: list[str] = []
    built: list[tuple[MissingReport, int]] = []
    seen_numbers: dict[str, int] = {}
    for rownum, values in rows:
        if len(built) + len(problems) >= MAX_IMPORT_ROWS:
            raise ValidationError({"file": f"一次最多导入 {MAX_IMPORT_ROWS} 行，请分批导入。"})
        raw = {known[h]: v for h, v in zip(headers, values) if h in known}
        data, id_number, row_problems = _row_data(raw)
        if not row_problems:
            try:
                report = _build_report(by=by, organisation=organisation, data=data, id_number=id_number, now=now)
            except ValidationError as exc:
                row_problems = _flatten(exc)
            else:
                first = seen_numbers.setdefault(report.report_no, rownum)
                if first != rownum:
                    row_problems = [f"报案编号“{report.report_no}”与第{first}行重复"]
                else:
                    built.append((report, rownum))
        problems += [f"第{rownum}行：{p}" for p in row_problems]
    if problems:
        raise ValidationError(problems)
    if not built:
        raise ValidationError({"file": "文件中没有报案记录。"})
    created = []
    for report, _ in built:
        report.save()
        audit_create(actor=by, obj=report, summary=f"导入走失报案 {report.report_no} {report.name}",
                     organisation=organisation)
        schedule_report_query(report)
        created.append(report)
    audit(actor=by, action=AuditAction.CREATE, object_type="matching.ReportImport", object_id=str(len(created)),
          summary=f"Excel 导入走失报案 {len(created)} 条", organisation=organisation)
    return created


# --- engine runs -------------------------------------------------------------------------------

def _record_run(key: str, count: int) -> None:
    MatchRun.objects.update_or_create(subject_key=key, defaults={"ran_at": timezone.now(), "candidates": count})


def _decided(a: str, b: str) -> bool:
    left, right = engine.pair(a, b)
    return MatchDecision.objects.filter(left_key=left, right_key=right, decision__in=["confirmed", "rejected"]).exists()


def _upsert(*, by, kind: str, person: Person, found, report: MissingReport | None = None,
            other: Person | None = None, face_sim: float | None = None) -> MatchCandidate | None:
    """Create or refresh one candidate; decided pairs are left alone (never proposed again)."""
    now = timezone.now()
    if other is not None and other.pk < person.pk:
        person, other = other, person  # one row per unordered pair of files
    lookup = {"person": person, "report": report} if report is not None else {"person": person, "other_person": other}
    values = {"probability": round(found.probability, 4), "match_weight": round(found.match_weight, 3),
              "explanation": found.explanation[:2000], "id_number_match": bool(found.id_number_match),
              "reasons": [{"comparison": r.comparison, "label": r.label, "weight": r.weight} for r in found.reasons],
              "face_similarity": face_sim, "last_scored_at": now}
    candidate = MatchCandidate.objects.filter(**lookup).first()
    if candidate is not None:
        if candidate.status in OPEN_STATUSES:
            MatchCandidate.objects.filter(pk=candidate.pk).update(**values, updated_at=now)
            candidate.refresh_from_db()
        return candidate
    candidate = MatchCandidate.objects.create(kind=kind, **lookup, **values)
    what = f"走失报案 {report.report_no} {report.name}" if report is not None else f"档案 {other.file_no} {other.name}"
    summary = f"系统比对提出候选：{what}（{candidate.band.label}，{candidate.band.percent}" + (
        "，身份证号完全一致）" if candidate.id_number_match else "）")
    audit(actor=by, action=AuditAction.CREATE, obj=candidate, summary=summary,
          organisation=owner(person), person_uuid=person.uuid)
    if other is not None:
        audit(actor=by, action=AuditAction.CREATE, obj=candidate, summary=f"系统比对提出候选：档案 {person.file_no} {person.name}",
              organisation=owner(other), person_uuid=other.uuid)
    return candidate


def _objects_by_key(keys: list[str]):
    persons = {f"p:{p.uuid}": p for p in Person.objects.filter(uuid__in=[k[2:] for k in keys if k.startswith("p:")])}
    reports = {f"r:{r.uuid}": r for r in MissingReport.objects.filter(uuid__in=[k[2:] for k in keys if k.startswith("r:")])}
    return {**persons, **reports}


@transaction.atomic
def run_report_query(*, by, report: MissingReport) -> list[MatchCandidate]:
    """Compare one open report with every person currently in care (rule T7); write candidates.

    ``by`` is the user who asked (None for the system's tasks). The engine proposes only.
    """
    if by is not None:
        require_write(by, report.organisation, *REPORT_ROLES)
    if report.status != ReportStatus.OPEN:
        return []
    record = engine.report_record(report)
    found = engine.query("in_care", record)
    objects = _objects_by_key([c.record_id for c in found])
    in_care = set(engine.people_in_care().filter(pk__in=[o.pk for o in objects.values()]).values_list("pk", flat=True))
    out = []
    for cand in found:
        person = objects.get(cand.record_id)
        if person is None or person.pk not in in_care or _decided(cand.record_id, engine.report_key(report)):
            continue
        face = engine.face_similarity(record.face_embedding, engine.person_record(person).face_embedding) \
            if record.face_embedding else None
        row = _upsert(by=by, kind=CandidateKind.REPORT, person=person, report=report, found=cand, face_sim=face)
        if row is not None:
            out.append(row)
    _record_run(engine.report_key(report), len(out))
    return out


@transaction.atomic
def run_person_query(*, by, person: Person) -> list[MatchCandidate]:
    """Compare one person with every open report (rule T7) and every earlier file (rule I4).

    Used by the nightly task, by new people in care and by tracing's "query the engine" lead.
    """
    if by is not None:
        require_write(by, owner(person), *REVIEW_ROLES)
    if person.merged_into_id:
        return []
    record = engine.person_record(person)
    key = engine.person_key(person)
    found_reports = engine.query("reports", record)
    found_files = engine.query("files", record, exclude=[key])
    objects = _objects_by_key([c.record_id for c in found_reports + found_files])
    out = []
    for cand in found_reports:
        report = objects.get(cand.record_id)
        if report is None or report.status != ReportStatus.OPEN or _decided(key, cand.record_id):
            continue
        face = engine.face_similarity(record.face_embedding, engine.report_record(report).face_embedding) \
            if record.face_embedding else None
        out.append(_upsert(by=by, kind=CandidateKind.REPORT, person=person, report=report, found=cand, face_sim=face))
    for cand in found_files:
        other = objects.get(cand.record_id)
        if other is None or other.pk == person.pk or other.merged_into_id or _decided(key, cand.record_id):
            continue
        face = engine.face_similarity(record.face_embedding, engine.person_record(other).face_embedding) \
            if record.face_embedding else None
        out.append(_upsert(by=by, kind=CandidateKind.DUPLICATE, person=person, other=other, found=cand,
                           face_sim=face))
    _record_run(key, len(out))
    return [c for c in out if c is not None]


def run_all(*, by=None) -> dict:
    """The nightly comparison: every open report × people in care, every unidentified person × files."""
    counts = {"reports": 0, "people": 0}
    for report in engine.open_reports().iterator():
        run_report_query(by=by, report=report)
        counts["reports"] += 1
    for person in engine.people_in_care().exclude(identity_status=IdentityStatus.IDENTIFIED).iterator():
        run_person_query(by=by, person=person)
        counts["people"] += 1
    return counts


def people_never_compared():
    """Unidentified people in care the engine has not looked at yet (new intake, rules I4/T7)."""
    done = MatchRun.objects.filter(subject_key__startswith="p:").values_list("subject_key", flat=True)
    done_uuids = {k[2:] for k in done}
    return [p for p in engine.people_in_care().exclude(identity_status=IdentityStatus.IDENTIFIED)
            if str(p.uuid) not in done_uuids]


# --- review ------------------------------------------------------------------------------------

def _confirm_identity(*, by, candidate: MatchCandidate) -> None:
    """A confirmed report match identifies the person through tracing's identification service, which
    publishes core.events.PersonIdentified (announcements withdraw, tracing closes its checks and plans
    the return, ``on_person_identified`` below closes the person's other proposals)."""
    report = candidate.report
    evidence = (f"系统比对（走失报案 {report.report_no}，{report.organisation.name}），"
                f"{candidate.band.label}（{candidate.band.percent}）：{candidate.explanation}")[:1000]
    identity_confirm(by=by, person=candidate.person, method="system_match", evidence=evidence,
                     name=report.name, id_number=decrypt_id(report.id_number_enc),
                     hukou_division=report.hukou_division, hukou_text=report.hukou_text, source=candidate)


def on_person_identified(event) -> None:
    """The person is identified (core.events.PersonIdentified), however it happened: the engine's open
    proposals of missing-person reports for them are moot and close (duplicate-file proposals stay:
    two files of one person still need merging)."""
    open_rows = MatchCandidate.objects.select_for_update(of=("self",)).filter(
        person=event.person, kind=CandidateKind.REPORT, status__in=OPEN_STATUSES).select_related("report")
    for candidate in open_rows:
        before = snapshot(candidate, ["status"])
        candidate.status = CandidateStatus.CLOSED
        candidate.save(update_fields=["status", "updated_at"])
        audit_update(actor=event.by, obj=candidate, before=before, organisation=owner(event.person),
                     person_uuid=event.person.uuid,
                     summary=f"比对候选关闭（走失报案 {candidate.report.report_no}）：{event.reason}")


def on_comparison_requested(event) -> str:
    """A tracer's "query the engine" lead (core.events.PersonComparisonRequested): compare now."""
    found = run_person_query(by=event.by, person=event.person)
    return f"已提交系统比对，得到 {len(found)} 个候选。"


@transaction.atomic
def candidate_decide(*, by, candidate: MatchCandidate, decision: str, note: str = "") -> MatchCandidate:
    """A person's review of one candidate (issue 3 item 6; guitu_match.review contract).

    - confirmed: for a report, the person is identified (tracing.identity_confirm, method system_match)
      and the report is found; for two files, the pair is confirmed and may then be merged;
    - rejected: the pair is never proposed again (MatchDecision keyed by the unordered pair);
    - deferred: stays listed, after the undecided ones.
    """
    from guitu_match.review import CONFIRMED, DECISIONS, DEFERRED, REJECTED

    candidate = MatchCandidate.objects.select_for_update().get(pk=candidate.pk)
    require_review(by, candidate)
    if decision not in DECISIONS:
        raise ValidationError({"decision": "审核结论只能是“确认”“排除”或“暂缓”。"})
    if not candidate.is_open:
        raise ValidationError(f"该候选已审核（{candidate.get_status_display()}），不能再次审核。")
    note = (note or "").strip()[:300]
    if decision == REJECTED and not note:
        raise ValidationError({"note": "排除候选时请写明理由（例如：年龄、体貌明显不符）。"})
    if candidate.kind == CandidateKind.REPORT and decision == CONFIRMED:
        if candidate.report.status != ReportStatus.OPEN:
            raise ValidationError("该报案已不在寻找中（已找到或已结案），不能再确认。")
        if candidate.person.identity_status == IdentityStatus.IDENTIFIED and candidate.person.name != candidate.report.name:
            raise ValidationError("该人员身份已查明且姓名与报案不同，请先核实，不能直接确认。")
    before = snapshot(candidate, ["status", "decided_by", "decided_at", "decision_note"])
    now = timezone.now()
    candidate.status = {CONFIRMED: CandidateStatus.CONFIRMED, REJECTED: CandidateStatus.REJECTED,
                        DEFERRED: CandidateStatus.DEFERRED}[decision]
    candidate.decided_by, candidate.decided_at, candidate.decision_note = by, now, note
    candidate.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    left_id = engine.person_key(candidate.person)
    right_id = (engine.report_key(candidate.report) if candidate.report_id
                else engine.person_key(candidate.other_person))
    left, right = engine.pair(left_id, right_id)
    MatchDecision.objects.update_or_create(left_key=left, right_key=right, defaults={
        "decision": decision, "decided_by": by, "note": note, "person": candidate.person})
    other = candidate.report.report_no if candidate.report_id else candidate.other_person.file_no
    summary = f"比对审核：{candidate.get_status_display()}（{candidate.get_kind_display()} {other}）" + (
        f"：{note}" if note else "")
    audit(actor=by, action=AuditAction.UPDATE, obj=candidate, summary=summary, organisation=owner(candidate.person),
          person_uuid=candidate.person.uuid, changes={
              k: v for k, v in {key: [before[key], val] for key, val in
                                snapshot(candidate, before.keys()).items()}.items() if v[0] != v[1]})
    if candidate.other_person_id:
        audit(actor=by, action=AuditAction.UPDATE, obj=candidate, summary=summary,
              organisation=owner(candidate.other_person), person_uuid=candidate.other_person.uuid)
    if candidate.kind == CandidateKind.REPORT and decision == CONFIRMED:
        _confirm_identity(by=by, candidate=candidate)
        report = candidate.report
        report_before = snapshot(report, ["status", "found_person", "found_station_name", "found_at"])
        station = owner(candidate.person)
        report.status, report.found_person, report.found_at = ReportStatus.FOUND, candidate.person, now
        report.found_station_name = station.name if station else ""
        report.save(update_fields=["status", "found_person", "found_station_name", "found_at", "updated_at"])
        audit_update(actor=by, obj=report, before=report_before, organisation=report.organisation,
                     summary=f"走失报案 {report.report_no} 已找到：{report.found_station_name}（系统比对，人工确认）")
        # The report is answered: its other open proposals close (the person's own closed with the
        # identification event, on_person_identified).
        for other_row in MatchCandidate.objects.select_for_update(of=("self",)).filter(
                report=report, status__in=OPEN_STATUSES).exclude(pk=candidate.pk).select_related("person"):
            before_row = snapshot(other_row, ["status"])
            other_row.status = CandidateStatus.CLOSED
            other_row.save(update_fields=["status", "updated_at"])
            audit_update(actor=by, obj=other_row, before=before_row, organisation=owner(other_row.person),
                         person_uuid=other_row.person.uuid,
                         summary=f"比对候选关闭：走失报案 {report.report_no} 已由 {report.found_station_name} 找到")
    return candidate


@transaction.atomic
def candidate_merge(*, by, candidate: MatchCandidate, keep: Person) -> Person:
    """Merge the two files of a confirmed duplicate pair into ``keep`` (people.services.person_merge)."""
    from people.services import person_merge

    candidate = MatchCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.kind != CandidateKind.DUPLICATE or candidate.status != CandidateStatus.CONFIRMED:
        raise ValidationError("只有已确认为同一人的重复档案才能合并。")
    if keep.pk not in (candidate.person_id, candidate.other_person_id):
        raise ValidationError({"keep": "请选择这两份档案之一作为保留档案。"})
    merge = candidate.other_person if keep.pk == candidate.person_id else candidate.person
    for file in (keep, merge):
        if file.pk not in visible_ids(by, [keep.pk, merge.pk]):
            raise ValidationError("另一份档案不在本机构的数据范围内，请联系其所在机构或上级民政部门合并。")
    require_write(by, owner(keep), *REVIEW_ROLES)
    return person_merge(by=by, keep=keep, merge=merge)


def visible_ids(user, pks: list[int]) -> set[int]:
    from core.scoping import scoped

    if not visible_org_ids(user):
        return set()
    return set(scoped(Person.objects.filter(pk__in=pks), user).values_list("pk", flat=True))


@transaction.atomic
def file_unmerge(*, by, person: Person) -> Person:
    """Undo a merge (people.services.person_unmerge) for a station that may write to either file."""
    from people.services import person_unmerge

    orgs = [owner(person)] + ([owner(person.merged_into)] if person.merged_into_id else [])
    allowed = False
    for org in orgs:  # permission first: a read-only viewer gets 403 whatever the file's state
        try:
            require_write(by, org, *REVIEW_ROLES)
            allowed = True
            break
        except PermissionDenied:
            continue
    if not allowed:
        raise PermissionDenied("您只有查看权限，不能撤销合并。")
    if person.merged_into_id is None:
        raise ValidationError("该档案没有被合并，无需撤销。")
    return person_unmerge(by=by, merge=person)
