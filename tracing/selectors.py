"""Reads of the tracing app, always through the user's scope; rule status (T1, T2, T4, T5, T6) and the
attempt log (T8) are computed from the records, never from hand-ticked flags."""

import datetime
import importlib

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core.models import STATION_KINDS, Organisation, OrgKind, Role, User
from core.scoping import (
    can_write,
    can_write_case,
    get_scoped_or_404,
    scoped,
    subtree_org_ids,
    visible_org_ids,
)
from people.models import Episode, IdentityStatus, Person, PhotoKind
from people.selectors import person_get as people_person_get
from people.states import IN_CARE, EpisodeStatus
from tracing import deadline_math as dm
from tracing.models import (
    CheckAttachment,
    CheckStatus,
    DnaRequest,
    Escalation,
    Identification,
    IdentityCheck,
    Lead,
    LeadStatus,
    PlanStatus,
    ReturnPlan,
    Talk,
    TracerAssignment,
)

#: Who writes what (head and admin of the station are always allowed by core.scoping.can_write).
TRACING_ROLES = (Role.TRACER,)
CHECK_ROLES = (Role.TRACER, Role.RECEPTION)
IDENTIFY_ROLES = (Role.TRACER, Role.RECEPTION)
PLAN_ROLES = (Role.TRACER, Role.RECEPTION, Role.CARER)


def rule(name: str, default: int) -> int:
    """A local threshold from settings.GUITU_RULES (rules.md: local items are settings), or the binding default."""
    return int(getattr(settings, "GUITU_RULES", {}).get(name, default))


def t1_hours() -> int:
    return rule("T1_POLICE_REFERRAL_HOURS", 24)


def t2_hours() -> int:
    return rule("T2_POLICE_ANSWER_HOURS", 48)


def t5_working_days() -> int:
    return rule("T5_DNA_WORKING_DAYS", 7)


def t6_months() -> int:
    return rule("T6_DNA_RESULT_MONTHS", 1)


def is_police_user(user) -> bool:
    org = getattr(user, "organisation", None)
    return bool(org is not None and org.kind == OrgKind.POLICE)


def _status(state: str, deadline, done_at, **extra) -> dict:
    return {"state": state, "label": dm.STATUS_LABELS[state], "deadline": deadline, "done_at": done_at, **extra}


# --- single objects and lists -------------------------------------------------------------------------


def person_get(*, user, uuid) -> Person:
    return people_person_get(user=user, uuid=uuid)


def check_get(*, user, uuid) -> IdentityCheck:
    return get_scoped_or_404(IdentityCheck.objects.select_related(
        "person", "episode", "station", "police", "photo", "sent_by", "answered_by", "answered_hukou_division"),
        user, uuid=uuid)


def attachment_get(*, user, uuid) -> CheckAttachment:
    return get_scoped_or_404(CheckAttachment.objects.select_related("check_request__station", "check_request__person"),
                             user, uuid=uuid)


def talk_get(*, user, uuid) -> Talk:
    return get_scoped_or_404(Talk.objects.select_related("episode__person", "episode__station", "by"), user, uuid=uuid)


def lead_get(*, user, uuid) -> Lead:
    return get_scoped_or_404(Lead.objects.select_related("episode__person", "episode__station", "organisation",
                                                         "identity_check", "talk"), user, uuid=uuid)


def dna_get(*, user, uuid) -> DnaRequest:
    return get_scoped_or_404(DnaRequest.objects.select_related("episode__person", "episode__station", "police"),
                             user, uuid=uuid)


def plan_get(*, user, uuid) -> ReturnPlan:
    return get_scoped_or_404(ReturnPlan.objects.select_related("person", "episode", "station", "identification",
                                                               "home_organisation"), user, uuid=uuid)


def escalation_get(*, user, uuid) -> Escalation:
    return get_scoped_or_404(Escalation.objects.select_related("plan__person", "plan__station", "to_organisation"),
                             user, uuid=uuid)


def police_inbox(*, user, status: str = "", overdue: bool = False) -> QuerySet[IdentityCheck]:
    """Requests addressed to the user's police organisation (never drafts), open ones first; ``overdue``:
    only those past the T2 answer time, exactly as the deadline inbox counts them."""
    if not is_police_user(user):
        return IdentityCheck.objects.none()
    qs = scoped(IdentityCheck.objects.filter(police_id=user.organisation_id), user).exclude(status=CheckStatus.DRAFT)
    if status:
        qs = qs.filter(status=status)
    if overdue:
        from deadlines.selectors import overdue_subjects

        # rule T2: the same definition as the inbox and the home page (administrators' stricter hours included)
        qs = qs.filter(pk__in=overdue_subjects(rule_id="T2", org_ids=[user.organisation_id]).values("pk"))
    return qs.select_related("station", "police").order_by("answered_at", "-sent_at", "-id")


def check_list(*, user, status: str = "") -> QuerySet[IdentityCheck]:
    """Identity checks in the user's scope (the station's requests, or a police organisation's inbox)."""
    if is_police_user(user):
        return police_inbox(user=user, status=status)
    qs = scoped(IdentityCheck.objects.all(), user).select_related("person", "station", "police")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def police_organisations() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrgKind.POLICE, is_active=True).order_by("name")


def home_stations() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind__in=list(STATION_KINDS), is_active=True).order_by("name")


def tracers_of(station: Organisation) -> QuerySet[User]:
    return User.objects.filter(organisation=station, is_active=True, user_roles__role=Role.TRACER).order_by(
        "full_name", "username")


def sendable_photos(person: Person):
    return person.photos.filter(kind__in=[PhotoKind.PORTRAIT, PhotoKind.FULL_BODY, PhotoKind.FEATURE,
                                          PhotoKind.FINGERPRINT]).order_by("-taken_on", "-created_at")


def open_episode(person: Person) -> Episode | None:
    return (Episode.objects.filter(person=person, status__in=list(IN_CARE)).select_related("station")
            .order_by("-requested_at").first())


def current_tracer(episode: Episode) -> TracerAssignment | None:
    return episode.tracer_assignments.filter(ended_at__isnull=True).select_related("tracer").first()


def identification_for(person: Person) -> Identification | None:
    return Identification.objects.filter(person=person).select_related("confirmed_by", "station").first()


# --- rule status ---------------------------------------------------------------------------------------


def tracing_until(episode: Episode, now: datetime.datetime) -> datetime.datetime:
    """When tracing for this episode stops: now, leaving, or the identity confirmation, whichever is first."""
    ends = [now]
    if episode.left_at:
        ends.append(episode.left_at)
    ident = Identification.objects.filter(person_id=episode.person_id).values_list("confirmed_at", flat=True).first()
    if ident:
        ends.append(ident)
    return min(ends)


def _identified_before(episode: Episode, deadline) -> bool:
    ident = Identification.objects.filter(person_id=episode.person_id).values_list("confirmed_at", flat=True).first()
    if ident is not None:
        return ident <= deadline
    return episode.person.identity_status == IdentityStatus.IDENTIFIED


def t1_status(episode: Episode, now: datetime.datetime | None = None) -> dict:
    """Rule T1: referred to the police within 24 hours of entry (the first check sent)."""
    now = now or timezone.now()
    if not episode.admitted_at:
        return _status(dm.NOT_APPLICABLE, None, None)
    deadline = episode.admitted_at + datetime.timedelta(hours=t1_hours())
    first = (episode.identity_checks.filter(sent_at__isnull=False).order_by("sent_at")
             .values_list("sent_at", flat=True).first())
    if first is None and _identified_before(episode, deadline):
        return _status(dm.NOT_APPLICABLE, deadline, None, note="身份已查明")
    return _status(dm.status_by(deadline, first, now), deadline, first)


def t2_status(check: IdentityCheck, now: datetime.datetime | None = None) -> dict:
    """Rule T2: the police answer within 48 hours of receiving the request."""
    now = now or timezone.now()
    if not check.sent_at:
        return _status(dm.NOT_APPLICABLE, None, None)
    deadline = check.sent_at + datetime.timedelta(hours=t2_hours())
    if check.status == CheckStatus.CLOSED and not check.answered_at:
        return _status(dm.NOT_APPLICABLE, deadline, None, note="已关闭")
    return _status(dm.status_by(deadline, check.answered_at, now), deadline, check.answered_at)


def t4_windows(episode: Episode, now: datetime.datetime | None = None) -> list[dm.TalkWindow]:
    """Rule T4: per local day after entry, the talks required (3 on days within the first 72 hours, then 1)
    and held — the same definition as the T4 deadline in the inbox."""
    now = now or timezone.now()
    if not episode.admitted_at:
        return []
    times = list(episode.talks.values_list("held_at", flat=True))
    return dm.talk_windows(timezone.localtime(episode.admitted_at), times, tracing_until(episode, now),
                           first_hours=rule("T4_FIRST_HOURS", 72), first_per_day=rule("T4_FIRST_PER_DAY", 3),
                           later_per_day=rule("T4_LATER_PER_DAY", 1))


def t4_status(episode: Episode, now: datetime.datetime | None = None) -> dict:
    windows = t4_windows(episode, now)
    missed = sum(1 for w in windows if w.status == dm.OVERDUE)
    current = windows[-1] if windows else None
    if not windows:
        state = dm.NOT_APPLICABLE
    elif missed:
        state = dm.OVERDUE
    elif current.status == dm.DUE:
        state = dm.DUE
    else:
        state = dm.MET
    label = {dm.OVERDUE: f"{missed} 天未达标", dm.DUE: "今日进行中", dm.MET: "均达标",
             dm.NOT_APPLICABLE: "不适用"}[state]
    return {"state": state, "label": label, "missed": missed, "current": current, "windows": windows}


def t5_deadline(episode: Episode) -> datetime.datetime | None:
    if not episode.admitted_at:
        return None
    entry_day = timezone.localdate(episode.admitted_at)
    return dm.end_of_day(dm.add_working_days(entry_day, t5_working_days()), timezone.get_current_timezone())


def t5_status(episode: Episode, now: datetime.datetime | None = None) -> dict:
    """Rule T5: the police asked to take a DNA sample within 7 working days of entry."""
    now = now or timezone.now()
    deadline = t5_deadline(episode)
    if deadline is None:
        return _status(dm.NOT_APPLICABLE, None, None)
    first = episode.dna_requests.order_by("requested_at").values_list("requested_at", flat=True).first()
    if first is None and _identified_before(episode, deadline):
        return _status(dm.NOT_APPLICABLE, deadline, None, note="身份已查明")
    return _status(dm.status_by(deadline, first, now), deadline, first)


def t6_status(dna: DnaRequest, now: datetime.datetime | None = None) -> dict:
    """Rule T6: the DNA result within 1 month of the sample (dates)."""
    now = now or timezone.now()
    if not dna.sample_taken_on:
        return _status(dm.NOT_APPLICABLE, None, None, note="未采样")
    due_day = dm.add_months(dna.sample_taken_on, t6_months())
    tz = timezone.get_current_timezone()
    deadline = dm.end_of_day(due_day, tz)
    done = dm.end_of_day(dna.result_on, tz) - datetime.timedelta(hours=1) if dna.result_on else None
    if done is None and dna.closed_at:
        return _status(dm.NOT_APPLICABLE, deadline, None, note="已关闭", due_day=due_day)
    return _status(dm.status_by(deadline, done, now), deadline, dna.result_on, due_day=due_day)


# --- optional hooks into the announcements and matching apps -----------------------------------------


def _hook(app: str, name: str):
    try:
        module = importlib.import_module(f"{app}.selectors")
    except ImportError:
        return None
    return getattr(module, name, None)


def t3_status(person: Person, now=None) -> dict | None:
    func = _hook("announcements", "t3_status")
    return func(person, now) if func else None


def channel_labels() -> dict[str, str]:
    try:
        from announcements.models import Channel
    except ImportError:
        return {}
    return dict(Channel.choices)


def channels_live_for(person: Person, at: datetime.datetime) -> dict[str, bool] | None:
    func = _hook("announcements", "channels_live_for")
    return func(person, at) if func else None


def open_clue_count(user) -> int | None:
    func = _hook("announcements", "open_clue_count")
    return func(user) if func else None


# --- T8: the attempt log ----------------------------------------------------------------------------

#: Audit entries of other apps that are tracing attempts: (object_type prefix, tool label).
ATTEMPT_AUDIT_TOOLS = (
    ("announcements.Announcement", "寻亲公告"),
    ("announcements.Publication", "寻亲公告"),
    ("announcements.Clue", "公告线索"),
    ("matching.", "走失报案/系统比对"),
)


def _records(*, person: Person, user) -> dict:
    """The person's tracing records in the user's scope, newest first — read once for the panel and its attempt
    log (rule T8), which show the same rows."""
    ident = identification_for(person)
    return {
        "checks": list(scoped(IdentityCheck.objects.filter(person=person), user).select_related("police")
                       .order_by("-created_at")),
        "dnas": list(scoped(DnaRequest.objects.filter(episode__person=person), user).select_related("police")),
        "talks": list(scoped(Talk.objects.filter(episode__person=person), user).select_related("by")
                      .order_by("-held_at")),
        "leads": list(scoped(Lead.objects.filter(episode__person=person), user).select_related("organisation")
                      .order_by("-created_at")),
        "identification": ident if ident and ident.station_id in visible_org_ids(user) else None,
    }


def attempts(*, person: Person, user, records: dict | None = None) -> list[dict]:
    """Rule T8: every tracing tool used and its outcome, in time order, from the records and the audit log
    (``records``: :func:`_records` when the caller has read them already)."""
    records = records if records is not None else _records(person=person, user=user)
    items: list[dict] = []
    for c in records["checks"]:
        if c.sent_at is None:
            continue
        outcome = c.get_result_display() if c.result else ("已关闭：" + c.closed_reason if c.closed_at else "待答复")
        items.append({"at": c.sent_at, "tool": "公安身份核查", "what": f"{c.number} → {c.police.name}",
                      "outcome": outcome + (f"；{c.answer_text[:60]}" if c.answer_text else "")})
    for d in records["dnas"]:
        if d.result:
            outcome = f"{d.get_result_display()}（{d.result_on:%Y-%m-%d}）" + (f"；{d.reference}" if d.reference else "")
        elif d.closed_at:
            outcome = "已关闭：" + d.closed_reason
        else:
            outcome = f"已采样（{d.sample_taken_on:%Y-%m-%d}），待结果" if d.sample_taken_on else "待采样"
        items.append({"at": d.requested_at, "tool": "DNA 比对", "what": d.police.name, "outcome": outcome})
    for t in records["talks"]:
        found = "、".join(s["text"] for s in t.suggestions[:6]) or "未提取到地名、人名或口音"
        items.append({"at": t.held_at, "tool": "甄别谈话", "what": f"{t.by} 谈话", "outcome": f"提取：{found}"})
        dialects = [s for s in t.suggestions if s.get("kind") == "dialect"]
        if dialects:
            items.append({"at": t.held_at, "tool": "方言分析", "what": "谈话中的口音/方言词",
                          "outcome": "；".join(f"{s['text']}→{s['label']}" for s in dialects)})
    for lead in records["leads"]:
        items.append({"at": lead.created_at, "tool": lead.get_kind_display(),
                      "what": lead.text + (f" → {lead.organisation.name}" if lead.organisation else ""),
                      "outcome": lead.outcome or lead.get_status_display()})
    audit_q = Q()
    for prefix, _ in ATTEMPT_AUDIT_TOOLS:
        audit_q |= Q(object_type__startswith=prefix)
    from people.selectors import audit_about

    entries = audit_about(person).filter(audit_q).exclude(action__in=["view", "reveal", "export"])
    for e in scoped(entries, user):
        tool = next(label for prefix, label in ATTEMPT_AUDIT_TOOLS if e.object_type.startswith(prefix))
        items.append({"at": e.at, "tool": tool, "what": e.actor_name, "outcome": e.summary})
    ident = records["identification"]
    if ident:
        items.append({"at": ident.confirmed_at, "tool": "身份确认", "what": ident.get_method_display(),
                      "outcome": f"{ident.name}（{ident.confirmed_by}确认）"})
    items.sort(key=lambda i: i["at"])
    return items


# --- the person's tracing panel and the home page ----------------------------------------------------


def may_trace(user, episode: Episode | None) -> bool:
    return episode is not None and can_write_case(user, episode, *TRACING_ROLES)


def person_panel(*, person: Person, user) -> dict | None:
    """The "寻亲" tab of the person's file: checks, talks with the per-day table, DNA, leads, the attempt
    log, the identification and the return plan. ``person`` was fetched through the scope."""
    now = timezone.now()
    episode = open_episode(person)
    if episode is not None and episode.station_id not in visible_org_ids(user):
        episode = None
    latest = episode or scoped(Episode.objects.filter(person=person, admitted_at__isnull=False), user).select_related(
        "station").order_by("-admitted_at").first()
    records = _records(person=person, user=user)
    checks, dnas = records["checks"], records["dnas"]
    for c in checks:
        c.t2 = t2_status(c, now)
    for d in dnas:
        d.t6 = t6_status(d, now)
    plan = scoped(ReturnPlan.objects.filter(person=person), user).select_related("home_organisation").first()
    station = latest.station if latest else None
    return {
        "title": "寻亲",
        "episode": episode,
        "latest": latest,
        "tracer": current_tracer(latest) if latest else None,
        "t1": t1_status(latest, now) if latest else None,
        "t4": t4_status(latest, now) if latest else None,
        "t5": t5_status(latest, now) if latest else None,
        "checks": checks,
        "talks": records["talks"],
        "dnas": dnas,
        "leads": records["leads"],
        "attempts": attempts(person=person, user=user, records=records),
        "identification": records["identification"],
        "plan": plan,
        "escalations": list(plan.escalations.select_related("to_organisation")) if plan else [],
        "unidentified": person.identity_status != IdentityStatus.IDENTIFIED,
        "may_trace": may_trace(user, episode),
        "may_check": episode is not None and can_write_case(user, episode, *CHECK_ROLES),
        "may_identify": (episode is not None and person.identity_status != IdentityStatus.IDENTIFIED
                         and can_write_case(user, episode, *IDENTIFY_ROLES)),
        "may_plan": plan is not None and can_write(user, plan.station, *PLAN_ROLES),
        "station": station,
    }


def home_rows(*, user, now: datetime.datetime | None = None, limit: int = 200) -> list[dict]:
    """Unidentified people in care in the user's scope, with tracer, days since entry and rule status."""
    now = now or timezone.now()
    episodes = (scoped(Episode.objects.filter(status__in=list(IN_CARE), admitted_at__isnull=False), user)
                .exclude(person__identity_status=IdentityStatus.IDENTIFIED)
                .select_related("person", "station").order_by("admitted_at")[:limit])
    episodes = list(episodes)
    ids = [e.pk for e in episodes]
    tracers = {a.episode_id: a.tracer for a in TracerAssignment.objects.filter(
        episode_id__in=ids, ended_at__isnull=True).select_related("tracer")}
    leads = dict(Lead.objects.filter(episode_id__in=ids, status=LeadStatus.PENDING).values("episode_id")
                 .annotate(n=Count("id")).values_list("episode_id", "n"))
    rows = []
    for e in episodes:
        rows.append({
            "episode": e, "person": e.person, "tracer": tracers.get(e.pk), "days": e.stranded_days(now),
            "t1": t1_status(e, now), "t3": t3_status(e.person, now), "t4": t4_status(e, now),
            "t5": t5_status(e, now), "open_leads": leads.get(e.pk, 0),
        })
    return rows


# --- T10: the monthly report ---------------------------------------------------------------------------


def report_stations(user) -> QuerySet[Organisation]:
    """Stations whose monthly report the user may read: those in scope (own station, a department's
    subtree) and, for the supervision panel (监督员), the stations under its supervising department."""
    ids = set(visible_org_ids(user))
    org = getattr(user, "organisation", None)
    if org is not None and org.kind == OrgKind.SUPERVISION and org.supervisor_id and user.has_role(Role.PANEL):
        ids |= subtree_org_ids([org.supervisor_id])
    return Organisation.objects.filter(id__in=ids, kind__in=list(STATION_KINDS)).order_by("division__code", "name")


def report_station_get(*, user, uuid) -> Organisation:
    """A station whose report the user may read, or 404."""
    try:
        return report_stations(user).get(uuid=uuid)
    except (Organisation.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("未找到该机构，或您无权查看。") from exc


def issued_report(*, station: Organisation, year: int, month: int):
    """The report issued for that month (rule T10), or None."""
    from tracing.models import MonthlyReport

    return MonthlyReport.objects.filter(station=station, year=year, month=month).select_related("issued_by").first()


def issued_reports(*, station: Organisation):
    from tracing.models import MonthlyReport

    return MonthlyReport.objects.filter(station=station).select_related("issued_by").order_by("-period_start")


def issued_report_get(*, user, uuid):
    """An issued report of a station whose reports the user may read, or 404."""
    from tracing.models import MonthlyReport

    try:
        return MonthlyReport.objects.select_related("station").get(uuid=uuid, station__in=report_stations(user))
    except (MonthlyReport.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("未找到该月报，或您无权查看。") from exc


def may_issue_report(user, station: Organisation) -> bool:
    from tracing.services import REPORT_ROLES

    return bool(user.is_superuser or (user.organisation_id == station.pk and user.has_role(*REPORT_ROLES)))


def parse_month(value: str | None, today: datetime.date | None = None) -> tuple[int, int]:
    """"2026-03" → (2026, 3); empty or invalid → the previous month (the report is made after month end)."""
    today = today or timezone.localdate()
    try:
        year, month = (int(p) for p in (value or "").split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    prev = dm.add_months(today.replace(day=1), -1)
    return prev.year, prev.month


def _identified_at(person: Person, idents: dict[int, datetime.datetime], at: datetime.datetime) -> bool:
    confirmed = idents.get(person.pk)
    if confirmed is not None:
        return confirmed < at
    return person.identity_status == IdentityStatus.IDENTIFIED


def _check_state(checks: list[IdentityCheck], end: datetime.datetime) -> str:
    sent = [c for c in checks if c.sent_at and c.sent_at < end]
    if not sent:
        return "未发送"
    last = max(sent, key=lambda c: c.sent_at)
    if last.answered_at and last.answered_at < end:
        return f"已答复：{last.get_result_display()}"
    if last.closed_at and last.closed_at < end:
        return "已关闭"
    overdue = end > last.sent_at + datetime.timedelta(hours=t2_hours())
    return "待答复（已超48小时）" if overdue else "待答复"


def _dna_state(dnas: list[DnaRequest], last_day: datetime.date, end: datetime.datetime) -> str:
    asked = [d for d in dnas if d.requested_at < end]
    if not asked:
        return "未申请"
    last = max(asked, key=lambda d: d.requested_at)
    if last.result and last.result_on and last.result_on <= last_day:
        return f"{last.get_result_display()}（{last.result_on:%Y-%m-%d}）"
    if last.sample_taken_on and last.sample_taken_on <= last_day:
        due = dm.add_months(last.sample_taken_on, t6_months())
        return f"已采样待结果（应于 {due:%Y-%m-%d} 前）" + ("，已超期" if due < last_day else "")
    return "已申请待采样"


def monthly_report(*, station: Organisation, year: int, month: int) -> dict:
    """Rule T10: the station's month as of its last instant — people stranded (in care at month end)
    and, for each unidentified person, announcement channels live, talks held, police and DNA status.

    Computed only from dated records, so recomputing it later gives the same answer.
    """
    tz = timezone.get_current_timezone()
    start, end = dm.month_bounds(year, month, tz)
    last_instant = end - datetime.timedelta(microseconds=1)
    last_day = (end - datetime.timedelta(days=1)).date()
    episodes = list(
        Episode.objects.filter(station=station, admitted_at__lt=end)
        .filter(Q(left_at__isnull=True) | Q(left_at__gte=end))
        .exclude(status=EpisodeStatus.REFUSED)
        .select_related("person").order_by("admitted_at", "id"))
    person_ids = [e.person_id for e in episodes]
    ident_rows = Identification.objects.filter(person_id__in=person_ids).values_list(
        "person_id", "confirmed_at", "previous_name")
    idents = {pid: at for pid, at, _ in ident_rows}
    # The name as it stood at month end: a later identification does not rename the past.
    names_then = {pid: prev for pid, at, prev in ident_rows if at >= end and prev}
    labels = channel_labels()
    rows = []
    for e in episodes:
        if _identified_at(e.person, idents, end):
            continue
        talks = [t for t in e.talks.values_list("held_at", flat=True)]
        month_talks = sum(1 for t in talks if start <= t < end)
        windows = dm.talk_windows(timezone.localtime(e.admitted_at), talks, min(end, tracing_until(e, end)),
                                  first_hours=rule("T4_FIRST_HOURS", 72), first_per_day=rule("T4_FIRST_PER_DAY", 3),
                                  later_per_day=rule("T4_LATER_PER_DAY", 1))
        month_windows = [w for w in windows if w.end > start and w.start < end]
        missed = sum(1 for w in month_windows if w.status == dm.OVERDUE)
        live = channels_live_for(e.person, last_instant)
        tracer = (TracerAssignment.objects.filter(episode=e, started_at__lt=end)
                  .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=end)).select_related("tracer").first())
        rows.append({
            "person": e.person, "episode": e, "name": names_then.get(e.person_id, e.person.name), "file_no": e.person.file_no,
            "sex": e.person.get_sex_display(),
            "entry": e.admitted_at, "days": max(0, (end - e.admitted_at).days),
            "tracer": str(tracer.tracer) if tracer else "",
            "channels": [{"channel": k, "label": labels.get(k, k), "live": v} for k, v in (live or {}).items()],
            "any_live": bool(live and any(live.values())),
            "talks": month_talks, "talk_days_missed": missed, "talk_days": len(month_windows),
            "police": _check_state(list(e.identity_checks.all()), end),
            "dna": _dna_state(list(e.dna_requests.all()), last_day, end),
        })
    identified = (Identification.objects.filter(station=station, confirmed_at__gte=start, confirmed_at__lt=end)
                  .values("method").annotate(n=Count("id")).order_by("method"))
    from tracing.models import IdentificationMethod

    method_labels = dict(IdentificationMethod.choices)
    return {
        "station": station, "year": year, "month": month, "month_label": f"{year}年{month}月",
        "start": start, "end": end, "as_of": last_instant,
        "stranded": len(episodes),
        "over_10_days": sum(1 for e in episodes if (end - e.admitted_at).days > rule("N5_MAX_STAY_DAYS", 10)),
        "unidentified": len(rows),
        "without_live_announcement": sum(1 for r in rows if not r["any_live"]),
        "rows": rows,
        "channel_labels": labels,
        "identified": [{"method": r["method"], "label": method_labels.get(r["method"], r["method"]), "count": r["n"]}
                       for r in identified],
        "plans_open": ReturnPlan.objects.filter(station=station, created_at__lt=end).exclude(
            status=PlanStatus.DONE, done_at__lt=end).count(),
    }
