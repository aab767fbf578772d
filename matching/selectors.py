"""Reads of the matching app, always through core.scoping."""

from __future__ import annotations

import datetime

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
