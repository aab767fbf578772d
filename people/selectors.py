"""Reads of people and episodes, always through the user's scope."""

import datetime
import importlib
import re

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone

from core.crypto import hash_id, mask_id
from core.models import AuditAction, AuditEntry, Organisation, Role
from core.scoping import get_scoped_or_404, scoped, visible_org_ids
from core.throttle import wait_label
from people.models import Episode, EpisodeTransition, FamilyContact, IdentityStatus, Person, PersonPhoto
from people.services import mask_name, name_pinyin
from people.states import IN_CARE, STATUS_LABELS, EpisodeStatus


def _link(name: str, **params) -> str:
    from django.urls import reverse
    from django.utils.http import urlencode

    url = reverse(name)
    return f"{url}?{urlencode(params)}" if params else url


def dashboard_counts(*, user, now: datetime.datetime | None = None) -> dict:
    """The station's work for the home page (issue 15), every number with the list it counts and the filter
    that list applies, so the number and the list agree: requests awaiting a decision (intake list), people
    in care by state, not identified, over the N5 stay limit (the 在站人员 board), flagged repeat requests
    awaiting the I6 screening decision (intake list, 仅重点甄别); per station when the scope has several."""
    from django.conf import settings

    now = now or timezone.now()
    limit = int(settings.GUITU_RULES["N5_MAX_STAY_DAYS"])
    episodes = scoped(Episode.objects.all(), user)
    open_states = [EpisodeStatus.REQUESTED, *sorted(IN_CARE, key=list(STATUS_LABELS).index)]
    by_status = dict(
        episodes.filter(status__in=open_states).values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    in_care = episodes.filter(status__in=list(IN_CARE))
    # the 在站人员 board's "over" filter (stay.selectors.n5_over_q): admitted more than the limit ago
    over_limit = Q(admitted_at__lt=now - datetime.timedelta(days=limit))
    # One grouped pass over the in-care episodes; the page's totals are sums of the per-station rows.
    per_station = list(
        in_care.values("station_id")
        .annotate(
            in_care=Count("id"),
            unidentified=Count("id", filter=Q(person__identity_status=IdentityStatus.UNIDENTIFIED)),
            pending=Count("id", filter=Q(person__identity_status=IdentityStatus.PENDING)),
            over_10=Count("id", filter=over_limit),
        )
        .order_by("station_id")
    )
    # rule I6: flagged requests still waiting for the screening decision (the I6 deadline's open items)
    flagged = episodes.filter(status=EpisodeStatus.REQUESTED, flag_repeat_requests=True).count()
    orgs = {o.pk: o for o in Organisation.objects.filter(id__in=[r["station_id"] for r in per_station])
            .only("id", "name", "uuid")}
    org_count = len(visible_org_ids(user))
    totals = {key: sum(r[key] for r in per_station) for key in ("in_care", "unidentified", "pending", "over_10")}
    items = [{"key": "requested", "label": "求助登记，待作出救助决定", "count": by_status.get(EpisodeStatus.REQUESTED, 0),
              "url": _link("intake:list", status=EpisodeStatus.REQUESTED)}]
    items += [{"key": f"status_{state}", "label": STATUS_LABELS[state], "count": by_status.get(state, 0),
               "url": _link("stay:board", status=state)} for state in open_states[1:]]
    items += [
        {"key": "in_care", "label": "在站合计（含送医、站外托养）", "count": totals["in_care"], "url": _link("stay:board")},
        {"key": "unidentified", "label": "身份未查明（在站）", "count": totals["unidentified"],
         "url": _link("stay:board", identity_status=IdentityStatus.UNIDENTIFIED)},
        {"key": "pending", "label": "身份待核实（在站）", "count": totals["pending"],
         "url": _link("stay:board", identity_status=IdentityStatus.PENDING)},
        {"key": "over_limit", "label": f"在站超过{limit}天", "count": totals["over_10"], "hint": "N5",
         "url": _link("stay:board", flag="over")},
        {"key": "flagged", "label": "重点甄别：半年内多次求助，待作出救助决定", "count": flagged, "hint": "I6",
         "url": _link("intake:list", status=EpisodeStatus.REQUESTED, flagged="on")},
    ]
    rows = []
    if org_count > 1:
        for r in per_station:
            org = orgs.get(r["station_id"])
            if org is None:
                continue
            rows.append({**r, "name": org.name,
                         "url": _link("stay:board", station=org.uuid),
                         "unidentified_url": _link("stay:board", station=org.uuid,
                                                   identity_status=IdentityStatus.UNIDENTIFIED),
                         "over_url": _link("stay:board", station=org.uuid, flag="over")})
    return {
        "items": items,
        "by_status": [{"label": STATUS_LABELS[s], "count": by_status.get(s, 0)} for s in open_states],
        "unidentified_in_care": totals["unidentified"],
        "over_10_days": totals["over_10"],
        "flag_repeat": flagged,
        "n5_limit": limit,
        "by_station": rows,
        "scope_label": "本机构" if org_count <= 1 else f"本机构及下属/区域内共 {org_count} 个机构",
    }


def _compatible_q(sex: str, birth_year: int | None) -> Q:
    q = Q()
    if sex:
        q &= Q(sex="") | Q(sex=sex)
    if birth_year:
        q &= Q(birth_year_est__isnull=True) | Q(birth_year_est__gte=birth_year - 5, birth_year_est__lte=birth_year + 5)
    return q


#: Roles that may search every file before opening a new one (issue 8 hole 2): intake at a station.
SEARCH_ALL_ROLES = (Role.RECEPTION, Role.MEDICAL, Role.HEAD)
SEARCH_AUDIT_TYPE = "people.likely_same"


def may_search_all_files(user) -> bool:
    """Only intake staff of a station ask the cross-station duplicate query (rules I4, E4; hole 2)."""
    org = getattr(user, "organisation", None)
    return bool(getattr(user, "is_authenticated", False) and org is not None and org.is_station
                and user.has_role(*SEARCH_ALL_ROLES))


def _throttle_likely_same(user) -> None:
    """Hole 2: at most ``GUITU_LIKELY_SAME_PER_MINUTE`` / ``_PER_DAY`` queries per user, counted from the audit."""
    from django.conf import settings

    now = timezone.now()
    recent = AuditEntry.objects.filter(actor=user, object_type=SEARCH_AUDIT_TYPE)
    for window, limit, label in ((datetime.timedelta(minutes=1), settings.GUITU_LIKELY_SAME_PER_MINUTE, "每分钟"),
                                 (datetime.timedelta(days=1), settings.GUITU_LIKELY_SAME_PER_DAY, "每天")):
        times = list(recent.filter(at__gte=now - window).order_by("at").values_list("at", flat=True)[:limit])
        if len(times) >= limit:
            wait = max(1, int((times[0] + window - now).total_seconds()) + 1)
            raise SearchThrottled(f"查重过于频繁（{label}最多 {limit} 次），请 {wait_label(wait)}后再试。", wait)


class SearchThrottled(PermissionDenied):
    """Too many duplicate queries; ``wait`` seconds until the next is allowed (API: 429 + Retry-After)."""

    def __init__(self, message: str, wait: int):
        super().__init__(message)
        self.wait = wait


def likely_same_person(*, user, name: str = "", sex: str = "", birth_year: int | None = None, id_number: str = "",
                       exclude=None, limit: int = 10, audit_query: bool = True) -> list[dict]:
    """Files that may belong to the same person (rules I4, E4: one person, one file).

    Searches ALL files, not only the user's scope: finding an earlier file at another station is the
    point. So (issue 8 hole 2) only intake staff of a station may ask (403 otherwise), each query is
    throttled and audited, and a file outside the user's scope comes back with the least that lets the
    receptionist act: the holding station, its phone, a masked name and whether the ID number matched —
    with the file's UUID so a share request can name it, never its contents.

    Each candidate: ``{"person", "uuid", "in_scope", "name", "sex", "birth_year", "file_no",
    "station_name", "station_phone", "reasons", "score", "same_id"}``, strongest first (same ID first).
    """
    if not may_search_all_files(user):
        raise PermissionDenied("只有救助管理机构的接待人员可以跨机构查重。")
    if audit_query:
        _throttle_likely_same(user)
    candidates = _likely_same(user=user, name=name, sex=sex, birth_year=birth_year, id_number=id_number,
                              exclude=exclude, limit=limit)
    if audit_query:
        from core.audit import audit

        outside = sum(1 for c in candidates if not c["in_scope"])
        asked = "，".join(x for x in (f"姓名 {name.strip()}" if (name or "").strip() else "",
                                      f"身份证号 {mask_id(id_number)}" if id_number else "") if x)
        audit(actor=user, action=AuditAction.VIEW, object_type=SEARCH_AUDIT_TYPE, organisation=user.organisation,
              summary=f"跨机构查重（{asked or '无条件'}）：{len(candidates)} 条，其中本机构范围外 {outside} 条",
              changes={"hits": [str(c["uuid"]) for c in candidates]})
    return candidates


def _likely_same(*, user, name, sex, birth_year, id_number, exclude, limit) -> list[dict]:
    name = (name or "").strip()
    id_hash = hash_id(id_number) if id_number else ""
    pinyin = name_pinyin(name)[0] if name else ""
    match = Q(id_number_hash=id_hash) if id_hash else Q(pk__in=[])
    if name and not name.startswith("无名氏"):
        same_name = Q(name=name) | Q(name_pinyin=pinyin) if pinyin else Q(name=name)
        match |= same_name & _compatible_q(sex, birth_year) & Q(name_is_provisional=False)
    elif not id_hash:
        return []
    base = Person.objects.filter(match, merged_into__isnull=True)
    if exclude is not None:
        exclude_ids = [getattr(p, "pk", p) for p in (exclude if isinstance(exclude, list | tuple | set) else [exclude])]
        base = base.exclude(pk__in=exclude_ids)
    base = base.select_related("current_station", "registered_by")
    # Same-ID files first and never cut off by the slice; then name/pinyin matches, newest first.
    rows = list(base.filter(id_number_hash=id_hash)) if id_hash else []
    rows += list(base.exclude(pk__in=[p.pk for p in rows]).order_by("-updated_at")[: max(limit, 1) * 5])
    visible = set(scoped(Person.objects.filter(pk__in=[p.pk for p in rows]), user).values_list("pk", flat=True))
    candidates = []
    for person in rows:
        reasons: list[str] = []
        score = 0
        same_id = bool(id_hash) and person.id_number_hash == id_hash
        if same_id:
            reasons.append("身份证号相同（极可能为同一人）")
            score += 100
        if name and person.name == name:
            reasons.append("姓名相同")
            score += 40
        elif pinyin and person.name_pinyin == pinyin:
            reasons.append(f"姓名读音相同（{person.name} / {name}）")
            score += 25
        if sex and person.sex == sex:
            reasons.append("性别相同")
            score += 5
        elif sex and person.sex and person.sex != sex:
            reasons.append("注意：性别不一致")
            score -= 20
        if birth_year and person.birth_year_est:
            gap = abs(person.birth_year_est - birth_year)
            if gap <= 5:
                reasons.append("出生年份相同" if gap == 0 else f"出生年份相差{gap}年")
                score += 10 - gap
            else:
                reasons.append(f"注意：出生年份相差{gap}年")
                score -= 20
        station = person.current_station or person.registered_by
        in_scope = person.pk in visible
        if not in_scope:
            # hole 2: the least that lets a receptionist act; nothing of the file itself
            candidates.append({
                "person": None, "uuid": person.uuid, "in_scope": False, "name": mask_name(person.name),
                "sex": "", "birth_year": None, "file_no": "", "station_name": station.name if station else "",
                "station_phone": station.phone if station else "",
                "reasons": ["身份证号相同，档案在其他机构"] if same_id else ["姓名或读音相近，档案在其他机构"],
                "score": 100 if same_id else 0, "same_id": same_id,
            })
            continue
        candidates.append({
            "person": person if in_scope else None,
            "uuid": person.uuid,
            "in_scope": in_scope,
            "name": person.name,
            "sex": person.sex,
            "birth_year": person.birth_year_est,
            "file_no": person.file_no,
            "station_name": station.name if station else "",
            "station_phone": station.phone if station else "",
            "reasons": reasons,
            "score": score,
            "same_id": same_id,
        })
    candidates.sort(key=lambda c: (not c["same_id"], -c["score"], c["file_no"]))
    return candidates[:limit]


# --- the file: lists, single files, timeline, access log, episodes ---------------------------------------

ID_NUMBER_RE = re.compile(r"^\d{15}$|^\d{17}[\dXx]$")
LATIN_RE = re.compile(r"^[A-Za-z][A-Za-z ]*$")
SPECIAL_GROUPS = [
    ("is_minor", "未成年人"),
    ("is_elderly", "老年人"),
    ("has_disability", "残疾"),
    ("has_mental_disorder", "精神障碍（疑似）"),
    ("has_intellectual_disability", "智力障碍（疑似）"),
    ("limited_mobility", "行动不便"),
    ("is_pregnant", "孕妇"),
    ("suspected_foreign", "疑似外籍"),
]


def name_search_q(q: str) -> Q:
    """Files whose name matches ``q`` (issue 9), every branch an index on PostgreSQL (so the branches
    combine as a BitmapOr and the list sorts only the matches, never walks the whole file table):

    - Latin letters: pinyin prefix ("zhang", "zhangw" → 张伟; ``name_pinyin_flat``), initials prefix
      ("zw" → 张伟, 张伟明; ``name_initials``), file-number prefix (upper case, as numbers are issued);
    - otherwise characters anywhere in the name or an alias (tripled in ``name_grams`` so that even one
      character is a trigram of the pg_trgm index), names read alike (同音: 章伟 for 张伟, the same
      toneless pinyin, ``name_pinyin``) and a file-number prefix.
    """
    from people.models import tripled

    q = q.strip()[:50]
    if LATIN_RE.match(q):
        compact = q.lower().replace(" ", "")
        return (Q(name_pinyin_flat__startswith=compact) | Q(name_initials__startswith=compact)
                | Q(file_no__startswith=q.upper()))
    match = Q(name_grams__contains=tripled(q.lower())) | Q(file_no__startswith=q.upper())
    pinyin = name_pinyin(q)[0] if not q.isascii() else ""
    if pinyin and " " in pinyin:  # a whole name (two syllables or more): its homophones too
        match |= Q(name_pinyin=pinyin)
    return match


def person_list(*, user, q: str = "", sex: str = "", age_min: int | None = None, age_max: int | None = None,
                station=None, identity_status: str = "", special_group: str = "", in_care: str = "",
                today: datetime.date | None = None) -> QuerySet[Person]:
    """Files in the user's scope, searched by name / pinyin / initials / ID number (exact) / file number."""
    today = today or timezone.localdate()
    qs = scoped(Person.objects.filter(merged_into__isnull=True), user)
    q = (q or "").strip()
    if q:
        if ID_NUMBER_RE.match(q):
            qs = qs.filter(Q(id_number_hash=hash_id(q)) | Q(file_no__iexact=q))
        else:
            qs = qs.filter(name_search_q(q))
    if sex:
        qs = qs.filter(sex=sex)
    # Age range through the (estimated) birth year; birth_year_est is also set from an exact birth date.
    if age_min is not None:
        qs = qs.filter(birth_year_est__lte=today.year - age_min)
    if age_max is not None:
        qs = qs.filter(birth_year_est__gte=today.year - age_max)
    if station is not None:
        qs = qs.filter(current_station=station)
    if identity_status:
        qs = qs.filter(identity_status=identity_status)
    if special_group in dict(SPECIAL_GROUPS):
        qs = qs.filter(**{special_group: True})
    if in_care in ("yes", "no"):
        open_episode = Episode.objects.filter(person=OuterRef("pk"), status__in=list(IN_CARE))
        qs = qs.filter(Exists(open_episode)) if in_care == "yes" else qs.exclude(Exists(open_episode))
    return qs.select_related("current_station").order_by("-created_at", "-id")


def person_get(*, user, uuid) -> Person:
    """One file in the user's scope (404 otherwise)."""
    return get_scoped_or_404(
        Person.objects.select_related("current_station", "registered_by", "hukou_division"), user, uuid=uuid
    )


def person_episodes(*, person: Person, user) -> list[Episode]:
    """All episodes of a file across stations (the file is lifelong, rule E4); ``linkable`` marks those in scope."""
    org_ids = visible_org_ids(user)
    episodes = list(person.episodes.select_related("station").order_by("-requested_at"))
    for episode in episodes:
        episode.linkable = episode.station_id in org_ids
    return episodes


TIMELINE_HIDDEN = (AuditAction.VIEW, AuditAction.REVEAL, AuditAction.EXPORT, AuditAction.READ, AuditAction.DENIED)

#: Audit entries about a person are written after the file exists; looking from a year before its creation
#: (a generous margin for clocks set back) lets PostgreSQL plan over the file's lifetime's monthly partitions
#: only, not ten years' 120 (~10 ms of planning per query at 120 partitions).
_BEFORE_THE_FILE = datetime.timedelta(days=400)


def audit_about(person: Person):
    """The audit entries recorded against the person (the timeline, who looked, the tracing attempt log)."""
    return AuditEntry.objects.filter(person_uuid=person.uuid, at__gte=person.created_at - _BEFORE_THE_FILE)


def person_timeline(*, person: Person) -> list[dict]:
    """Everything that happened to the person, across episodes and stations, oldest first (rule E4: 全程留痕).

    Merges the audit entries recorded against the person (excluding reads) with the episodes' state
    changes. An episode's TRANSITION audit entry is left out because its EpisodeTransition row
    tells the same event with the note.
    """
    entries = (
        audit_about(person)
        .exclude(action__in=TIMELINE_HIDDEN)
        .exclude(action=AuditAction.TRANSITION, object_type="people.Episode")
        .select_related("organisation")
    )
    items = [
        {"at": e.at, "who": e.actor_name, "org": e.organisation.name if e.organisation else "", "what": e.summary,
         "kind": e.get_action_display(), "changes": e.changes if e.action == AuditAction.UPDATE else {}}
        for e in entries
    ]
    transitions = EpisodeTransition.objects.filter(episode__person=person).select_related("episode__station", "by")
    for t in transitions:
        what = f"{t.episode.number}：{t.from_label} → {t.to_label}" if t.from_status else f"{t.episode.number}：{t.to_label}"
        items.append({"at": t.at, "who": str(t.by), "org": t.episode.station.name,
                      "what": what + (f"（{t.note}）" if t.note else ""), "kind": "状态变更", "changes": {}})
    items.sort(key=lambda item: item["at"])
    return items


ACCESS_LOG_ROLES = (Role.HEAD, Role.ADMIN, Role.AUDITOR, Role.SUPERVISOR)


def may_see_access_log(user) -> bool:
    return user.is_superuser or user.has_role(*ACCESS_LOG_ROLES)


def person_access_log(*, person: Person, user, limit: int = 200) -> list[AuditEntry]:
    """Who opened, revealed or printed this file (查阅记录); only for heads, admins, auditors, supervisors."""
    if not may_see_access_log(user):
        return []
    return list(
        audit_about(person).filter(action__in=TIMELINE_HIDDEN)
        .select_related("organisation").order_by("-id")[:limit]  # id order = time order (core/auditchain.chain)
    )


def photo_get(*, user, uuid) -> PersonPhoto:
    return get_scoped_or_404(PersonPhoto.objects.select_related("person"), user, uuid=uuid)


def contact_get(*, user, uuid) -> FamilyContact:
    return get_scoped_or_404(FamilyContact.objects.select_related("person"), user, uuid=uuid)


def episode_get(*, user, uuid) -> Episode:
    return get_scoped_or_404(Episode.objects.select_related("person", "station", "created_by"), user, uuid=uuid)


PANEL_APPS = ("intake", "stay", "dailycare", "outsidecare", "leaving", "settlement")
#: Apps that add a panel to the person's file page (``<app>.selectors.person_panel``), in page order.
PERSON_PANEL_APPS = ("tracing", "matching", "announcements")


def _panels(apps: tuple[str, ...], hook: str, **kwargs) -> list[dict]:
    panels = []
    for app in apps:
        try:
            module = importlib.import_module(f"{app}.selectors")
        except ImportError:
            continue
        func = getattr(module, hook, None)
        if func is None:
            continue
        try:
            get_template(f"{app}/{hook}.html")
        except TemplateDoesNotExist:
            continue
        panel = func(**kwargs)
        if panel is not None:
            panels.append({"app": app, "template": f"{app}/{hook}.html", "panel": panel})
    return panels


def episode_panels(*, episode: Episode, user) -> list[dict]:
    """Panels other apps contribute to the episode page (``<app>.selectors.episode_panel``), when present."""
    return _panels(PANEL_APPS, "episode_panel", episode=episode, user=user)


def person_panels(*, person: Person, user) -> list[dict]:
    """Panels other apps contribute to the file page (``<app>.selectors.person_panel(*, person, user)``
    returning a dict, or None to show nothing) rendered with ``<app>/person_panel.html``."""
    return _panels(PERSON_PANEL_APPS, "person_panel", person=person, user=user)


# --- share requests (issue 8 hole 2) ------------------------------------------------------------------------
def share_request_target(*, user, uuid) -> Person:
    """The out-of-scope file ``user`` may ask to share: one their own duplicate query returned in the
    last day (the audit lists the hits), so UUIDs cannot be used to probe for files. Else 404."""
    from django.http import Http404

    if not may_search_all_files(user):
        raise PermissionDenied("只有救助管理机构的接待人员可以申请共享档案。")
    since = timezone.now() - datetime.timedelta(days=1)
    queries = AuditEntry.objects.filter(actor=user, object_type=SEARCH_AUDIT_TYPE, at__gte=since)
    if not any(str(uuid) in (entry.get("hits") or []) for entry in queries.values_list("changes", flat=True)):
        raise Http404("未找到该记录，或您无权查看。")
    person = Person.objects.select_related("current_station", "registered_by").filter(uuid=uuid).first()
    if person is None:
        raise Http404("未找到该记录，或您无权查看。")
    return person


def share_requests(*, user) -> dict:
    """The user's station's inbox (requests to share its files) and outbox (its own requests)."""
    from people.models import ShareRequest

    qs = scoped(ShareRequest.objects.select_related("person", "requesting_station", "holding_station",
                                                    "requested_by", "decided_by"), user)
    org_id = getattr(user, "organisation_id", None)
    return {"incoming": list(qs.filter(holding_station_id=org_id)[:200]),
            "outgoing": list(qs.filter(requesting_station_id=org_id)[:200])}


def share_request_get(*, user, uuid):
    from people.models import ShareRequest

    return get_scoped_or_404(ShareRequest.objects.select_related("person", "requesting_station", "holding_station"),
                             user, uuid=uuid)


# --- the episode page's next step and what is still missing (issue 15) ------------------------------------
#: Where each move of the state machine is made (``people.states.MOVE_PATHS``): the page of its record.
MOVE_URLS = {
    EpisodeStatus.ADMITTED: "intake:admit",
    EpisodeStatus.REFUSED: "intake:refuse",
    EpisodeStatus.TERMINATED: "intake:terminate",
    EpisodeStatus.IN_STATION: "stay:bed_assign",
    EpisodeStatus.IN_HOSPITAL: "stay:placement_new",
    EpisodeStatus.OUTSIDE_CARE: "stay:placement_new",
    EpisodeStatus.LEFT: "leaving:new",
}
#: Moves made by a button on the episode page (POST, with a confirmation) rather than a form page.
POST_MOVES = {EpisodeStatus.ADMITTED: "确认办理入站？入站后开始计算在站天数。"}
#: Apps that add items to the episode page's "still missing" list (``<app>.selectors.episode_todo``).
TODO_APPS = ("intake", "stay", "dailycare")
#: Deadline outcomes the episode page lists as still to do.
OPEN_DEADLINE = ("overdue", "open")


def episode_moves(episode: Episode) -> list[dict]:
    """The moves the state machine (``people.states.TRANSITIONS``) allows from the episode's state, each a
    link to the page that records it — there is no generic status change (rule E1: leaving only through a
    departure). Each: ``target``, ``label``, ``how``, ``url``, ``method`` ("get" or "post"), ``confirm``,
    ``danger``."""
    from urllib.parse import urlencode

    from django.urls import reverse

    from people.states import MOVE_PATHS, allowed_targets

    moves = []
    open_placement = None
    if episode.status in (EpisodeStatus.IN_HOSPITAL, EpisodeStatus.OUTSIDE_CARE):
        open_placement = episode.placements.filter(ended_at__isnull=True).first()
    for target in allowed_targets(episode.status):
        url_name, args = MOVE_URLS[target], [episode.uuid]
        if episode.status == EpisodeStatus.REQUESTED and target == EpisodeStatus.IN_HOSPITAL:
            url_name = "intake:health_add"  # rule I3: emergency care first, from the initial check
        if target == EpisodeStatus.IN_STATION and open_placement is not None:
            url_name, args = "stay:placement_return", [open_placement.uuid]  # back from hospital / outside care
        url = reverse(url_name, args=args)
        how = MOVE_PATHS[(episode.status, target)]
        if open_placement is not None and target == EpisodeStatus.IN_STATION:
            how = f"返站并{how}"
        params = {"kind": "outside_care"} if target == EpisodeStatus.OUTSIDE_CARE else {}
        if params:
            url += "?" + urlencode(params)
        moves.append({"target": target, "label": STATUS_LABELS[target], "how": how, "url": url,
                      "method": "post" if target in POST_MOVES else "get", "confirm": POST_MOVES.get(target, ""),
                      "danger": target in (EpisodeStatus.TERMINATED, EpisodeStatus.REFUSED)})
    return moves


def episode_deadlines(*, episode: Episode, now: datetime.datetime | None = None) -> list[dict]:
    """Deadlines of the registry (``<app>/deadlines.py``) still open or overdue for this episode — evaluated
    by the same engine as the inbox (``DeadlineRule.evaluate`` narrowed to this episode's subjects), so the
    page and the inbox cannot disagree. Rules over the episode itself, or over records of the episode
    (a field ``episode``); recurring rules are counted per period in the inbox and left out here."""
    from deadlines.calendar import load_calendar
    from deadlines.registry import discover
    from deadlines.selectors import rule_overrides

    now = now or timezone.now()
    cal, overrides = load_calendar(), rule_overrides()
    items = []
    for rule in sorted(discover().values(), key=lambda r: r.id):
        if rule.recurrence is not None:
            continue
        model = rule.subjects(now).model
        if model is Episode:
            pks = [episode.pk]
        elif any(f.name == "episode" and getattr(f, "related_model", None) is Episode for f in model._meta.fields):
            pks = list(model.objects.filter(episode=episode).values_list("pk", flat=True))
        else:
            continue
        if not pks:
            continue
        for outcome in rule.evaluate(now, cal, overrides=overrides, subject_pks=pks):
            if outcome.status in OPEN_DEADLINE:
                items.append({"rule": rule.id, "title": rule.title, "status": outcome.status,
                              "label": outcome.status_label, "due_at": outcome.due.at,
                              "url": rule.link(outcome.subject), "overdue": outcome.status == "overdue"})
    items.sort(key=lambda item: item["due_at"])
    return items


def _todo_items(*, episode: Episode, user) -> list[dict]:
    items = []
    for app in TODO_APPS:
        module = importlib.import_module(f"{app}.selectors")
        items.extend(module.episode_todo(episode=episode, user=user))
    if episode.status in IN_CARE and episode.person.identity_status != IdentityStatus.IDENTIFIED:
        from django.urls import reverse

        items.append({"key": "people:identity", "label": "身份未查明：寻亲（公安核查、谈话、公告、比对）",
                      "act": "寻亲", "rule": "T1", "before": EpisodeStatus.LEFT, "instead": False,
                      "why": "身份未查明：先查明身份（公安核查、寻亲谈话、寻亲公告、比对），再安排返乡离站",
                      "url": reverse("people:detail", args=[episode.person.uuid]) + "#panel-tracing"})
    return items


def episode_next_steps(*, episode: Episode, user, now: datetime.datetime | None = None) -> dict:
    """What the episode page offers next, derived from the records and the state machine:

    - ``moves``: every move ``people.states.TRANSITIONS`` allows now, with the page that records it;
    - ``missing``: what is still missing for this episode (items the apps report through
      ``<app>.selectors.episode_todo`` — no bed, no safety check, identity unknown … — and the open or
      overdue deadlines of the registry for it);
    - ``next``: the one step to take next: what blocks the expected move (``people.states.EXPECTED_NEXT``)
      first, else that move itself; ``None`` when the episode is closed;
    - ``may_act``: whether the user may take these steps (the pages check again).
    """
    from people.permissions import TRANSITION_ROLES, can

    moves = episode_moves(episode)
    todo = _todo_items(episode=episode, user=user)
    deadlines = episode_deadlines(episode=episode, now=now) if episode.status in {EpisodeStatus.REQUESTED,
                                                                                   *IN_CARE} else []
    from people.states import EXPECTED_NEXT

    expected = EXPECTED_NEXT.get(episode.status)
    move = next((m for m in moves if m["target"] == expected), None)
    instead = [t for t in todo if t["instead"]]
    blocking = [t for t in todo if expected is not None and t["before"] == expected]
    step = None
    if instead:
        refuse = next((m for m in moves if m["target"] == EpisodeStatus.REFUSED), None)
        step = {"label": refuse["how"] if refuse else instead[0]["act"], "url": instead[0]["url"],
                "method": "get", "confirm": "", "why": instead[0]["label"], "rule": instead[0]["rule"]}
    elif blocking and not (move and blocking[0]["url"] == move["url"]):  # (no bed: the bed is the move itself)
        first = blocking[0]
        step = {"label": first["act"], "url": first["url"], "method": "get", "confirm": "", "rule": first["rule"],
                "why": first.get("why") or f"{move['how'] if move else STATUS_LABELS.get(expected, '')}之前须先完成"}
    elif move is not None:
        step = {"label": move["how"], "url": move["url"], "method": move["method"], "confirm": move["confirm"],
                "why": f"→ {move['label']}", "rule": ""}
    missing = [{"label": t["label"], "rule": t["rule"], "url": t["url"], "overdue": False} for t in todo]
    missing += [{"label": d["title"], "rule": d["rule"], "url": d["url"], "overdue": d["overdue"],
                 "due_at": d["due_at"], "status": d["label"]} for d in deadlines]
    return {"next": step, "moves": moves, "missing": missing, "expected": expected,
            "safe_moves": [m for m in moves if not m["danger"]], "danger_moves": [m for m in moves if m["danger"]],
            "may_act": can(user, episode.station, *TRANSITION_ROLES)}
