"""Every write of the announcements app: one function per action, in a transaction, with its audit entry.

Rule T3: a family-search announcement with photo and basic details, published on the system's board
and on the other channels used; each channel and date is recorded. Announcements are withdrawn at once
when the person is identified (tracing) or leaves (leaving).
"""

import datetime
import hashlib
import hmac
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from announcements.models import (
    ANNOUNCEMENT_TRANSITIONS,
    CLUE_TRANSITIONS,
    OPEN_CLUE_STATES,
    PUBLISHABLE_FIELDS,
    Announcement,
    AnnouncementPhoto,
    AnnouncementStatus,
    Channel,
    Clue,
    ClueStatus,
    ClueThrottle,
    Publication,
)
from core.audit import audit, audit_create, audit_update, snapshot
from core.images import take_image
from core.models import AuditAction, Division, DivisionLevel, Role
from core.throttle import wait_label
from people.models import IdentityStatus, Person, PersonPhoto, PhotoKind, Sex
from people.services import next_sequence
from tracing.services import identity_confirm

#: Photo kinds that may go public; fingerprints and ID documents never do.
PUBLISHABLE_PHOTO_KINDS = (PhotoKind.PORTRAIT, PhotoKind.FULL_BODY, PhotoKind.FEATURE)
ID_NUMBER_IN_TEXT = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?!\d)")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
THROTTLE_MESSAGE = "提交过于频繁，请稍后再试。"


class ClueThrottled(Exception):
    """Too many clue submissions from one IP address or for one phone number within the window.

    ``message`` says which limit was hit and when to try again (issue 8 hole 12); ``wait`` in seconds.
    """

    def __init__(self, message: str = THROTTLE_MESSAGE, wait: int = 0):
        super().__init__(message)
        self.message = message
        self.wait = wait


def owner_station(person: Person):
    """Announcements of a person are written by the station currently responsible for them."""
    return person.current_station or person.registered_by


def _check_status(announcement: Announcement, to: str) -> None:
    if to not in ANNOUNCEMENT_TRANSITIONS[announcement.status]:
        raise ValidationError(
            f"公告当前为“{announcement.get_status_display()}”，不能改为“{AnnouncementStatus(to).label}”。")


def _publishable_photos(person: Person):
    return PersonPhoto.objects.filter(person=person, kind__in=PUBLISHABLE_PHOTO_KINDS)


def _validate_photos(person: Person, photos: list[PersonPhoto]) -> None:
    """Rule T3: with photo. Only the person's own portrait, full-body or feature photos may go public."""
    allowed = set(_publishable_photos(person).values_list("pk", flat=True))
    if any(p.pk not in allowed for p in photos):
        raise ValidationError({"photos": "只能选择该人员本人的人像、全身或体貌特征照片（指纹、证件照片不得公开）。"})
    if allowed and not photos:
        raise ValidationError({"photos": "该人员已有照片，公告须选择至少一张照片。"})


def _clean_details(person: Person, chosen: list[str], details: dict[str, Any], today: datetime.date) -> dict:
    """Keep exactly the chosen details; everything not chosen is stored empty (never leaks)."""
    unknown = set(chosen) - set(PUBLISHABLE_FIELDS)
    if unknown:
        raise ValidationError({"chosen": "公开项目不正确：" + "、".join(sorted(unknown))})
    values: dict[str, Any] = {"chosen": [f for f in PUBLISHABLE_FIELDS if f in chosen], "found_date": None,
                              "found_place": "", "found_division": None, "sex": "", "age_min": None,
                              "age_max": None, "height_cm": None, "features": "", "statement": ""}
    errors: dict[str, str] = {}
    if "found_date" in chosen:
        found = details.get("found_date")
        if not found:
            errors["found_date"] = "选择公开发现日期时须填写日期。"
        elif found > today:
            errors["found_date"] = "发现日期不能晚于今天。"
        elif found.year < 1900:
            errors["found_date"] = "发现日期不合理。"
        values["found_date"] = found
    if "found_place" in chosen:
        place = (details.get("found_place") or "").strip()
        division = details.get("found_division")
        if not place and division is None:
            errors["found_place"] = "选择公开发现地点时须填写地点。"
        if division is not None and not isinstance(division, Division):
            errors["found_division"] = "发现地区划不正确。"
        elif person.is_minor:
            # hole 11: a child's exact found place is never published, only the district (县/区)
            place, division = "", _district_of(division)
            if division is None:
                errors["found_division"] = "未成年人的公告只公开发现地所在区县，请选择发现地区划。"
        values["found_place"], values["found_division"] = place[:200], division
    if "sex" in chosen:
        sex = details.get("sex") or ""
        if sex not in (Sex.MALE, Sex.FEMALE):
            errors["sex"] = "选择公开性别时须为“男”或“女”。"
        values["sex"] = sex
    if "age" in chosen:
        lo, hi = details.get("age_min"), details.get("age_max")
        if lo is None and hi is None:
            errors["age_min"] = "选择公开年龄时须填写估计年龄。"
        lo = hi if lo is None else lo
        hi = lo if hi is None else hi
        if lo is not None and not (0 <= lo <= 120 and 0 <= hi <= 120):
            errors["age_min"] = "估计年龄应在0至120岁之间。"
        elif lo is not None and lo > hi:
            errors["age_max"] = "年龄上限不能小于下限。"
        values["age_min"], values["age_max"] = lo, hi
    if "height" in chosen:
        height = details.get("height_cm")
        if height is None or not (40 <= height <= 250):
            errors["height_cm"] = "身高应在40至250厘米之间。"
        values["height_cm"] = height
    for field, label in (("features", "体貌特征"), ("statement", "本人自述")):
        if field in chosen:
            text = (details.get(field) or "").strip()
            if not text:
                errors[field] = f"选择公开{label}时须填写面向公众的文字。"
            values[field] = text[:2000]
    contact = (details.get("contact_phone") or "").strip()
    values["contact_phone"] = contact[:40]
    texts = [str(values[k] or "").replace(" ", "") for k in ("found_place", "features", "statement", "contact_phone")]
    if any(ID_NUMBER_IN_TEXT.search(text) for text in texts):
        errors["statement"] = "公开内容中不得包含身份证号码。"
    if not values["chosen"]:
        errors["chosen"] = "请至少选择一项公开信息。"
    if errors:
        raise ValidationError(errors)
    return values


def _district_of(division: Division | None) -> Division | None:
    """The county-level division (县/区) containing ``division``; a city or province stays as it is."""
    while division is not None and division.level in (DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE):
        division = division.parent
    return division


def _check_person(person: Person) -> None:
    if person.identity_status == IdentityStatus.IDENTIFIED:
        raise ValidationError("该人员身份已查明，不需要发布寻亲公告。")
    if person.merged_into_id:
        raise ValidationError("该档案已合并到其他档案，请在合并后的档案中发布公告。")


@transaction.atomic
def announcement_create(*, by, person: Person, photos: list[PersonPhoto], chosen: list[str],
                        details: dict[str, Any]) -> Announcement:
    """Write a draft announcement (rule T3) holding a snapshot of exactly the chosen details and photos."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    _check_person(person)
    station = owner_station(person)
    values = _clean_details(person, chosen, details, timezone.localdate())
    _validate_photos(person, photos)
    year = timezone.localdate().year
    code = f"{station.code}-{year}-{next_sequence(f'announcement:{station.pk}:{year}'):04d}"
    if not values["contact_phone"]:
        values["contact_phone"] = station.phone
    announcement = Announcement.objects.create(person=person, station=station, code=code, created_by=by,
                                               is_minor=person.is_minor, **values)
    for position, photo in enumerate(photos):
        AnnouncementPhoto.objects.create(announcement=announcement, photo=photo, position=position)
    audit_create(actor=by, obj=announcement, summary=f"撰写寻亲公告 {code}（{len(photos)} 张照片）",
                 organisation=station, person_uuid=person.uuid)
    return announcement


@transaction.atomic
def announcement_publish(*, by, announcement: Announcement, at: datetime.datetime | None = None) -> Announcement:
    """Put a draft on the public board; the board's publication record is written automatically (rule T3)."""
    announcement = Announcement.objects.select_for_update().select_related("person", "station").get(
        pk=announcement.pk)
    _check_status(announcement, AnnouncementStatus.PUBLISHED)
    _check_person(announcement.person)
    _validate_photos(announcement.person, [ap.photo for ap in announcement.photos.select_related("photo")])
    at = at or timezone.now()
    minor = announcement.is_minor or announcement.person.is_minor
    if minor and not (by.has_role(Role.HEAD) and by.organisation_id == announcement.station_id):
        # hole 11: publishing a child's photo and details needs the station head's approval
        raise ValidationError("未成年人的寻亲公告须经站长批准后发布：草稿已保存，请站长审核并发布。")
    before = snapshot(announcement, ["status", "published_at", "published_by", "approved_by", "approved_at"])
    announcement.status = AnnouncementStatus.PUBLISHED
    announcement.published_at = at
    announcement.published_by = by
    fields = ["status", "published_at", "published_by", "updated_at"]
    if minor:
        announcement.is_minor, announcement.approved_by, announcement.approved_at = True, by, at
        fields += ["is_minor", "approved_by", "approved_at"]
    announcement.save(update_fields=fields)
    Publication.objects.create(announcement=announcement, channel=Channel.BOARD,
                               published_on=timezone.localdate(at), reference=f"/xunqin/{announcement.uuid}/",
                               recorded_by=by)
    audit(actor=by, action=AuditAction.TRANSITION, obj=announcement, organisation=announcement.station,
          person_uuid=announcement.person.uuid, summary=f"发布寻亲公告 {announcement.code}（本系统寻亲平台）" + ("，未成年人，站长批准" if minor else ""),
          changes={k: [before[k], v] for k, v in snapshot(announcement, before.keys()).items()})
    return announcement


def _withdraw(*, by, announcement: Announcement, reason: str, at: datetime.datetime) -> None:
    before = snapshot(announcement, ["status", "withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    announcement.status = AnnouncementStatus.WITHDRAWN
    announcement.withdrawn_at = at
    announcement.withdrawn_by = by
    announcement.withdrawn_reason = reason[:300]
    announcement.save(update_fields=["status", "withdrawn_at", "withdrawn_by", "withdrawn_reason", "updated_at"])
    ended = announcement.publications.filter(ended_at__isnull=True).update(ended_at=at)
    # the announcement's open clues close with it (identified, left, withdrawn), each audited
    for clue in announcement.clues.filter(status__in=OPEN_CLUE_STATES):
        clue_before = snapshot(clue, ["status", "status_note", "handled_at"])
        clue.status, clue.status_note, clue.handled_at = ClueStatus.CLOSED, f"公告已撤回：{reason}"[:300], at
        clue.save(update_fields=["status", "status_note", "handled_at", "updated_at"])
        audit_update(actor=by, obj=clue, before=clue_before, organisation=announcement.station,
                     person_uuid=announcement.person.uuid, summary=f"线索 {clue.reference or ''} 随公告关闭")
    changes = {k: [before[k], v] for k, v in snapshot(announcement, before.keys()).items()}
    if ended:
        changes["publications_ended"] = [None, ended]
    audit(actor=by, action=AuditAction.TRANSITION, obj=announcement, organisation=announcement.station,
          person_uuid=announcement.person.uuid, changes=changes,
          summary=f"撤回寻亲公告 {announcement.code}：{reason[:200]}")


@transaction.atomic
def announcement_withdraw(*, by, announcement: Announcement, reason: str,
                          at: datetime.datetime | None = None) -> Announcement:
    """Take an announcement off the board at once (draft or published), with the reason."""
    announcement = Announcement.objects.select_for_update().select_related("person", "station").get(
        pk=announcement.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写撤回原因。"})
    _check_status(announcement, AnnouncementStatus.WITHDRAWN)
    _withdraw(by=by, announcement=announcement, reason=reason, at=at or timezone.now())
    return announcement


@transaction.atomic
def announcements_withdraw_for_person(*, by, person: Person, reason: str,
                                      at: datetime.datetime | None = None) -> int:
    """Withdraw every live (published) or draft announcement of ``person`` at once; returns how many.

    Called when the person is identified (``on_person_identified``) and when they leave
    (leaving.services.departure_create). Permission checks belong to the caller.
    """
    at = at or timezone.now()
    reason = (reason or "").strip() or "撤回"
    items = list(Announcement.objects.select_for_update().select_related("person", "station").filter(
        person=person, status__in=[AnnouncementStatus.DRAFT, AnnouncementStatus.PUBLISHED]).order_by("pk"))
    for announcement in items:
        _withdraw(by=by, announcement=announcement, reason=reason, at=at)
    return len(items)


@transaction.atomic
def publication_add(*, by, announcement: Announcement, channel: str, published_on: datetime.date | None,
                    reference: str = "") -> Publication:
    """Record that the announcement went out on another channel on a date (rule T3)."""
    announcement = Announcement.objects.select_for_update().select_related("person", "station").get(
        pk=announcement.pk)
    errors: dict[str, str] = {}
    if announcement.status != AnnouncementStatus.PUBLISHED:
        raise ValidationError("只有已发布的公告可以登记其他渠道的发布。")
    if channel not in Channel.values or channel == Channel.BOARD:
        errors["channel"] = "请选择发布渠道（本系统寻亲平台在发布时自动登记）。"
    if published_on is None:
        errors["published_on"] = "请填写发布日期。"
    elif published_on > timezone.localdate():
        errors["published_on"] = "发布日期不能晚于今天。"
    elif announcement.published_at and published_on < timezone.localdate(announcement.published_at):
        errors["published_on"] = "发布日期不能早于公告在本系统发布的日期。"
    if errors:
        raise ValidationError(errors)
    publication = Publication.objects.create(announcement=announcement, channel=channel, published_on=published_on,
                                             reference=(reference or "").strip()[:300], recorded_by=by)
    audit_create(actor=by, obj=publication, organisation=announcement.station, person_uuid=announcement.person.uuid,
                 summary=f"登记寻亲公告 {announcement.code} 发布渠道：{publication.get_channel_display()}"
                         f"（{published_on:%Y-%m-%d}）")
    return publication


# --- clues from the public board -------------------------------------------------------------------------

def normalise_phone(raw: str) -> str | None:
    """A Chinese mobile (11 digits) or landline (area code + number); None when it is neither."""
    value = re.sub(r"[\s()（）]", "", raw or "")
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    digits = value.replace("-", "")
    if MOBILE_RE.match(digits):
        return digits
    if LANDLINE_RE.match(value):
        return value
    return None


def _throttle_key(kind: str, value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _throttle_limits() -> dict[str, int]:
    # A shared connection (a family's home router, an internet café, a mobile carrier's NAT) carries many
    # honest senders, so the per-address limit is generous; one phone number is one sender.
    return {"ip": int(settings.GUITU_CLUE_LIMIT_PER_IP_PER_HOUR),
            "phone": int(settings.GUITU_CLUE_LIMIT_PER_PHONE_PER_HOUR)}


def clue_throttle_hit(*, ip: str | None, phone: str | None = None, now: datetime.datetime | None = None) -> None:
    """Count one submission attempt per IP and per phone; raise ClueThrottled past the hourly limits.

    Runs in its own transaction, before the clue is validated, so refused and invalid attempts count too
    (issue 8 hole 12). The message names the limit and says when to try again.
    """
    now = now or timezone.now()
    window = datetime.timedelta(hours=1)
    limits = _throttle_limits()
    keys = [("ip", _throttle_key("ip", ip or "-"))]
    if phone:
        keys.append(("phone", _throttle_key("phone", phone)))
    refusal: tuple[str, int] | None = None
    # Commit the attempt before refusing: raising inside the transaction would roll the count back, and a
    # refused sender could then retry for ever (hole 12).
    with transaction.atomic():
        ClueThrottle.objects.filter(at__lt=now - datetime.timedelta(days=1)).delete()
        for kind, key in keys:
            times = list(ClueThrottle.objects.filter(key=key, at__gte=now - window).order_by("-at")
                         .values_list("at", flat=True)[: limits[kind]])
            if len(times) >= limits[kind]:
                wait = max(1, int((times[-1] + window - now).total_seconds()) + 1)
                if refusal is None or wait > refusal[1]:
                    refusal = (kind, wait)
        ClueThrottle.objects.bulk_create([ClueThrottle(key=key, at=now) for _, key in keys])
    if refusal:
        kind, wait = refusal
        who = "同一联系电话" if kind == "phone" else "同一网络地址"
        raise ClueThrottled(f"提交过于频繁：{who}每小时最多提交 {limits[kind]} 次线索。请 {wait_label(wait)}后再试；"
                            "情况紧急请直接拨打公告上的联系电话或 110。", wait)


def _clean_clue(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = (data.get("name") or "").strip()
    phone_raw = (data.get("phone") or "").strip()
    relationship = (data.get("relationship") or "").strip()
    content = (data.get("content") or "").strip()
    if not name:
        errors["name"] = "请填写您的姓名，以便救助站与您联系。"
    if not phone_raw:
        errors["phone"] = "请填写联系电话，以便救助站与您联系。"
    phone = normalise_phone(phone_raw) if phone_raw else None
    if phone_raw and phone is None:
        errors["phone"] = "请填写有效的手机号（11位）或固定电话（区号-号码）。"
    if not relationship:
        errors["relationship"] = "请填写您与走失者的关系。"
    if not content:
        errors["content"] = "请填写您了解的情况。"
    elif len(content) > 2000:
        errors["content"] = "线索内容不能超过2000字。"
    if errors:
        raise ValidationError(errors)
    return {"name": name[:50], "phone": phone or "", "relationship": relationship[:30], "content": content}


def _max_clue_photo_bytes() -> int:
    return int(getattr(settings, "GUITU_CLUE_MAX_PHOTO_BYTES", 5 * 1024 * 1024))


@transaction.atomic
def clue_create(*, announcement: Announcement, data: dict[str, Any], photo=None, ip: str | None = None) -> Clue:
    """Store a clue sent from the public board for the station owning the announcement (rule T3).

    Only live announcements take clues. The photo, if any, must be a real image within the size limit
    and is stored re-encoded (EXIF and any other payload dropped).
    """
    announcement = Announcement.objects.select_related("person", "station").get(pk=announcement.pk)
    if announcement.status != AnnouncementStatus.PUBLISHED:
        raise ValidationError("该公告已撤回，不再接收线索。")
    values = _clean_clue(data)
    content_file = None
    if photo is not None:
        content_file = take_image(photo, field="photo", label="照片", max_bytes=_max_clue_photo_bytes(),
                                  max_side=1600).as_file("clue")
    clue = Clue(announcement=announcement, ip=ip, **values)
    day = timezone.localdate()
    clue.reference = f"XS-{day:%Y%m%d}-{next_sequence(f'clue:{day:%Y%m%d}'):04d}"
    if content_file is not None:
        clue.photo.save(content_file.name, content_file, save=False)
    clue.save()
    _alert_station(announcement, clue)
    audit(actor=None, action=AuditAction.CREATE, obj=clue, organisation=announcement.station,
          person_uuid=announcement.person.uuid,
          summary=f"收到公众寻亲线索（公告 {announcement.code}，提供人：{clue.name}，关系：{clue.relationship}）",
          changes={"name": [None, clue.name], "relationship": [None, clue.relationship],
                   "photo": [None, bool(clue.photo)]})
    return clue


def _alert_station(announcement: Announcement, clue: Clue) -> None:
    """A new clue alerts the station's tracers and head at once (in-app notification, 待办 page)."""
    from core.models import Role
    from deadlines.models import Notification

    for role in (Role.TRACER, Role.HEAD):
        Notification.objects.create(
            organisation=announcement.station, role=role,
            message=f"收到新的寻亲线索 {clue.reference}（公告 {announcement.code}，{announcement.person.name}），请尽快核实。")


def clue_submit(*, announcement: Announcement, data: dict[str, Any], photo=None, ip: str | None = None) -> Clue:
    """Rate-limit (per IP and per phone), then create the clue. The two steps commit separately on purpose:
    attempts are counted even when the clue itself is refused, otherwise a spammer could retry forever."""
    clue_throttle_hit(ip=ip, phone=normalise_phone(data.get("phone") or ""))
    return clue_create(announcement=announcement, data=data, photo=photo, ip=ip)


@transaction.atomic
def clue_set_status(*, by, clue: Clue, status: str, note: str = "") -> Clue:
    """Move a clue along new → following up → confirmed / not relevant, with the note."""
    clue = Clue.objects.select_for_update().select_related("announcement__person", "announcement__station").get(
        pk=clue.pk)
    note = (note or "").strip()
    if status not in ClueStatus.values:
        raise ValidationError({"status": "线索状态不正确。"})
    if status not in CLUE_TRANSITIONS[clue.status]:
        raise ValidationError({"status": f"线索当前为“{clue.get_status_display()}”，不能改为“{ClueStatus(status).label}”。"})
    if status == ClueStatus.NOT_RELEVANT and not note:
        raise ValidationError({"note": "判定为无关线索时请填写理由。"})
    before = snapshot(clue, ["status", "status_note", "handled_by", "handled_at"])
    clue.status, clue.status_note, clue.handled_by, clue.handled_at = status, note[:300], by, timezone.now()
    clue.save(update_fields=["status", "status_note", "handled_by", "handled_at", "updated_at"])
    audit_update(actor=by, obj=clue, before=before, organisation=clue.announcement.station,
                 person_uuid=clue.announcement.person.uuid,
                 summary=f"线索（公告 {clue.announcement.code}）改为“{clue.get_status_display()}”")
    return clue


def on_person_identified(event) -> None:
    """The person is identified (core.events.PersonIdentified): their announcements are withdrawn."""
    announcements_withdraw_for_person(by=event.by, person=event.person, reason=event.reason, at=event.at)


@transaction.atomic
def clue_identify(*, by, clue: Clue, identity: dict[str, Any]) -> Clue:
    """A confirmed clue establishes who the person is: hand over to tracing's identity_confirm, which
    records how, updates the file and publishes core.events.PersonIdentified (whose handlers withdraw
    the announcements, close tracing's open work and open the return plan)."""
    clue = Clue.objects.select_for_update().select_related("announcement__person", "announcement__station").get(
        pk=clue.pk)
    if clue.status != ClueStatus.CONFIRMED:
        raise ValidationError("请先将线索状态改为“已确认”。")
    if clue.identity_confirmed_at:
        raise ValidationError("已根据该线索确认过身份。")
    identity = dict(identity)
    note = (identity.pop("note", "") or "").strip()
    evidence = (f"寻亲公告 {clue.announcement.code} 收到线索：{clue.name}（{clue.relationship}，{clue.phone}）："
                f"{clue.content[:200]}" + (f"；核实：{note}" if note else ""))
    identity_confirm(by=by, person=clue.announcement.person, method=CLUE_METHOD, evidence=evidence, source=clue,
            **{k: v for k, v in identity.items() if k in ("name", "id_number", "hukou_division", "hukou_text")})
    clue.identity_confirmed_at = timezone.now()
    clue.save(update_fields=["identity_confirmed_at", "updated_at"])
    audit(actor=by, action=AuditAction.UPDATE, obj=clue, organisation=clue.announcement.station,
          person_uuid=clue.announcement.person.uuid, summary=f"根据寻亲线索（公告 {clue.announcement.code}）确认身份",
          changes={"identity_confirmed_at": [None, str(timezone.localtime(clue.identity_confirmed_at))]})
    return clue


#: The identification method tracing records for a clue from an announcement (rule N13: how identity was found).
CLUE_METHOD = "announcement"


def on_episode_closed(event) -> None:
    """Announcements' part of the one closing path: a person who left (or whose help ended) is no
    longer sought here; their announcements leave the public board at once (rule T3)."""
    announcements_withdraw_for_person(by=event.by, person=event.episode.person, reason=event.reason, at=event.at)
