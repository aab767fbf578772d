"""Reads of the announcements app. Staff reads go through core.scoping; public reads see only live
announcements' published snapshot (no person, no clue, nothing not chosen)."""

import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from announcements.models import (
    OPEN_CLUE_STATES,
    Announcement,
    AnnouncementPhoto,
    AnnouncementStatus,
    Channel,
    Clue,
    Publication,
)
from announcements.services import PUBLISHABLE_PHOTO_KINDS, owner_station
from core.models import Division, Role
from core.scoping import can_write, division_prefix, get_scoped_or_404, scoped
from people.models import Episode, IdentityStatus, Person

#: Roles that write and publish announcements (head and admin are always allowed by core.scoping).
ANNOUNCE_ROLES = (Role.TRACER, Role.RECEPTION)
#: Roles that handle clues from the public.
CLUE_ROLES = (Role.TRACER,)


# --- staff side ----------------------------------------------------------------------------------------

def announcement_list(*, user, status: str = "", station=None, q: str = "") -> QuerySet[Announcement]:
    """Announcements in the user's scope, newest first."""
    qs = scoped(Announcement.objects.all(), user).select_related("person", "station")
    if status:
        qs = qs.filter(status=status)
    if station is not None:
        qs = qs.filter(station=station)
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(person__name__icontains=q) | Q(person__file_no__istartswith=q))
    return qs.order_by("-created_at", "-id")


def announcement_get(*, user, uuid) -> Announcement:
    return get_scoped_or_404(Announcement.objects.select_related("person", "station", "found_division"),
                             user, uuid=uuid)


def announcement_photos(announcement: Announcement) -> list[AnnouncementPhoto]:
    return list(announcement.photos.select_related("photo"))


def publishable_photos(person: Person):
    return person.photos.filter(kind__in=PUBLISHABLE_PHOTO_KINDS).order_by("-taken_on", "-created_at")


def may_announce(user, person: Person) -> bool:
    return can_write(user, owner_station(person), *ANNOUNCE_ROLES)


def clue_list(*, user, status: str = "", open_only: bool = False) -> QuerySet[Clue]:
    """The tracing inbox of clues from the board, for the stations in the user's scope."""
    qs = scoped(Clue.objects.all(), user).select_related("announcement__person", "announcement__station")
    if status:
        qs = qs.filter(status=status)
    elif open_only:
        qs = qs.filter(status__in=OPEN_CLUE_STATES)
    return qs.order_by("-created_at", "-id")


def clue_get(*, user, uuid) -> Clue:
    return get_scoped_or_404(
        Clue.objects.select_related("announcement__person", "announcement__station", "handled_by"), user, uuid=uuid)


def open_clue_count(user) -> int:
    """Clues still to handle (new or being followed up) in the user's scope — for the home page."""
    return clue_list(user=user, open_only=True).count()


def channels_live_for(person: Person, at: datetime.datetime | None = None) -> dict[str, bool]:
    """Per channel, whether an announcement of ``person`` was out at ``at`` (rule T10's monthly check)."""
    at = at or timezone.now()
    live = set(
        Publication.objects.filter(
            announcement__person=person, announcement__published_at__lte=at, published_on__lte=timezone.localdate(at))
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at))
        .values_list("channel", flat=True)
    )
    return {channel: channel in live for channel in Channel.values}


T3_STATES = {"met": "met", "late": "late", "open": "pending", "overdue": "overdue", "n/a": "not_required"}


def t3_status(person: Person, now: datetime.datetime | None = None) -> dict:
    """Rule T3 for the person's latest episode, read from the T3 deadline rule itself (announcements/deadlines.py)
    — the inbox and this panel share one definition. ``state`` is met / late / pending / overdue /
    not_required, with the entry time, the due time and the first counting publication."""
    from deadlines.registry import evaluate

    now = now or timezone.now()
    episode = Episode.objects.filter(person=person).order_by("-requested_at", "-id").first()
    if episode is None or episode.admitted_at is None:
        return {"state": "not_required", "label": "尚未入站", "entry": None, "due": None, "published_at": None}
    outcomes = evaluate("T3", as_of=now, subject_pks=[episode.pk])
    if not outcomes:  # entered after ``now``
        return {"state": "not_required", "label": "尚未入站", "entry": None, "due": None, "published_at": None}
    outcome = outcomes[0]
    hours = int((outcome.due.at - outcome.start).total_seconds() // 3600)
    base = {"entry": outcome.start, "due": outcome.due.at, "published_at": outcome.done_at, "hours": hours}
    state = T3_STATES[outcome.status]
    if state == "not_required":
        label = "身份已查明，无需公告" if person.identity_status == IdentityStatus.IDENTIFIED else "已离站，无需公告"
    else:
        label = {"met": f"已按时发布（{hours}小时内）", "late": f"超时发布（超过入站后{hours}小时）",
                 "pending": "待发布", "overdue": f"已超时未发布（入站后{hours}小时内应发布）"}[state]
    return {**base, "state": state, "label": label}


def person_panel(*, person: Person, user) -> dict | None:
    """The "寻亲公告" tab on the person's file: their announcements, the T3 status, the create button."""
    items = list(scoped(Announcement.objects.filter(person=person), user)
                 .prefetch_related("publications").order_by("-created_at"))
    return {
        "title": "寻亲公告",
        "announcements": items,
        "t3": t3_status(person),
        "may_create": may_announce(user, person) and person.identity_status != IdentityStatus.IDENTIFIED,
        "open_clues": scoped(Clue.objects.filter(announcement__person=person, status__in=OPEN_CLUE_STATES),
                             user).count(),
    }


# --- the public board --------------------------------------------------------------------------------

def _live() -> QuerySet[Announcement]:
    return Announcement.objects.filter(status=AnnouncementStatus.PUBLISHED)


def public_board(*, province: str = "", city: str = "", date_from=None, date_to=None, sex: str = "",
                 age_min: int | None = None, age_max: int | None = None, q: str = "") -> QuerySet[Announcement]:
    """Live announcements for the public board, with their chosen photos; filters over the snapshot only."""
    qs = _live().select_related("station", "found_division")
    code = city or province
    if code and code.isdigit():
        qs = qs.filter(found_division__code__startswith=division_prefix(code))
    if date_from:
        qs = qs.filter(found_date__gte=date_from)
    if date_to:
        qs = qs.filter(found_date__lte=date_to)
    if sex:
        qs = qs.filter(sex=sex)
    # Age range: announcements whose published range overlaps the range asked for.
    if age_min is not None:
        qs = qs.filter(age_max__gte=age_min)
    if age_max is not None:
        qs = qs.filter(age_min__lte=age_max)
    q = (q or "").strip()
    if q:
        for word in q.split()[:5]:
            qs = qs.filter(Q(found_place__icontains=word) | Q(features__icontains=word)
                           | Q(statement__icontains=word) | Q(code__iexact=word))
    has_photo = AnnouncementPhoto.objects.filter(announcement=OuterRef("pk"))
    return (qs.annotate(has_photo=Exists(has_photo))
            .prefetch_related(Prefetch("photos", queryset=AnnouncementPhoto.objects.order_by("position", "id")))
            .order_by("-published_at", "-id"))


def public_get(*, uuid) -> Announcement:
    """One live announcement, or 404 (drafts and withdrawn announcements do not exist for the public)."""
    from django.http import Http404

    try:
        return _live().select_related("station", "found_division").get(uuid=uuid)
    except (Announcement.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("该公告不存在或已撤回。") from exc


def public_withdrawn(*, uuid) -> dict | None:
    """For an old poster's QR code: a withdrawn announcement says only that it was withdrawn and, when the
    person was identified, that they found their family — nothing else of the announcement (its code only)."""
    try:
        a = Announcement.objects.select_related("person").get(uuid=uuid, status=AnnouncementStatus.WITHDRAWN)
    except (Announcement.DoesNotExist, ValueError, TypeError):
        return None
    return {"code": a.code, "found": a.person.identity_status == IdentityStatus.IDENTIFIED}


def public_photo_get(*, uuid) -> AnnouncementPhoto:
    """A photo chosen for a LIVE announcement, or 404."""
    from django.http import Http404

    try:
        return AnnouncementPhoto.objects.select_related("photo").get(
            uuid=uuid, announcement__status=AnnouncementStatus.PUBLISHED)
    except (AnnouncementPhoto.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("照片不存在。") from exc


def board_provinces() -> QuerySet[Division]:
    return Division.objects.filter(level="province").order_by("code")


def board_cities(province: str) -> QuerySet[Division]:
    if not (province and province.isdigit()):
        return Division.objects.none()
    return Division.objects.filter(level="city", parent__code=province).order_by("code")


def found_prefill(person: Person) -> dict:
    """Suggested values for a new announcement, from the file and the latest episode (staff edit them)."""
    episode = Episode.objects.filter(person=person).select_related("station__division").order_by(
        "-requested_at").first()
    data: dict = {"sex": person.sex, "height_cm": person.height_cm, "features": person.marks}
    if person.age_min is not None or person.age_max is not None:
        data["age_min"], data["age_max"] = person.age_min, person.age_max
    elif person.age is not None:
        data["age_min"] = data["age_max"] = person.age
    if episode is not None:
        data["found_date"] = timezone.localdate(episode.requested_at)
        data["found_division"] = episode.station.division
        handover = getattr(episode, "handovers", None)
        place = handover.order_by("handed_over_at").values_list("found_place", flat=True).first() if handover else None
        data["found_place"] = place or ""
    station = owner_station(person)
    data["contact_phone"] = station.phone
    return data
