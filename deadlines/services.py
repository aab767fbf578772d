"""Every write of the deadlines app: the statutory calendar, stricter thresholds, the periodic scan with its
notifications, and marking notifications read. Each in one transaction with its audit entry."""

from __future__ import annotations

import csv
import datetime
import io

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit, audit_create, audit_update, snapshot
from core.models import AuditAction, Organisation, Role, User
from deadlines.calendar import load_calendar
from deadlines.models import (
    DayKind,
    DeadlineSnapshot,
    HolidayCalendar,
    Notification,
    OverdueItem,
    RuleSetting,
)
from deadlines.registry import ESCALATE_TO_SUPERVISOR, discover, get_rule
from deadlines.senders import Message, send_all


#: Who may edit the calendar and thresholds: installation-wide settings.
def require_settings_admin(user) -> None:
    """Only system administrators (or superusers) change the calendar and the thresholds."""
    if not (user.is_authenticated and (user.is_superuser or user.has_role(Role.ADMIN))):
        raise PermissionDenied("只有系统管理员可以修改法定节假日和时限设置。")


def _admin_org(by) -> Organisation | None:
    return getattr(by, "organisation", None)


def _validate_day(date, kind: str, name: str) -> None:
    errors = {}
    if not isinstance(date, datetime.date):
        errors["date"] = "请填写日期。"
    elif not 2000 <= date.year <= 2100:
        errors["date"] = "日期应在2000年至2100年之间。"
    if kind not in DayKind.values:
        errors["kind"] = "类型应为“法定节假日”或“调休上班日”。"
    elif isinstance(date, datetime.date) and kind == DayKind.WORKDAY and date.weekday() < 5:
        errors["kind"] = f"{date:%Y-%m-%d} 是工作日（周一至周五），无需登记为调休上班日。"
    if len(name or "") > 50:
        errors["name"] = "节日名称不超过50个字。"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def holiday_set(*, by, date: datetime.date, kind: str, name: str = "") -> HolidayCalendar:
    """Enter or change one day of the State Council's notice (a day off, or a weekend worked)."""
    require_settings_admin(by)
    _validate_day(date, kind, name)
    day = HolidayCalendar.objects.filter(date=date).first()
    if day is None:
        day = HolidayCalendar.objects.create(date=date, kind=kind, name=name)
        audit_create(actor=by, obj=day, summary=f"登记法定节假日安排 {date:%Y-%m-%d} {day.get_kind_display()}",
                     organisation=_admin_org(by))
        return day
    before = snapshot(day)
    day.kind, day.name = kind, name
    day.save()
    audit_update(actor=by, obj=day, before=before, summary=f"修改法定节假日安排 {date:%Y-%m-%d}",
                 organisation=_admin_org(by))
    return day


@transaction.atomic
def holiday_delete(*, by, day: HolidayCalendar) -> None:
    require_settings_admin(by)
    audit(actor=by, action=AuditAction.DELETE, obj=day, summary=f"删除法定节假日安排 {day.date:%Y-%m-%d}",
          organisation=_admin_org(by), changes={"date": [day.date.isoformat(), None], "kind": [day.kind, None]})
    day.delete()


KIND_WORDS = {"holiday": DayKind.HOLIDAY, "休": DayKind.HOLIDAY, "假": DayKind.HOLIDAY, "节假日": DayKind.HOLIDAY,
              "法定节假日": DayKind.HOLIDAY, "workday": DayKind.WORKDAY, "班": DayKind.WORKDAY,
              "调休上班": DayKind.WORKDAY, "调休上班日": DayKind.WORKDAY, "上班": DayKind.WORKDAY}


@transaction.atomic
def holidays_import_csv(*, by, content: bytes | str) -> int:
    """Import ``date,kind,name`` lines (kind: holiday/workday or 休/班); all lines or none. Returns the count."""
    require_settings_admin(by)
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                content = content.decode("gb18030")
            except UnicodeDecodeError as exc:
                raise ValidationError({"file": "无法识别文件编码，请保存为 UTF-8 的 CSV 文件。"}) from exc
    rows = []
    errors = []
    for number, row in enumerate(csv.reader(io.StringIO(content)), start=1):
        if not row or not "".join(row).strip() or row[0].strip().lower() in ("date", "日期"):
            continue
        try:
            date = datetime.date.fromisoformat(row[0].strip())
        except ValueError:
            errors.append(f"第{number}行：日期“{row[0]}”格式不正确（应为 2027-01-01）。")
            continue
        kind = KIND_WORDS.get(row[1].strip() if len(row) > 1 else "", None)
        if kind is None:
            errors.append(f"第{number}行：类型应为 holiday/workday（或 休/班）。")
            continue
        name = row[2].strip() if len(row) > 2 else ""
        try:
            _validate_day(date, kind, name)
        except ValidationError as exc:
            errors.append(f"第{number}行：" + "；".join(exc.messages))
            continue
        rows.append((date, kind, name))
    if errors:
        raise ValidationError({"file": errors[:20]})
    if not rows:
        raise ValidationError({"file": "文件中没有可导入的日期。"})
    for date, kind, name in rows:
        HolidayCalendar.objects.update_or_create(date=date, defaults={"kind": kind, "name": name})
    years = sorted({d.year for d, _, _ in rows})
    audit(actor=by, action=AuditAction.CREATE, object_type="deadlines.HolidayCalendar", object_id="csv",
          summary=f"导入法定节假日安排 {len(rows)} 天（{'、'.join(map(str, years))}年）", organisation=_admin_org(by),
          changes={"rows": [None, len(rows)], "years": [None, years]})
    return len(rows)


@transaction.atomic
def rule_setting_set(*, by, rule_id: str, amount: int | None, note: str = "") -> RuleSetting | None:
    """Make a rule stricter for this installation (never looser than the code's/statute's value);
    ``amount=None`` returns to the default."""
    require_settings_admin(by)
    rules = discover()
    if rule_id not in rules:
        raise ValidationError({"rule_id": f"没有编号为 {rule_id} 的时限规则。"})
    rule = rules[rule_id]
    current = RuleSetting.objects.filter(rule_id=rule_id).first()
    if amount is None:
        if current is not None:
            audit(actor=by, action=AuditAction.DELETE, obj=current, summary=f"时限规则 {rule_id} 恢复默认值",
                  organisation=_admin_org(by), changes={"amount": [current.amount, None]})
            current.delete()
        return None
    default = rule.default_amount()
    if amount < 1:
        raise ValidationError({"amount": "时限数值至少为1。"})
    if amount > default:
        raise ValidationError({"amount": f"只能设置得更严格：{rule_id} 的时限不能超过默认值 {default}。"})
    if current is None:
        current = RuleSetting.objects.create(rule_id=rule_id, amount=amount, note=note, changed_by=by)
        audit_create(actor=by, obj=current, summary=f"设置时限规则 {rule_id}：{amount}", organisation=_admin_org(by))
        return current
    before = snapshot(current)
    current.amount, current.note, current.changed_by = amount, note, by
    current.save()
    audit_update(actor=by, obj=current, before=before, summary=f"修改时限规则 {rule_id}：{amount}",
                 organisation=_admin_org(by))
    return current


@transaction.atomic
def notification_mark_read(*, by, notification: Notification) -> Notification:
    """Mark a notification read for its organisation (anyone of that organisation may)."""
    if by.organisation_id != notification.organisation_id and not by.is_superuser:
        raise PermissionDenied("只能处理本机构的通知。")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.read_by = by
        notification.save(update_fields=["read_at", "read_by", "updated_at"])
        audit(actor=by, action=AuditAction.UPDATE, obj=notification, summary=f"督办通知已读：{notification.message[:80]}",
              organisation=notification.organisation, person_uuid=notification.item.person_uuid
              if notification.item_id else None, changes={"read_at": [None, "已读"]})
    return notification


def _escalation_org(rule, item_subject, organisation: Organisation) -> Organisation | None:
    if rule.escalate == ESCALATE_TO_SUPERVISOR:
        return organisation.supervisor
    if rule.escalate:
        target = item_subject
        for part in rule.escalate.split("__"):
            target = getattr(target, part, None)
        return target if isinstance(target, Organisation) else None
    return None


def _recipients(organisation: Organisation, role: str) -> list[dict]:
    users = User.objects.filter(organisation=organisation, is_active=True)
    if role:
        users = users.filter(user_roles__role__in=[role, Role.HEAD]).distinct()
    return [{"name": str(u), "phone": u.phone, "email": u.email} for u in users[:50]]


#: Months of on-time rates the scan keeps ready for the overview.
RATE_MONTHS = 6


@transaction.atomic
def snapshot_take(*, as_of: datetime.datetime | None = None) -> DeadlineSnapshot:
    """Scan every rule across all organisations; record items newly overdue (notifying the organisation's
    role and, by escalation, the supervising department), and resolve the ones no longer overdue.

    Each item is notified once: an open OverdueItem row remembers it until a scan no longer finds it."""
    from deadlines.selectors import rule_overrides

    as_of = as_of or timezone.now()
    cal = load_calendar()
    overrides = rule_overrides()
    counts: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    new_items: list[tuple] = []
    by_org: dict[str, dict[str, int]] = {}
    for rule in discover().values():
        keys = rule.overdue_keys(as_of, cal, overrides)
        counts[rule.id] = len(keys)
        per_org: dict[str, int] = {}
        for _pk, org_id in keys.values():
            per_org[str(org_id)] = per_org.get(str(org_id), 0) + 1
        by_org[rule.id] = per_org
        open_keys = set(OverdueItem.objects.filter(rule_id=rule.id, resolved_at__isnull=True)
                        .values_list("subject_key", flat=True))
        seen.update((rule.id, key) for key in keys)
        new_pks = [pk for key, (pk, _org) in keys.items() if key not in open_keys]
        fresh = []
        for item in rule.items_for(as_of, cal, new_pks, overrides=overrides):
            if item.key in keys and item.key not in open_keys:
                fresh.append((item, OverdueItem(
                    rule_id=rule.id, subject_key=item.key, organisation_id=item.organisation_id, role=rule.role,
                    label=item.label[:200], person_uuid=item.person_uuid, due_at=item.due.at, first_seen_at=as_of)))
        OverdueItem.objects.bulk_create([row for _, row in fresh], batch_size=1000)
        new_items += [(rule, item, row) for item, row in fresh]
    stale = [pk for pk, rule_id, key in OverdueItem.objects.filter(resolved_at__isnull=True)
             .values_list("id", "rule_id", "subject_key") if (rule_id, key) not in seen]
    for start in range(0, len(stale), 1000):
        OverdueItem.objects.filter(pk__in=stale[start:start + 1000]).update(resolved_at=as_of)
    resolved = len(stale)
    notifications, messages = _notifications_for(new_items)
    Notification.objects.bulk_create(notifications, batch_size=1000)
    from deadlines.selectors import rates_raw

    rates = {"months": RATE_MONTHS, "rows": rates_raw(org_ids=None, as_of=as_of, months=RATE_MONTHS),
             "overdue_by_org": by_org}
    snap = DeadlineSnapshot.objects.create(taken_at=as_of, counts=counts, new_items=len(new_items),
                                           resolved_items=resolved, rates=rates)
    audit(actor=None, action=AuditAction.CREATE, obj=snap,
          summary=f"时限扫描：新增逾期 {len(new_items)} 项，消除 {resolved} 项", changes={"counts": [None, counts]})
    # Senders talk to the outside world: only once the rows are committed.
    transaction.on_commit(lambda: [send_all(m) for m in messages])
    if new_items or resolved:
        transaction.on_commit(bump_nav_generation)
    return snap


#: More new overdue items than this for one organisation and rule in one scan → one summary notification.
NOTIFY_EACH_UP_TO = 5


def _notifications_for(new_items) -> tuple[list[Notification], list[Message]]:
    """In-app notifications and sender messages for newly overdue items: one per item, or one summary per
    organisation and rule when a scan finds many (the first scan of an existing installation); the same for
    the escalation to the supervising department."""
    orgs: dict[int, Organisation] = {}

    def org(pk):
        if pk not in orgs:
            orgs[pk] = Organisation.objects.select_related("supervisor").get(pk=pk)
        return orgs[pk]

    groups: dict[tuple[int, str], list] = {}
    for rule, item, row in new_items:
        groups.setdefault((item.organisation_id, rule.id), []).append((rule, item, row))
    notifications: list[Notification] = []
    messages: list[Message] = []
    for (org_id, _rule_id), entries in groups.items():
        organisation = org(org_id)
        rule = entries[0][0]
        if len(entries) <= NOTIFY_EACH_UP_TO:
            texts = []
            for _, item, row in entries:
                when = timezone.localtime(item.due.at)
                texts.append((row, f"【已逾期】{rule.id} {rule.title}：{item.label}，应于 {when:%Y-%m-%d %H:%M} 前完成。"))
        else:
            texts = [(None, f"【已逾期】{rule.id} {rule.title}：新增 {len(entries)} 项，请在待办中查看。")]
        targets = {}
        for _, item, _row in entries:
            target = _escalation_org(rule, item.subject, organisation)
            if target is not None:
                targets[target.pk] = target
        for row, text in texts:
            notifications.append(Notification(organisation=organisation, role=rule.role, item=row, message=text[:300]))
            messages.append(Message(subject=f"归途督办 {rule.id}", body=text,
                                    recipients=_recipients(organisation, rule.role)))
            for target in targets.values():
                escalated = f"【逾期上报】{organisation.name}：{text}"
                notifications.append(Notification(organisation=target, role="", item=row, is_escalation=True,
                                                  message=escalated[:300]))
                messages.append(Message(subject=f"归途督办上报 {rule.id}", body=escalated,
                                        recipients=_recipients(target, Role.SUPERVISOR)))
    return notifications, messages


def notify(*, organisation: Organisation, role: str, message: str) -> Notification:
    """An in-app notification to ``organisation``'s ``role`` (and its head), copied through the configured
    senders once the caller's transaction commits — for events other apps report at once (incidents, X1)."""
    note = Notification.objects.create(organisation=organisation, role=role, message=message[:300])
    outgoing = Message(subject="督办通知", body=message, recipients=_recipients(organisation, role))
    transaction.on_commit(lambda: send_all(outgoing))
    return note


def bump_nav_generation() -> None:
    """Invalidate every user's cached badge count (the next page view re-counts)."""
    from django.core.cache import cache

    cache.set("deadlines:nav:gen", (cache.get("deadlines:nav:gen") or 0) + 1, None)


def rule_label(rule_id: str) -> str:
    return get_rule(rule_id).title
