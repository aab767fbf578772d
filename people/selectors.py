"""Reads of people and episodes, always through the user's scope."""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from core.crypto import hash_id
from core.models import Organisation
from core.scoping import scoped, visible_org_ids
from people.models import Episode, IdentityStatus, Person
from people.services import name_pinyin
from people.states import IN_CARE, STATUS_LABELS, EpisodeStatus


def dashboard_counts(*, user, now: datetime.datetime | None = None) -> dict:
    """Open episodes by state, and per station in scope, for the home page."""
    now = now or timezone.now()
    episodes = scoped(Episode.objects.all(), user)
    open_states = [EpisodeStatus.REQUESTED, *IN_CARE]
    by_status = dict(
        episodes.filter(status__in=open_states).values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    in_care = episodes.filter(status__in=list(IN_CARE))
    ten_days_ago = now - datetime.timedelta(days=10)
    per_station = (
        in_care.values("station_id")
        .annotate(
            in_care=Count("id"),
            unidentified=Count("id", filter=~Q(person__identity_status=IdentityStatus.IDENTIFIED)),
            over_10=Count("id", filter=Q(admitted_at__lt=ten_days_ago)),
        )
        .order_by("station_id")
    )
    names = dict(Organisation.objects.filter(id__in=[r["station_id"] for r in per_station]).values_list("id", "name"))
    org_count = len(visible_org_ids(user))
    return {
        "by_status": [{"label": STATUS_LABELS[s], "count": by_status.get(s, 0)} for s in open_states],
        "unidentified_in_care": in_care.exclude(person__identity_status=IdentityStatus.IDENTIFIED).count(),
        "over_10_days": in_care.filter(admitted_at__lt=ten_days_ago).count(),
        "flag_repeat": in_care.filter(flag_repeat_requests=True).count(),
        "by_station": [{**r, "name": names.get(r["station_id"], "")} for r in per_station] if org_count > 1 else [],
        "scope_label": "本机构" if org_count <= 1 else f"本机构及下属/区域内共 {org_count} 个机构",
    }


def _compatible_q(sex: str, birth_year: int | None) -> Q:
    q = Q()
    if sex:
        q &= Q(sex="") | Q(sex=sex)
    if birth_year:
        q &= Q(birth_year_est__isnull=True) | Q(birth_year_est__gte=birth_year - 5, birth_year_est__lte=birth_year + 5)
    return q


def likely_same_person(*, user, name: str = "", sex: str = "", birth_year: int | None = None, id_number: str = "",
                       exclude=None, limit: int = 10) -> list[dict]:
    """Files that may belong to the same person (rules I4, E4: one person, one file).

    Searches ALL files, not only the user's scope: finding an earlier file at another station is the
    point. Files outside the user's scope come back with minimal, non-sensitive fields only (name,
    sex, birth year, file number, station name) and ``person=None``; see people/README.md.

    Each candidate: ``{"person", "uuid", "in_scope", "name", "sex", "birth_year", "file_no",
    "station_name", "reasons", "score", "same_id"}``, strongest first (same ID number first).
    """
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
        candidates.append({
            "person": person if in_scope else None,
            "uuid": person.uuid,
            "in_scope": in_scope,
            "name": person.name,
            "sex": person.sex,
            "birth_year": person.birth_year_est,
            "file_no": person.file_no,
            "station_name": station.name if station else "",
            "reasons": reasons,
            "score": score,
            "same_id": same_id,
        })
    candidates.sort(key=lambda c: (not c["same_id"], -c["score"], c["file_no"]))
    return candidates[:limit]
