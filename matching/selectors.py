"""Reads of the matching app, always through core.scoping."""

from __future__ import annotations

import datetime
import logging

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404
from django.utils import timezone

from core.scoping import get_scoped_or_404, scoped, visible_org_ids
from matching.models import (
    OPEN_STATUSES,
    CandidateKind,
    CandidateStatus,
    MatchCandidate,
    MatchRun,
    MissingReport,
    ReportPhoto,
)
from people.models import Episode, Person, PersonPhoto, PhotoKind
from people.states import IN_CARE

log = logging.getLogger(__name__)


def report_list(*, user, q: str = "", status: str = "", reported_from: datetime.date | None = None,
                reported_to: datetime.date | None = None, sex: str = "") -> QuerySet[MissingReport]:
    """Reports of the user's organisation and (for civil-affairs departments) its subtree."""
    qs = scoped(MissingReport.objects.select_related("organisation"), user)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(aliases__icontains=q) | Q(report_no__icontains=q)
                       | Q(last_seen_place__icontains=q) | Q(hukou_text__icontains=q))
    if status:
        qs = qs.filter(status=status)
    if sex:
        qs = qs.filter(sex=sex)
    if reported_from:
        qs = qs.filter(reported_at__date__gte=reported_from)
    if reported_to:
        qs = qs.filter(reported_at__date__lte=reported_to)
    return qs.order_by("-reported_at", "-id")


def report_get(*, user, uuid) -> MissingReport:
    return get_scoped_or_404(MissingReport.objects.select_related("organisation", "hukou_division", "created_by"),
                             user, uuid=uuid)


def report_photo_get(*, user, uuid) -> ReportPhoto:
    return get_scoped_or_404(ReportPhoto.objects.select_related("report"), user, uuid=uuid)


def _ordered(qs: QuerySet[MatchCandidate]) -> QuerySet[MatchCandidate]:
    """Best first: undecided before deferred, exact ID agreement first and loud, then probability."""
    return qs.annotate(_deferred=Case(When(status=CandidateStatus.DEFERRED, then=Value(1)), default=Value(0),
                                      output_field=IntegerField())
                       ).order_by("_deferred", "-id_number_match", "-probability", "-id")


def _candidate_scope_q(user) -> Q:
    """Candidates pair the station's own people: either file of a duplicate pair brings it into scope."""
    org_ids = visible_org_ids(user)
    in_scope = Person.objects.filter(Person.scope_q(org_ids)).values("id")
    return Q(person__in=in_scope) | Q(kind=CandidateKind.DUPLICATE, other_person__in=in_scope)


def scoped_candidates(user) -> QuerySet[MatchCandidate]:
    if not visible_org_ids(user):
        return MatchCandidate.objects.none()
    return MatchCandidate.objects.filter(_candidate_scope_q(user)).select_related(
        "person", "person__current_station", "report", "report__organisation", "other_person",
        "other_person__current_station", "decided_by")


def candidate_queue(*, user, kind: str = "", status: str = "") -> QuerySet[MatchCandidate]:
    """All open candidates in scope (matching:candidates), best first."""
    qs = scoped_candidates(user)
    qs = qs.filter(status=status) if status else qs.filter(status__in=OPEN_STATUSES)
    if kind:
        qs = qs.filter(kind=kind)
    return _ordered(qs)


def candidate_get(*, user, uuid) -> MatchCandidate:
    """One candidate in scope; 'does not exist' and 'not yours' look the same (404)."""
    try:
        return scoped_candidates(user).get(uuid=uuid)
    except (MatchCandidate.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("未找到该记录，或您无权查看。") from exc


def candidates_for_person(*, user, person: Person) -> list[MatchCandidate]:
    qs = scoped_candidates(user).filter(Q(person=person) | Q(other_person=person))
    return list(_ordered(qs))


def candidates_for_report(*, user, report: MissingReport) -> list[MatchCandidate]:
    """Only candidates whose person the user's scope holds (a police user sees the feedback instead)."""
    return list(_ordered(scoped_candidates(user).filter(report=report)))


def _birth(obj) -> str:
    if getattr(obj, "birth_date", None):
        return f"{obj.birth_date:%Y-%m-%d}"
    year = getattr(obj, "est_birth_year", None) or getattr(obj, "birth_year_est", None)
    if year:
        return f"{year}年"
    if obj.age_min is not None and obj.age_max is not None:
        return f"约 {obj.age_min}–{obj.age_max} 岁"
    return ""


def _fields(obj) -> dict[str, str]:
    return {
        "name": obj.name + (f"（别名：{obj.aliases}）" if obj.aliases else ""),
        "sex": obj.sex or "",
        "birth_year": _birth(obj),
        "id_number": obj.id_number_masked or "",
        "place": obj.hukou_text or (str(obj.hukou_division) if obj.hukou_division_id else ""),
        "dialect": obj.dialect or "",
        "height": f"{obj.height_cm} 厘米" if obj.height_cm else "",
        "marks": obj.marks or "",
    }


def side_by_side(candidate: MatchCandidate) -> list[dict]:
    """One row per compared field: both sides' values and the engine's verdict, for colouring
    (agree → green, disagree → red, missing → grey). Issue 14: the reviewer sees why."""
    from guitu_match.model import REASON_LABELS

    left = _fields(candidate.person)
    other = candidate.report if candidate.report_id else candidate.other_person
    right = _fields(other)
    by_comp = {r["comparison"]: r for r in (candidate.reasons or [])}
    rows = []
    for comp in ("name", "sex", "birth_year", "id_number", "place", "dialect", "height", "marks", "face_sim",
                 "name_freq"):
        r = by_comp.get(comp)
        if comp == "face_sim":
            lv = rv = ""
            if candidate.face_similarity is not None:
                lv = f"相似度 {candidate.face_similarity:.2f}"
        elif comp == "name_freq":
            if r is None:
                continue
            lv = rv = ""
        else:
            lv, rv = left.get(comp, ""), right.get(comp, "")
        weight = r["weight"] if r else 0.0
        label = r["label"] if r else "缺少信息"
        verdict = "missing" if label == "缺少信息" else "agree" if weight > 0.5 else "disagree" if weight < -0.5 else "neutral"
        rows.append({"field": REASON_LABELS.get(comp, comp), "left": lv, "right": rv, "label": label,
                     "weight": weight, "verdict": verdict})
    return rows


def competing(candidate: MatchCandidate) -> list[MatchCandidate]:
    """Other open candidates at least 可能 for the same person (another report or file) or the same report
    (another person): one person cannot be two missing people, so the reviewer is told (issue 14)."""
    from guitu_match.review import LIKELY, POSSIBLE

    qs = MatchCandidate.objects.filter(status__in=OPEN_STATUSES).exclude(pk=candidate.pk)
    if candidate.report_id:
        qs = qs.filter(Q(person=candidate.person, kind=CandidateKind.REPORT) | Q(report=candidate.report))
    else:
        qs = qs.filter(Q(person__in=[candidate.person_id, candidate.other_person_id])
                       | Q(other_person__in=[candidate.person_id, candidate.other_person_id]))
    out = [c for c in qs.select_related("report", "person", "other_person")
           if c.band.key in (LIKELY, POSSIBLE)]
    return sorted(out, key=lambda c: -c.probability)


def confirm_consequences(candidate: MatchCandidate) -> list[str]:
    """What confirming this candidate will do, spelled out before the reviewer confirms it a second time."""
    from core.crypto import decrypt_id
    from tracing.models import CheckStatus, DnaRequest, IdentityCheck, Lead, LeadStatus

    person = candidate.person
    if candidate.kind == CandidateKind.DUPLICATE:
        other = candidate.other_person
        return [f"记录档案 {person.file_no}（{person.name}）与 {other.file_no}（{other.name}）为同一人；"
                "随后可以合并两份档案（两边历史都保留，可撤销）。"]
    report = candidate.report
    out = []
    if report.name and report.name != person.name:
        out.append(f"档案姓名由“{person.name}”改为“{report.name}”，身份状态改为“已查明”。")
    else:
        out.append("身份状态改为“已查明”。")
    if decrypt_id(report.id_number_enc):
        out.append(f"档案记录报案中的身份证号（{report.id_number_masked}）。")
    if report.hukou_text or report.hukou_division_id:
        out.append(f"户籍地记为“{report.hukou_text or report.hukou_division}”。")
    out.append("查明方式记为“系统比对（人工确认）”，记录审核人和依据。")
    out.append("撤回该人员所有草稿和已发布的寻亲公告。")
    checks = IdentityCheck.objects.filter(person=person, status__in=[CheckStatus.DRAFT, CheckStatus.SENT]).count()
    dna = DnaRequest.objects.filter(episode__person=person, result="", closed_at__isnull=True).count()
    leads = Lead.objects.filter(episode__person=person, status=LeadStatus.PENDING).count()
    if checks or dna or leads:
        out.append(f"关闭未完成的公安身份核查 {checks} 件、DNA 比对 {dna} 件、寻亲线索 {leads} 条，结束寻亲员负责。")
    else:
        out.append("结束寻亲员负责（没有未完成的公安核查、DNA 比对或线索）。")
    if person.episodes.filter(status__in=list(IN_CARE)).exists():
        out.append("开启护送返乡计划（规则T9）。")
    others = MatchCandidate.objects.filter(status__in=OPEN_STATUSES).exclude(pk=candidate.pk).filter(
        Q(report=report) | Q(person=person, kind=CandidateKind.REPORT)).count()
    out.append(f"走失报案 {report.report_no} 标记为“已找到”，登记机构（{report.organisation.name}）看到找到的机构；"
               + (f"其他 {others} 条相关候选随之关闭。" if others else "没有其他相关候选。"))
    return out


def closest_for_person(*, user, person: Person, k: int = 10) -> list[dict]:
    """The k open reports closest to the person whatever their probability (below the threshold too)."""
    from matching import engine

    record = engine.person_record(person)
    found = engine.closest("reports", record, k=k)
    reports = {f"r:{r.uuid}": r for r in MissingReport.objects.filter(
        uuid__in=[c.record_id[2:] for c in found if c.record_id.startswith("r:")]).select_related("organisation")}
    return _closest_rows(found, reports)


def closest_for_report(*, user, report: MissingReport, k: int = 10) -> list[dict]:
    """The k people in care (in the user's scope) closest to the report, whatever their probability."""
    from matching import engine

    found = engine.closest("in_care", engine.report_record(report), k=k * 3)
    people = {f"p:{p.uuid}": p for p in scoped(Person.objects.filter(
        uuid__in=[c.record_id[2:] for c in found if c.record_id.startswith("p:")]), user)}
    return _closest_rows(found, people)[:k]


def _closest_rows(found, objects: dict) -> list[dict]:
    from guitu_match.review import band

    rows = []
    for c in found:
        obj = objects.get(c.record_id)
        if obj is None:
            continue
        reasons = [{"comparison": r.comparison, "label": r.label, "weight": r.weight} for r in c.reasons]
        rows.append({"object": obj, "band": band(c.probability, reasons), "explanation": c.explanation})
    return rows


def last_run(key: str) -> MatchRun | None:
    return MatchRun.objects.filter(subject_key=key).first()


def other_file(candidate: MatchCandidate, person: Person) -> Person | None:
    if candidate.kind != CandidateKind.DUPLICATE:
        return None
    return candidate.other_person if candidate.person_id == person.pk else candidate.person


def person_panel(*, person, user) -> dict | None:
    """The 比对候选 tab of the person's file: candidates best first, merge state, merged files' histories."""
    from matching.services import REVIEW_ROLES
    from people.permissions import can, owner
    from people.selectors import person_timeline

    candidates = candidates_for_person(user=user, person=person)
    visible = set(scoped(Person.objects.filter(Q(merged_into=person) | Q(pk=person.merged_into_id or 0)), user)
                  .values_list("pk", flat=True))
    merged_files = []
    for merged in Person.objects.filter(merged_into=person).order_by("file_no"):
        merged_files.append({
            "person": merged,
            "in_scope": merged.pk in visible,
            "episodes": list(merged.episodes.select_related("station").order_by("-requested_at")),
            "timeline": person_timeline(person=merged),
        })
    for c in candidates:
        c.other_file = other_file(c, person)
        c.other_in_scope = bool(c.other_file) and c.other_file.pk in set(
            scoped(Person.objects.filter(pk=c.other_file.pk), user).values_list("pk", flat=True))
    from matching.engine import person_key

    return {
        "title": "比对候选",
        "candidates": candidates,
        "open_count": sum(1 for c in candidates if c.is_open),
        "merged_files": merged_files,
        "merged_into": person.merged_into,
        "merged_into_visible": person.merged_into_id in visible if person.merged_into_id else False,
        "may_review": can(user, owner(person), *REVIEW_ROLES),
        "last_run": last_run(person_key(person)),
    }


# --- families at a station look through the people in care (rule T7) ------------------------------

def browse(*, user, sex: str = "", age_min: int | None = None, age_max: int | None = None,
           arrived_from: datetime.date | None = None, arrived_to: datetime.date | None = None,
           place: str = "", today: datetime.date | None = None) -> QuerySet[Episode]:
    """Episodes in care at the stations in the user's scope, for the staff-assisted photo grid.

    Only what a family needs to recognise someone: photo, sex, estimated age, arrival date and
    where they were found. Never ID numbers.
    """
    today = today or timezone.localdate()
    qs = scoped(Episode.objects.filter(status__in=list(IN_CARE), person__merged_into__isnull=True), user)
    if sex:
        qs = qs.filter(person__sex=sex)
    if age_min is not None:
        qs = qs.filter(person__birth_year_est__lte=today.year - age_min)
    if age_max is not None:
        qs = qs.filter(person__birth_year_est__gte=today.year - age_max)
    if arrived_from:
        qs = qs.filter(admitted_at__date__gte=arrived_from)
    if arrived_to:
        qs = qs.filter(admitted_at__date__lte=arrived_to)
    place = (place or "").strip()
    if place:
        from intake.models import PoliceHandover

        found_there = PoliceHandover.objects.filter(episode=OuterRef("pk"), found_place__icontains=place)
        qs = qs.filter(Exists(found_there) | Q(person__hukou_text__icontains=place))
    photo = (PersonPhoto.objects.filter(person=OuterRef("person_id"), kind=PhotoKind.PORTRAIT)
             .order_by("-taken_on", "-created_at").values("uuid")[:1])
    from intake.models import PoliceHandover

    found_place = PoliceHandover.objects.filter(episode=OuterRef("pk")).order_by("-id").values("found_place")[:1]
    return (qs.select_related("person", "station").annotate(photo_uuid=Subquery(photo),
                                                            found_place=Subquery(found_place))
            .order_by("-admitted_at", "-id"))
