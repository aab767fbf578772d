"""API of the deadlines app (/api/v1/deadlines): the inbox, the overview, rules, outcomes as of a moment,
the statutory calendar and notifications. Same selectors, services and permissions as the pages."""

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status

from core.scoping import get_scoped_or_404, visible_org_ids
from deadlines import selectors, services
from deadlines.models import Notification
from deadlines.registry import discover, get_rule

router = Router()


class ItemOut(Schema):
    rule: str
    title: str
    bucket: str
    label: str
    start: datetime.datetime
    due: datetime.datetime
    due_fallback: bool
    period: str
    progress: str
    url: str
    person_uuid: uuid.UUID | None


class InboxOut(Schema):
    as_of: datetime.datetime
    counts: dict[str, int]
    items: list[ItemOut]
    fallback_years: list[int]


class OverviewRow(Schema):
    organisation: str
    overdue: dict[str, int]
    total: int


class OverviewOut(Schema):
    as_of: datetime.datetime
    rows: list[OverviewRow]
    rates: list[dict]


class RuleOut(Schema):
    id: str
    title: str
    due: str
    role: str
    fulfilled_by: str
    default_amount: int
    effective_amount: int
    source: str


class OutcomeOut(Schema):
    subject: uuid.UUID
    start: datetime.datetime
    due: datetime.datetime
    done_at: datetime.datetime | None
    status: str
    status_label: str


class DayOut(Schema):
    date: datetime.date
    kind: str
    name: str


class DayIn(Schema):
    date: datetime.date
    kind: str = Field(..., max_length=16)
    name: str = Field("", max_length=50)


class RuleSettingIn(Schema):
    amount: int | None = Field(None, ge=1, le=3650)
    note: str = Field("", max_length=200)


class NotificationOut(Schema):
    uuid: uuid.UUID
    message: str
    is_escalation: bool
    created_at: datetime.datetime
    read_at: datetime.datetime | None


def _item_out(i) -> dict:
    return {"rule": i.rule.id, "title": i.rule.title, "bucket": i.bucket, "label": i.label, "start": i.start,
            "due": i.due.at, "due_fallback": i.due.fallback, "period": i.period, "progress": i.progress,
            "url": i.url, "person_uuid": i.person_uuid}


@router.get("/inbox", response=InboxOut)
def inbox(request):
    """The caller's tasks (their organisation and roles): overdue, due today, due soon."""
    data = selectors.inbox(user=request.user)
    items = [_item_out(i) for bucket in data["buckets"].values() for i in bucket]
    return {"as_of": data["as_of"], "counts": data["counts"], "items": items, "fallback_years": data["fallback_years"]}


@router.get("/overview", response=OverviewOut)
def overview(request, as_of: datetime.datetime | None = None, months: int = Query(3, ge=1, le=24)):
    """Overdue items by organisation and rule across the caller's scope, and on-time rates."""
    table = selectors.overview(user=request.user, as_of=as_of)
    rows = [{"organisation": r["organisation"], "total": r["total"],
             "overdue": {rule.id: c for rule, c in zip(table["rules"], r["cells"], strict=True) if c}}
            for r in table["rows"]]
    rates = [{"rule": r["rule"].id, "organisation": r["organisation"], "month": r["month"], "on_time": r["on_time"],
              "decided": r["decided"], "rate": r["rate"]}
             for r in selectors.on_time_rates(user=request.user, as_of=as_of, months=max(1, min(months, 12)))]
    return {"as_of": table["as_of"], "rows": rows, "rates": rates}


@router.get("/rules", response=list[RuleOut])
def rules(request):
    """Every declared deadline rule with its due computation in words."""
    return [{"id": r["rule"].id, "title": r["rule"].title, "due": r["describe"], "role": r["rule"].role,
             "fulfilled_by": r["rule"].fulfilment.what if r["rule"].fulfilment else "",
             "default_amount": r["default"], "effective_amount": r["effective"], "source": r["rule"].source}
            for r in selectors.rule_table()]


@router.put("/rules/settings/{rule_id}", response={200: dict})
def rule_setting(request, payload: RuleSettingIn, rule_id: str = Path(..., max_length=16)):
    """Administrators: make a rule stricter (``amount``), or return to the default (``amount: null``)."""
    services.require_settings_admin(request.user)
    setting = services.rule_setting_set(by=request.user, rule_id=rule_id, amount=payload.amount, note=payload.note)
    return {"rule_id": rule_id, "amount": setting.amount if setting else None}


@router.get("/outcomes", response=list[OutcomeOut])
def outcomes(request, rule: str = Query(..., max_length=16), as_of: datetime.datetime | None = None, started_from: datetime.datetime | None = None):
    """Per subject of one one-off rule in the caller's scope: met, late, overdue, open — as known at ``as_of``."""
    if rule not in discover():
        raise ValidationError({"rule": f"没有编号为 {rule} 的时限规则。"})
    declared = get_rule(rule)
    if declared.recurrence:
        raise ValidationError({"rule": f"{rule} 是周期性事项，请查看待办。"})
    from deadlines.registry import evaluate

    as_of = as_of or timezone.now()
    started_from = started_from or as_of - datetime.timedelta(days=92)
    return [{"subject": o.subject.uuid, "start": o.start, "due": o.due.at, "done_at": o.done_at, "status": o.status,
             "status_label": o.status_label}
            for o in evaluate(declared, as_of=as_of, org_ids=visible_org_ids(request.user), started_from=started_from)]


@router.get("/calendar", response=list[DayOut])
def calendar(request, year: int = Query(..., ge=1900, le=2100)):
    """The statutory calendar of one year (days off and make-up working days)."""
    return list(selectors.calendar_days(year=year).values("date", "kind", "name"))


@router.post("/calendar", response={201: DayOut})
def calendar_set(request, payload: DayIn):
    """Administrators: enter or change one day of the State Council's notice."""
    day = services.holiday_set(by=request.user, date=payload.date, kind=payload.kind, name=payload.name)
    return Status(201, {"date": day.date, "kind": day.kind, "name": day.name})


@router.get("/notifications", response=list[NotificationOut])
def notifications(request, unread_only: bool = True):
    return list(selectors.notifications(user=request.user, unread_only=unread_only))


@router.get("/notifications/{uuid}", response=NotificationOut)
def notification(request, uuid: uuid.UUID):
    return get_scoped_or_404(Notification.objects.all(), request.user, uuid=uuid)


@router.post("/notifications/{uuid}/read", response=NotificationOut)
def notification_read(request, uuid: uuid.UUID):
    """Mark a notification of the caller's own organisation read (supervisors reading a station's: 403)."""
    item = get_scoped_or_404(Notification.objects.select_related("item"), request.user, uuid=uuid)
    return services.notification_mark_read(by=request.user, notification=item)
