"""Every write to people and episodes: one function per action, in a transaction, with its audit entry."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from pypinyin import lazy_pinyin

from core import events
from core.audit import audit, audit_create, audit_update, snapshot
from core.crypto import decrypt_id
from core.idnumbers import store_id_number
from core.images import take_image
from core.models import AuditAction, Organisation, Role
from core.scoping import scoped
from guitu_match.normalise import clean_name, parse_name, primary_pinyin
from people.models import (
    Episode,
    EpisodeTransition,
    FamilyContact,
    IdentityStatus,
    Person,
    PersonPhoto,
    PersonStation,
    PhotoKind,
    Sequence,
    ShareRequest,
    ShareStatus,
)
from people.states import (
    CLOSED,
    IN_CARE,
    MOVE_PATHS_BY_TARGET,
    STATUS_LABELS,
    EpisodeStatus,
    TransitionNotAllowed,
    check_transition,
)


def next_sequence(key: str) -> int:
    """Allocate the next number for ``key`` atomically (file numbers, provisional names)."""
    with transaction.atomic():
        seq, _ = Sequence.objects.select_for_update().get_or_create(key=key)
        Sequence.objects.filter(pk=seq.pk).update(value=F("value") + 1)
        seq.refresh_from_db(fields=["value"])
        return seq.value


def name_pinyin(name: str) -> tuple[str, str]:
    """Toneless pinyin ("zhang san") and initials ("zs") of a name, for search.

    Surnames take their surname reading (单 → shan, 曾 → zeng) through the matching engine's table.
    """
    if not name:
        return "", ""
    parsed = parse_name(name) if clean_name(name) == name else None
    primary = primary_pinyin(parsed) if parsed and not parsed.nickname else None
    if primary:
        syllables = primary.split()
    else:
        syllables = [s for s in lazy_pinyin(name, errors="ignore") if s.strip() and s.isascii() and s.isalpha()]
    return " ".join(syllables).lower(), "".join(s[0] for s in syllables).lower()


@transaction.atomic
def provisional_name(station: Organisation, year: int) -> str:
    """无名氏-站-年-序号, e.g. 无名氏-清远站-2026-007."""
    seq = next_sequence(f"provisional:{station.pk}:{year}")
    return f"无名氏-{station.display_short}-{year}-{seq:03d}"


def _apply_id_number(person, id_number: str, keep_unchecked: bool = False) -> None:
    """Validate (GB 11643) and store encrypted + keyed hash + masked; sex and birth date must agree. A number that
    fails its check is kept as said only when ``keep_unchecked`` (core.idnumbers)."""
    store_id_number(person, id_number, keep_unchecked=keep_unchecked)


def _derive(person: Person, today: datetime.date) -> None:
    person.name_pinyin, person.name_initials = name_pinyin(person.name)
    if person.birth_date:
        person.birth_year_est = person.birth_date.year
    elif person.age_min is not None and person.age_max is not None and not person.birth_year_est:
        person.birth_year_est = today.year - (person.age_min + person.age_max) // 2
    age = person.age_on(today)
    if age is None and person.age_max is not None:
        age = person.age_max
    if age is not None:
        person.is_minor = age < 18
        person.is_elderly = age >= 60


def _validate_person(person: Person, today: datetime.date) -> None:
    errors: dict[str, str] = {}
    if person.birth_date and person.birth_date > today:
        errors["birth_date"] = "出生日期不能晚于今天。"
    if person.birth_date and person.birth_date.year < 1900:
        errors["birth_date"] = "出生日期不合理（早于1900年）。"
    if person.birth_year_est and not (1900 <= person.birth_year_est <= today.year):
        errors["birth_year_est"] = f"估计出生年份应在1900年至{today.year}年之间。"
    if person.age_min is not None and person.age_max is not None and person.age_min > person.age_max:
        errors["age_max"] = "年龄上限不能小于下限。"
    if person.height_cm is not None and not (40 <= person.height_cm <= 250):
        errors["height_cm"] = "身高应在40至250厘米之间。"
    if not person.name.strip():
        errors["name"] = "请填写姓名；身份不明时选择“使用临时姓名”。"
    if errors:
        raise ValidationError(errors)


def mask_name(name: str) -> str:
    """``张三丰`` → ``张**``: enough for a receptionist to recognise a match, not to learn a name."""
    name = (name or "").strip()
    return (name[0] + "*" * max(len(name) - 1, 1)) if name else "（无姓名）"


def existing_file_notice(*, user, person: Person) -> str:
    """What ``user`` may be told about an existing file with the same ID number (hole 5, within hole 2).

    In scope: the file itself. Out of scope: only the holding station, its phone and a masked name.
    """
    station = person.current_station or person.registered_by
    if scoped(Person.objects.filter(pk=person.pk), user).exists():
        return (f"该身份证号已有档案 {person.file_no}（{person.name}，{station.name}）。"
                "一人一档（规则E4）：请在查重结果中选择该档案登记，不要重复建档。")
    phone = f"（电话 {station.phone}）" if station.phone else ""
    return (f"该身份证号已在{station.name}建档（姓名 {mask_name(person.name)}）。为保护个人信息，这里不显示档案内容；"
            f"请联系{station.name}{phone}，或在查重结果中向该站申请共享档案。")


def _save_person_one_file_per_id(*, by, person: Person) -> None:
    """Save, turning the database's one-live-file-per-ID-number constraint into a Chinese message.

    A pre-check alone would let two simultaneous registrations both pass (issue 8 hole 5); the
    unique index decides, and the loser learns where the file is.
    """
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        existing = (Person.objects.select_related("current_station", "registered_by")
                    .filter(id_number_hash=person.id_number_hash, merged_into__isnull=True)
                    .exclude(pk=person.pk).first()) if person.id_number_hash else None
        if existing is None:
            raise
        raise ValidationError({"id_number": existing_file_notice(user=by, person=existing)}) from None


@transaction.atomic
def person_create(*, by, station: Organisation, data: dict[str, Any], id_number: str = "",
                  use_provisional_name: bool = False, keep_unchecked_id: bool = False) -> Person:
    """Open a new lifelong file (rule E4); unknown people get a provisional name."""
    today = timezone.localdate()
    person = Person(**data, registered_by=station, current_station=station)
    if use_provisional_name or not (person.name or "").strip():
        person.name = provisional_name(station, today.year)
        person.name_is_provisional = True
    _apply_id_number(person, id_number, keep_unchecked_id)
    if person.id_number_hash and person.identity_status == IdentityStatus.UNIDENTIFIED and not person.name_is_provisional:
        person.identity_status = IdentityStatus.PENDING
    _derive(person, today)
    _validate_person(person, today)
    person.file_no = f"{station.code}-{today.year}-{next_sequence(f'file:{station.pk}:{today.year}'):05d}"
    _save_person_one_file_per_id(by=by, person=person)
    PersonStation.objects.get_or_create(person=person, station=station)
    audit_create(actor=by, obj=person, summary=f"建立人员档案 {person.file_no} {person.name}",
                 organisation=station, person_uuid=person.uuid)
    return person


@transaction.atomic
def person_update(*, by, person: Person, data: dict[str, Any], id_number: str | None = None,
                  keep_unchecked_id: bool = False) -> Person:
    """Change a file's fields; ``id_number=None`` leaves the stored number untouched."""
    today = timezone.localdate()
    before = snapshot(person)
    for field, value in data.items():
        setattr(person, field, value)
    if before["name_is_provisional"] and person.name != before["name"] and "name_is_provisional" not in data:
        person.name_is_provisional = False  # a real name replaces the provisional one
    if id_number is not None:
        _apply_id_number(person, id_number, keep_unchecked_id)
    _derive(person, today)
    _validate_person(person, today)
    _save_person_one_file_per_id(by=by, person=person)
    audit_update(actor=by, obj=person, before=before, summary=f"修改人员档案 {person.file_no}",
                 organisation=person.current_station or person.registered_by, person_uuid=person.uuid)
    return person


def _refuse_second_open_episode(*, person: Person, station: Organisation) -> None:
    open_episode = Episode.objects.filter(person=person, status__in=[*IN_CARE, EpisodeStatus.REQUESTED]).first()
    if open_episode is not None:
        where = "本站" if open_episode.station_id == station.pk else "其他机构"
        raise ValidationError(f"该人员在{where}尚有未结束的救助过程（{open_episode.number}，"
                              f"{open_episode.status_label}），请先办理离站、不予救助或终止救助。"
                              "如刚刚有同事同时登记，请刷新后查看。")


@transaction.atomic
def episode_open(*, by, person: Person, station: Organisation, channel: str,
                 requested_at: datetime.datetime | None = None) -> Episode:
    """Record a request for help (rule I1): every request opens an episode, also those later refused."""
    requested_at = requested_at or timezone.now()
    if requested_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"requested_at": "求助时间不能晚于当前时间。"})
    _refuse_second_open_episode(person=person, station=station)
    year = timezone.localtime(requested_at).year
    number = f"{station.code}-J{year}-{next_sequence(f'episode:{station.pk}:{year}'):05d}"
    try:
        # Two simultaneous registrations both pass the check above; the partial unique index
        # one_open_episode_per_person lets one win (issue 8 hole 5) and the other is told why.
        with transaction.atomic():
            episode = Episode.objects.create(number=number, person=person, station=station, channel=channel,
                                             requested_at=requested_at, created_by=by,
                                             status=EpisodeStatus.REQUESTED)
    except IntegrityError:
        _refuse_second_open_episode(person=person, station=station)
        raise
    EpisodeTransition.objects.create(episode=episode, from_status="", to_status=EpisodeStatus.REQUESTED,
                                     at=requested_at, by=by, note="求助登记")
    PersonStation.objects.get_or_create(person=person, station=station)
    if person.current_station_id != station.pk:
        Person.objects.filter(pk=person.pk).update(current_station=station)
        person.current_station = station
    audit_create(actor=by, obj=episode, summary=f"求助登记 {episode.number}", organisation=station,
                 person_uuid=person.uuid)
    return episode


@transaction.atomic
def episode_transition(*, by, episode: Episode, to: str, at: datetime.datetime | None = None,
                       note: str = "") -> Episode:
    """Move an episode along an allowed edge of the state machine, recording who and when.

    Called by the service that writes the move's own record (admission, bed, placement …; see
    ``people.states.MOVE_PATHS``). End states are refused here: an episode ends only through
    :func:`episode_close`, so every way out frees the bed, closes placements and the rest.
    """
    if to in CLOSED:
        label = STATUS_LABELS.get(to, to)
        raise ValidationError(f"“{label}”须通过{MOVE_PATHS_BY_TARGET.get(to, '相应的登记')}办理，"
                              "不能直接变更状态。")
    return _move(by=by, episode=episode, to=to, at=at, note=note)


@transaction.atomic
def episode_close(*, by, episode: Episode, to: str, at: datetime.datetime | None = None, note: str = "",
                  reason: str = "", return_belongings: bool = True, went_home: bool = False) -> Episode:
    """End an episode (已离站, 不予救助 or 终止救助) — the one closing path (rules E1, N3, N7).

    Moves the episode, then publishes ``core.events.EpisodeClosed`` in the same transaction: the bed
    is freed and placements end (stay), belongings are counted back (intake), tracing tasks and
    police checks close (tracing), announcements leave the public board (announcements). Called by
    leaving.services.departure_create and intake.services.intake_refuse / intake_terminate.
    """
    if to not in CLOSED:
        raise ValidationError(f"“{STATUS_LABELS.get(to, to)}”不是结束状态。")
    at = at or timezone.now()
    episode = _move(by=by, episode=episode, to=to, at=at, note=note)
    events.publish(events.EpisodeClosed(
        episode=episode, by=by, status=to, at=at,
        reason=reason or f"救助过程结束（{STATUS_LABELS[to]}）", return_belongings=return_belongings,
        went_home=went_home))
    return episode


def _move(*, by, episode: Episode, to: str, at: datetime.datetime | None, note: str) -> Episode:
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    at = at or timezone.now()
    try:
        check_transition(episode.status, to)
    except TransitionNotAllowed as exc:
        raise ValidationError(str(exc)) from exc
    if at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError("变更时间不能晚于当前时间。")
    last = episode.transitions.order_by("-at", "-id").first()
    if last and at < last.at:
        raise ValidationError(f"变更时间不能早于上一次状态变更（{timezone.localtime(last.at):%Y-%m-%d %H:%M}）。")
    before = snapshot(episode, ["status", "admitted_at", "left_at", "closed_reason"])
    from_status = episode.status
    episode.status = to
    if to == EpisodeStatus.ADMITTED and not episode.admitted_at:
        episode.admitted_at = at
    if to == EpisodeStatus.IN_HOSPITAL and not episode.admitted_at:
        episode.admitted_at = at  # rule I3: emergency care first; the stay counts from here
    if to in (EpisodeStatus.LEFT, EpisodeStatus.TERMINATED, EpisodeStatus.REFUSED):
        episode.left_at = at if episode.admitted_at else None
        if episode.admitted_at and at < episode.admitted_at:
            raise ValidationError("离站时间不能早于入站时间。")
        episode.closed_reason = note[:300]
    episode.save()
    EpisodeTransition.objects.create(episode=episode, from_status=from_status, to_status=to, at=at, by=by, note=note)
    audit(actor=by, action=AuditAction.TRANSITION, obj=episode,
          summary=f"{episode.number}：{STATUS_LABELS[from_status]} → {STATUS_LABELS[to]}",
          organisation=episode.station, person_uuid=episode.person.uuid,
          changes={k: v for k, v in {
              key: [before[key], val] for key, val in snapshot(episode, before.keys()).items()
          }.items() if v[0] != v[1]})
    return episode


# --- the file's own records: photos, family contacts, views and reveals ------------------------------

#: Who may see a full ID number (besides police of the person's own organisation).
REVEAL_ROLES = (Role.HEAD, Role.RECEPTION, Role.TRACER, Role.ADMIN)


def _person_org(person: Person) -> Organisation:
    return person.current_station or person.registered_by


def _check_taken_on(taken_on: datetime.date | None, today: datetime.date) -> dict[str, str]:
    if taken_on is None:
        return {"taken_on": "请填写拍摄日期。"}
    if taken_on > today:
        return {"taken_on": "拍摄日期不能晚于今天。"}
    if taken_on.year < 1900:
        return {"taken_on": "拍摄日期不合理。"}
    return {}


@transaction.atomic
def photo_add(*, by, person: Person, image, kind: str = PhotoKind.PORTRAIT, taken_on: datetime.date | None = None,
              note: str = "") -> PersonPhoto:
    """Store one photo of a person privately (rule N6: photo at intake; rule T3 uses it for announcements)."""
    errors = _check_taken_on(taken_on, timezone.localdate())
    if kind not in PhotoKind.values:
        errors["kind"] = "照片类型不正确。"
    if errors:
        raise ValidationError(errors)
    clean = take_image(image, field="image", label="照片")  # pixel cap, re-encode, EXIF (GPS) stripped
    photo = PersonPhoto(person=person, image=clean.as_file("photo"), kind=kind, taken_on=taken_on, note=note[:200], uploaded_by=by,
                        organisation=by.organisation or _person_org(person))
    photo.save()
    audit_create(actor=by, obj=photo, summary=f"上传照片（{photo.get_kind_display()}，{taken_on:%Y-%m-%d}）",
                 organisation=_person_org(person), person_uuid=person.uuid)
    return photo


def _validate_contact(contact: FamilyContact) -> None:
    errors = {}
    if not contact.name.strip():
        errors["name"] = "请填写亲属姓名。"
    if not contact.relationship.strip():
        errors["relationship"] = "请填写与受助人员的关系。"
    if contact.phone and not all(ch.isdigit() or ch in "+-() " for ch in contact.phone):
        errors["phone"] = "电话号码只能包含数字和“+-()”。"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def contact_create(*, by, person: Person, data: dict[str, Any]) -> FamilyContact:
    """Add a relative or friend to contact (rule N2)."""
    contact = FamilyContact(person=person, **data)
    _validate_contact(contact)
    contact.save()
    audit_create(actor=by, obj=contact, summary=f"添加亲属联系人 {contact.name}（{contact.relationship}）",
                 organisation=_person_org(person), person_uuid=person.uuid)
    return contact


@transaction.atomic
def contact_update(*, by, contact: FamilyContact, data: dict[str, Any]) -> FamilyContact:
    before = snapshot(contact)
    for field, value in data.items():
        setattr(contact, field, value)
    _validate_contact(contact)
    contact.save()
    audit_update(actor=by, obj=contact, before=before, summary=f"修改亲属联系人 {contact.name}",
                 organisation=_person_org(contact.person), person_uuid=contact.person.uuid)
    return contact


@transaction.atomic
def contact_delete(*, by, contact: FamilyContact) -> None:
    person = contact.person
    audit(actor=by, action=AuditAction.DELETE, obj=contact, object_id=str(contact.pk),
          summary=f"删除亲属联系人 {contact.name}（{contact.relationship}）", organisation=_person_org(person),
          person_uuid=person.uuid, changes={k: [v, None] for k, v in snapshot(contact).items() if v})
    contact.delete()


def person_record_view(*, by, person: Person, via: str = "页面") -> None:
    """Rule E4: opening a person's file is logged (who, when, from where)."""
    audit(actor=by, action=AuditAction.VIEW, obj=person, summary=f"查阅人员档案 {person.file_no}（{via}）",
          organisation=_person_org(person), person_uuid=person.uuid)


def may_reveal_id(user, person: Person) -> bool:
    """Full ID numbers: head, reception, tracer, admin; police only of the person's own organisation."""
    if user.is_superuser or user.has_role(*REVEAL_ROLES):
        return True
    if user.has_role(Role.POLICE) and user.organisation_id:
        orgs = {person.registered_by_id, person.current_station_id}
        return user.organisation_id in orgs or person.episodes.filter(station_id=user.organisation_id).exists()
    return False


@transaction.atomic
def person_reveal_id(*, by, person: Person, reason: str = "") -> str:
    """Return the full ID number; every reveal is audited (AuditAction.REVEAL). Others get 403.

    An installation superuser sees every file without belonging to any of them, so they state a reason,
    which the audit entry keeps (三员分立, docs/security.md)."""
    if not may_reveal_id(by, person):
        raise PermissionDenied("您的角色不能查看完整身份证号。")
    reason = (reason or "").strip()[:200]
    if by.is_superuser and not reason:
        raise ValidationError({"reason": "安装管理员查看完整身份证号须填写理由（将记入审计日志）。"})
    number = decrypt_id(person.id_number_enc)
    if not number:
        raise ValidationError("该档案没有登记身份证号。")
    audit(actor=by, action=AuditAction.REVEAL, obj=person,
          summary=f"查看完整身份证号 {person.file_no}" + (f"，理由：{reason}" if reason else ""),
          organisation=_person_org(person), person_uuid=person.uuid, changes={"reason": reason} if reason else None)
    return number


@transaction.atomic
def episode_set_flags(*, by, episode: Episode, repeat_requests: bool = False, foreign: bool = False) -> Episode:
    """Raise the screening flags on an episode: rule I6 (repeated requests) and rule I7 (suspected foreigner).

    Flags are only raised here, never lowered: a flag records what was known at the request.
    """
    changes = {}
    if repeat_requests and not episode.flag_repeat_requests:
        changes["flag_repeat_requests"] = [False, True]
    if foreign and not episode.flag_foreign:
        changes["flag_foreign"] = [False, True]
    if not changes:
        return episode
    Episode.objects.filter(pk=episode.pk).update(**{k: v[1] for k, v in changes.items()})
    for field, (_, new) in changes.items():
        setattr(episode, field, new)
    labels = []
    if "flag_repeat_requests" in changes:
        labels.append("6个月内多次求助，重点甄别（规则I6）")
    if "flag_foreign" in changes:
        labels.append("疑似外籍人员，须报公安核实（规则I7）")
    audit(actor=by, action=AuditAction.UPDATE, obj=episode, summary=f"{episode.number} 标记：" + "；".join(labels),
          organisation=episode.station, person_uuid=episode.person.uuid, changes=changes)
    return episode


# --- merging two files of one person (issue 3; added for the matching app's review) -----------------

@transaction.atomic
def person_merge(*, by, keep: Person, merge: Person) -> Person:
    """Merge ``merge`` into ``keep`` after a person confirmed they are the same (rule E4: one person, one file).

    Nothing is moved or deleted: ``merge.merged_into = keep``; episodes, photos, contacts and the
    timeline stay attached to their original file, lists hide the merged file, and the kept file's
    page shows both. :func:`person_unmerge` undoes it. Both files' timelines record the merge.
    """
    keep = Person.objects.select_for_update().get(pk=keep.pk)
    merge = Person.objects.select_for_update().get(pk=merge.pk)
    if keep.pk == merge.pk:
        raise ValidationError("不能把档案合并到它自己。")
    if merge.merged_into_id:
        raise ValidationError(f"档案 {merge.file_no} 已合并到其他档案，请先撤销原合并。")
    if keep.merged_into_id:
        raise ValidationError(f"保留档案 {keep.file_no} 本身已被合并，请选择最终保留的档案。")
    if Person.objects.filter(merged_into=merge).exists():
        raise ValidationError(f"档案 {merge.file_no} 下还合并有其他档案，请先撤销那些合并或选它作为保留档案。")
    open_states = [*IN_CARE, EpisodeStatus.REQUESTED]
    if (Episode.objects.filter(person=keep, status__in=open_states).exists()
            and Episode.objects.filter(person=merge, status__in=open_states).exists()):
        raise ValidationError("两份档案都有未结束的救助过程，请先结束其中一个再合并。")
    Person.objects.filter(pk=merge.pk).update(merged_into=keep, updated_at=timezone.now())
    merge.merged_into = keep
    changes = {"merged_into": [None, str(keep)]}
    audit(actor=by, action=AuditAction.UPDATE, obj=merge, summary=f"档案 {merge.file_no} 合并到 {keep.file_no}（同一人）",
          organisation=_person_org(merge), person_uuid=merge.uuid, changes=changes)
    audit(actor=by, action=AuditAction.UPDATE, obj=keep, summary=f"合并档案 {merge.file_no} 到本档案（同一人，保留两边历史）",
          organisation=_person_org(keep), person_uuid=keep.uuid, changes={"merged_from": [None, str(merge)]})
    Person.objects.filter(pk=keep.pk).update(updated_at=timezone.now())
    return keep


@transaction.atomic
def person_unmerge(*, by, merge: Person) -> Person:
    """Undo :func:`person_merge`: the merged file stands on its own again, with its own history."""
    merge = Person.objects.select_for_update().get(pk=merge.pk)
    keep = merge.merged_into
    if keep is None:
        raise ValidationError("该档案没有被合并，无需撤销。")
    try:
        with transaction.atomic():
            Person.objects.filter(pk=merge.pk).update(merged_into=None, updated_at=timezone.now())
    except IntegrityError:
        # hole 5: the two files share an ID number, so only one of them may be live
        raise ValidationError(f"档案 {merge.file_no} 与 {keep.file_no} 的身份证号相同，不能都作为独立档案；"
                              "如确属两人，请先更正其中一份档案的身份证号。") from None
    merge.merged_into = None
    audit(actor=by, action=AuditAction.UPDATE, obj=merge, summary=f"撤销合并：档案 {merge.file_no} 与 {keep.file_no} 分开",
          organisation=_person_org(merge), person_uuid=merge.uuid, changes={"merged_into": [str(keep), None]})
    audit(actor=by, action=AuditAction.UPDATE, obj=keep, summary=f"撤销合并：档案 {merge.file_no} 已从本档案分开",
          organisation=_person_org(keep), person_uuid=keep.uuid, changes={"merged_from": [str(merge), None]})
    Person.objects.filter(pk=keep.pk).update(updated_at=timezone.now())
    return merge


# --- share requests (issue 8 hole 2) ------------------------------------------------------------------------
SHARE_ASK_ROLES = (Role.RECEPTION, Role.MEDICAL, Role.HEAD)
SHARE_DECIDE_ROLES = (Role.RECEPTION, Role.HEAD)


@transaction.atomic
def share_request_create(*, by, person: Person, reason: str) -> ShareRequest:
    """Ask the station holding ``person``'s file to share it with ``by``'s station (rule E4)."""
    station = by.organisation
    if station is None or not station.is_station or not by.has_role(*SHARE_ASK_ROLES):
        raise PermissionDenied("只有救助管理机构的接待人员可以申请共享档案。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请写明申请理由（如：该人员现在本站求助）。"})
    if len(reason) > 300:
        raise ValidationError({"reason": "申请理由不能超过 300 个字符。"})
    if person.merged_into_id:
        person = person.merged_into
    if scoped(Person.objects.filter(pk=person.pk), by).exists():
        raise ValidationError("该档案已在本机构范围内，无需申请共享。")
    holder = person.current_station or person.registered_by
    try:
        with transaction.atomic():
            share = ShareRequest.objects.create(person=person, requesting_station=station, holding_station=holder,
                                                requested_by=by, reason=reason)
    except IntegrityError:
        raise ValidationError("本机构已就该档案提出共享申请，正在等待对方处理。") from None
    # The audit entry belongs to both ends; the holder's inbox lists the request itself.
    audit_create(actor=by, obj=share, summary=f"{station.name} 申请 {holder.name} 共享档案（理由：{reason[:100]}）",
                 organisation=holder, person_uuid=person.uuid)
    return share


@transaction.atomic
def share_request_decide(*, by, share: ShareRequest, accept: bool, note: str = "") -> ShareRequest:
    """The holding station accepts (the asking station joins the file) or declines a share request."""
    share = ShareRequest.objects.select_for_update().select_related("person", "requesting_station",
                                                                     "holding_station").get(pk=share.pk)
    if by.organisation_id != share.holding_station_id or not by.has_role(*SHARE_DECIDE_ROLES):
        raise PermissionDenied("只有档案所在机构的接待人员或站长可以处理共享申请。")
    if share.status != ShareStatus.PENDING:
        raise ValidationError(f"该申请已{share.get_status_display()}，不能再处理。")
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError({"note": "处理说明不能超过 300 个字符。"})
    if not accept and not note:
        raise ValidationError({"note": "拒绝时请写明原因，以便对方了解。"})
    before = snapshot(share)
    share.status = ShareStatus.ACCEPTED if accept else ShareStatus.DECLINED
    share.decided_by, share.decided_at, share.decision_note = by, timezone.now(), note
    share.save()
    if accept:
        PersonStation.objects.get_or_create(person=share.person, station=share.requesting_station)
    verb = "同意" if accept else "拒绝"
    audit_update(actor=by, obj=share, before=before, organisation=share.holding_station,
                 summary=f"{verb} {share.requesting_station.name} 共享档案 {share.person.file_no} 的申请",
                 person_uuid=share.person.uuid)
    return share
