"""Every read of the settlement app, always through core.scoping (rules S1–S4)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from core.models import Organisation, OrgKind
from core.scoping import get_scoped_or_404, scoped
from people.models import Episode, IdentityStatus
from people.states import IN_CARE
from settlement import access
from settlement.models import ENDED, SettlementCase, SettlementStatus, SettlementStep
from settlement.services import (
    LONG_TERM_INSTITUTION_KINDS,
    SETTLEMENT_INSTITUTION_KINDS,
    case_area,
    s1_threshold,
)

S = SettlementStatus
#: The list page's status filter: every state, plus "open" (not ended) and "ended".
STATUS_FILTERS = [("open", "进行中"), *SettlementStatus.choices, ("ended", "已结束")]

_RELATED = ("person", "episode", "station", "department", "institution", "police", "applied_by")


def case_list(*, user, status: str = "open", station: str = "", q: str = "", date_from: datetime.date | None = None,
              date_to: datetime.date | None = None, awaiting: str = "") -> QuerySet[SettlementCase]:
    """Cases in the user's scope (station, department subtree, institution, police), newest first.
    ``awaiting``: "police" — cases waiting for this police organisation (registration or cancellation)."""
    qs = scoped(SettlementCase.objects.select_related(*_RELATED), user)
    if status == "open":
        qs = qs.exclude(status__in=ENDED)
    elif status == "ended":
        qs = qs.filter(status__in=ENDED)
    elif status in SettlementStatus.values:
        qs = qs.filter(status=status)
    if station:
        qs = qs.filter(station__uuid=station)
    if q:
        qs = qs.filter(Q(person__name__icontains=q) | Q(number__icontains=q) | Q(person__file_no__icontains=q))
    if date_from:
        qs = qs.filter(applied_on__gte=date_from)
    if date_to:
        qs = qs.filter(applied_on__lte=date_to)
    if awaiting == "police":
        qs = qs.filter(Q(status__in=[S.PLACED, S.LONG_TERM]) |
                       Q(status=S.IDENTIFIED, cancellation_requested_at__isnull=False, cancelled_on__isnull=True))
    return qs.order_by("-applied_on", "-id")


def case_get(*, user, uuid) -> SettlementCase:
    return get_scoped_or_404(SettlementCase.objects.select_related(*_RELATED, "departure"), user, uuid=uuid)


def case_steps(case: SettlementCase) -> QuerySet[SettlementStep]:
    """The case's steps in order (the caller fetched ``case`` through the scope)."""
    return case.steps.select_related("by", "organisation").order_by("on", "id")


def step_get(*, user, uuid) -> SettlementStep:
    return get_scoped_or_404(SettlementStep.objects.select_related("case__person", "case__station"), user, uuid=uuid)


def episode_get(*, user, uuid) -> Episode:
    return get_scoped_or_404(Episode.objects.select_related("person", "station__supervisor"), user, uuid=uuid)


def case_stations(user) -> QuerySet[Organisation]:
    """Stations whose cases the user can see (the list page's filter)."""
    ids = scoped(SettlementCase.objects.all(), user).values("station_id")
    return Organisation.objects.filter(id__in=ids).order_by("name")


def institutions(case: SettlementCase, kind: str = "") -> QuerySet[Organisation]:
    """Institutions of the case's area a person can be placed in (rule S1), for long-term placement also
    psychiatric hospitals (S3)."""
    kinds = LONG_TERM_INSTITUTION_KINDS if kind == "long_term" else SETTLEMENT_INSTITUTION_KINDS
    return Organisation.objects.filter(is_active=True, kind__in=kinds,
                                       division__code__startswith=case_area(case)).order_by("kind", "name")


def police_organisations(case: SettlementCase) -> QuerySet[Organisation]:
    return Organisation.objects.filter(is_active=True, kind=OrgKind.POLICE,
                                       division__code__startswith=case_area(case)).order_by("name")


def open_case_for(person) -> SettlementCase | None:
    return SettlementCase.objects.filter(person=person).exclude(status__in=ENDED).first()


def s1_status(episode: Episode, now: datetime.datetime | None = None) -> dict:
    """Rule S1 for this episode, read from the S1 deadline rule itself (settlement/deadlines.py) — the inbox and
    the panel share one definition: ``state`` met / late / open / overdue / not_applicable, with the due time."""
    from deadlines.registry import evaluate

    now = now or timezone.now()
    threshold = s1_threshold(episode)
    outcomes = evaluate("S1", as_of=now, subject_pks=[episode.pk]) if episode.admitted_at else []
    if not outcomes:
        return {"state": "not_applicable", "label": "尚未入站", "due": threshold}
    outcome = outcomes[0]
    labels = {"met": "已按时申请落户安置", "late": "已申请（超过3个月后）", "open": "身份不明，满3个月时须申请落户安置",
              "overdue": "身份不明已满3个月，尚未申请落户安置", "not_applicable": "不适用（身份已查明或已离站）"}
    return {"state": outcome.status, "label": labels.get(outcome.status, outcome.status_label), "due": outcome.due.at,
            "done_at": outcome.done_at}


def episode_panel(*, episode: Episode, user) -> dict | None:
    """The settlement panel of the episode page (template settlement/episode_panel.html): the case opened from
    this episode, or — for a person still unidentified in care — rule S1's clock and the 申请 link."""
    cases = list(scoped(SettlementCase.objects.filter(episode=episode), user).order_by("-id"))
    unidentified = episode.person.identity_status != IdentityStatus.IDENTIFIED
    if not cases and not (episode.status in IN_CARE and unidentified and episode.admitted_at):
        return None
    open_case = next((c for c in cases if c.is_open), None)
    return {
        "episode": episode,
        "cases": cases,
        "open_case": open_case,
        "s1": s1_status(episode) if episode.admitted_at else None,
        "can_apply": open_case is None and unidentified and episode.status in IN_CARE
        and access.may_station_act(user, episode.station),
    }


def campaign_figures(org_ids, start: datetime.date, end: datetime.date, as_of: datetime.date
                     ) -> dict[str, dict[int, int]]:
    """The settlement columns of the campaign table, for stations in ``org_ids``: column key → {station_id: count}.

    - ``settlement_applications``: applications made in [start, end];
    - ``settlement_plans``: plans submitted to the government in [start, end];
    - ``settlement_approvals``: approvals in [start, end];
    - ``long_term_no_hukou``: people in long-term placement without 户口 on ``as_of`` (rule S3): placed long-term
      on or before it, not registered and not identified by then.

    The caller has already narrowed ``org_ids`` to the user's scope."""
    cases = SettlementCase.objects.filter(station_id__in=list(org_ids))

    def per_station(qs) -> dict[int, int]:
        return dict(qs.values_list("station_id").annotate(n=Count("id")).values_list("station_id", "n"))

    identified_by = timezone.make_aware(datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time()))
    return {
        "settlement_applications": per_station(cases.filter(applied_on__range=(start, end))),
        "settlement_plans": per_station(cases.filter(plan_on__range=(start, end))),
        "settlement_approvals": per_station(cases.filter(approved_on__range=(start, end))),
        "long_term_no_hukou": per_station(
            cases.filter(long_term_on__lte=as_of)
            .exclude(hukou_registered_on__lte=as_of)
            .exclude(identified_at__lt=identified_by)),
    }
