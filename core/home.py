"""The home page of each role (issue 15): what the user has to do and the numbers of their work.

Every number is a dict ``{"label", "count", "url", "hint"}`` whose ``url`` opens the list the number counts,
with the filter applied, and the number is computed with that list's own selector (or the deadline inbox's
rules), so the home page, the list and the inbox agree. Each app answers for its own records: this module
only chooses which sections a user sees and calls the apps' selectors (imported lazily: the home page sits
on top of every app, as the navigation does).

Sections:
- ``tasks`` — everyone in an organisation: the user's 待办 (overdue / due today / due soon) and overdue per
  rule, from the deadline inbox's rules (``deadlines.selectors.task_counts``);
- ``station`` — users whose scope holds stations (not the police): people in care and what they need;
- ``police`` — police users: identity checks awaiting their answer (rule T2) and their missing-person reports;
- ``oversight`` — civil-affairs departments, regional centres and the supervision panel: overdue items by
  station, panel opinions awaiting an answer, hazards, incidents, stay reports awaiting acknowledgement;
- ``holder`` — users of a designated hospital or an outside-care facility: the people placed with them, those
  without a recent report, and (facilities) their agreements and periodic reports (rules C4, C5);
- ``figures`` — the statistician: episodes by state, this month's and last month's figures, the quarterly
  report due (rule O4) and submissions awaiting acknowledgement, with the way into the statistics (figures app).
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from core.models import STATION_KINDS, Organisation, OrgKind, Role
from core.scoping import visible_org_ids


def _url(name: str, fragment: str = "", **params) -> str:
    url = reverse(name)
    if params:
        url += "?" + urlencode(params)
    return url + (f"#{fragment}" if fragment else "")


def _item(label: str, count: int, url: str, hint: str = "", tone: str = "") -> dict:
    return {"label": label, "count": count, "url": url, "hint": hint, "tone": tone if count else ""}


def tasks_section(user, now: datetime.datetime) -> dict | None:
    """The user's 待办, as the inbox counts it (its rules, its organisation, its roles)."""
    if not user.organisation_id:
        return None
    from deadlines.registry import BUCKET_OVERDUE, BUCKET_SOON, BUCKET_TODAY
    from deadlines.selectors import task_counts

    data = task_counts(user=user)  # live: also the 待办 badge's count for this page
    counts = data["counts"]
    items = [
        _item("已逾期", counts[BUCKET_OVERDUE], _url("deadlines:inbox", "bucket-overdue"), tone="danger"),
        _item("今日到期", counts[BUCKET_TODAY], _url("deadlines:inbox", "bucket-today"), tone="warn"),
        _item("即将到期（3天内）", counts[BUCKET_SOON], _url("deadlines:inbox", "bucket-soon")),
    ]
    rules = [{"rule": row["rule"], "header": row["rule"].header, "title": row["rule"].title,
              "overdue": _item("已逾期", row[BUCKET_OVERDUE],
                               _url("deadlines:inbox", "bucket-overdue", rule=row["rule"].id), tone="danger"),
              "today": _item("今日到期", row[BUCKET_TODAY],
                             _url("deadlines:inbox", "bucket-today", rule=row["rule"].id), tone="warn")}
             for row in data["rules"]]
    return {"items": items, "rules": rules}


def station_section(user, now: datetime.datetime) -> dict | None:
    """People in care at the stations in scope and what they need (intake list and 在站人员 board)."""
    org = user.organisation
    if org is not None and org.kind == OrgKind.POLICE:
        return None
    ids = visible_org_ids(user)
    if not user.is_superuser and not Organisation.objects.filter(id__in=ids, kind__in=STATION_KINDS).exists():
        return None
    from people.selectors import dashboard_counts
    from stay.selectors import n5_missing

    counts = dashboard_counts(user=user, now=now)
    items = list(counts["items"])
    index = next(i for i, item in enumerate(items) if item["key"] == "over_limit") + 1
    items.insert(index, {"key": "n5_missing", "label": "超期未记录滞留原因", "hint": "N5",
                         "count": n5_missing(user=user, now=now).count(),
                         "url": _url("stay:board", flag="n5_missing")})
    for item in items:
        item["tone"] = "danger" if item["count"] and item["key"] in ("n5_missing", "flagged") else ""
    return {**counts, "items": items}


def police_section(user, now: datetime.datetime) -> dict | None:
    """Identity checks sent to the user's police organisation and its missing-person reports."""
    from tracing.models import CheckStatus
    from tracing.selectors import is_police_user, police_inbox

    if not is_police_user(user):
        return None
    from matching.models import ReportStatus
    from matching.selectors import report_list

    return {"items": [
        _item("身份核查待答复", police_inbox(user=user, status=CheckStatus.SENT).count(),
              _url("tracing:home", status=CheckStatus.SENT)),
        _item("其中超过48小时未答复", police_inbox(user=user, status=CheckStatus.SENT, overdue=True).count(),
              _url("tracing:home", status=CheckStatus.SENT, overdue="1"), hint="T2", tone="danger"),
        _item("已答复的身份核查", police_inbox(user=user, status=CheckStatus.ANSWERED).count(),
              _url("tracing:home", status=CheckStatus.ANSWERED)),
        _item("本单位走失报案：寻找中", report_list(user=user, status=ReportStatus.OPEN).count(),
              _url("matching:report_list", status=ReportStatus.OPEN)),
    ]}


def _is_oversight_user(user) -> bool:
    from deadlines.selectors import is_overview_user

    org = user.organisation
    return is_overview_user(user) or user.has_role(Role.PANEL) or (org is not None and org.kind == OrgKind.SUPERVISION)


def oversight_section(user, now: datetime.datetime) -> dict | None:
    """Overdue items by station (the 督办总览) and the open matters of supervision."""
    if not _is_oversight_user(user):
        return None
    from deadlines.selectors import overview
    from incidents.models import IncidentStatus
    from incidents.selectors import incident_list
    from oversight.models import OpinionStatus
    from oversight.selectors import hazard_list, opinion_list

    table = overview(user=user)
    stations = [{"name": row["organisation"],
                 "overdue": _item("逾期事项", row["total"], _url("deadlines:overview", organisation=row["org_uuid"]),
                                  tone="danger")}
                for row in table["rows"][:15] if row["org_uuid"]]
    items = [
        _item("辖区逾期事项合计", table["grand_total"], _url("deadlines:overview"), tone="danger"),
        _item("监督组意见待答复", opinion_list(user=user, status=OpinionStatus.OPEN).count(),
              _url("oversight:opinions", status=OpinionStatus.OPEN), hint="O2", tone="warn"),
        _item("监督组意见已答复、待确认", opinion_list(user=user, status=OpinionStatus.ANSWERED).count(),
              _url("oversight:opinions", status=OpinionStatus.ANSWERED), hint="O2"),
        _item("安全隐患未销号", hazard_list(user=user, status="open").count(), _url("oversight:hazards", status="open"),
              hint="O3"),
        _item("其中逾期未整改", hazard_list(user=user, status="open", overdue=True).count(),
              _url("oversight:hazards", status="open", overdue="1"), hint="O3", tone="danger"),
        _item("异常情况处置中", incident_list(user=user, status=IncidentStatus.OPEN).count(),
              _url("incidents:list", status=IncidentStatus.OPEN), hint="X1", tone="warn"),
    ]
    org = user.organisation
    if org is not None and org.kind == OrgKind.CIVIL_AFFAIRS:
        from stay.selectors import n5_reports

        items.append(_item("超期在站报告待确认", n5_reports(user=user, pending_only=True).count(),
                           _url("stay:n5_reports"), hint="N5", tone="warn"))
    return {"items": items, "stations": stations, "more_stations": max(0, len(table["rows"]) - 15),
            "as_of": table["as_of"], "from_snapshot": table["from_snapshot"]}


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def figures_section(user, now: datetime.datetime) -> dict | None:
    """The statistician's figures: episodes by state, requests and departures this month and last month."""
    if not (user.is_superuser or user.has_role(Role.STATISTICIAN)):
        return None
    from intake.selectors import intake_list
    from leaving.selectors import departure_list
    from people.selectors import dashboard_counts

    today = timezone.localtime(now).date()
    this_month = _month_start(today)
    last_month = _month_start(this_month - datetime.timedelta(days=1))
    months = []
    for first, last, label in ((this_month, today, f"{this_month:%Y年%-m月}（至今）"),
                               (last_month, this_month - datetime.timedelta(days=1), f"{last_month:%Y年%-m月}")):
        dates = {"date_from": first, "date_to": last}
        params = {k: v.isoformat() for k, v in dates.items()}
        months.append({"label": label, "items": [
            _item("求助登记", intake_list(user=user, filters=dates).count(), _url("intake:list", **params)),
            _item("不予救助", intake_list(user=user, filters={**dates, "status": "refused"}).count(),
                  _url("intake:list", status="refused", **params)),
            _item("离站", departure_list(user=user, filters=dates).count(), _url("leaving:list", **params)),
        ]})
    counts = dashboard_counts(user=user, now=now)
    by_state = [item for item in counts["items"] if item["key"] == "requested" or item["key"].startswith("status_")]
    return {"by_state": by_state, "months": months, "reports_url": _url("tracing:report_index"),
            **_statistics_items(user, today)}


def _statistics_items(user, today: datetime.date) -> dict:
    """The statistics section (figures app): the quarterly report due (rule O4), submissions awaiting this
    organisation's acknowledgement, and when the summary tables were last refreshed."""
    from figures import dimensions as dims
    from figures.models import QuarterlyReport, ReportStatus
    from figures.selectors import incoming_submissions, last_refresh

    year, quarter = dims.previous_quarter(today)
    report = (QuarterlyReport.objects.filter(organisation_id=user.organisation_id, year=year, quarter=quarter).first()
              if user.organisation_id else None)
    status = report.get_status_display() if report else "未生成"
    waiting = incoming_submissions(user=user).count() if user.organisation_id else 0
    done = report is not None and report.status in (ReportStatus.SUBMITTED, ReportStatus.ACKNOWLEDGED)
    items = [
        {"label": f"{year}年第{quarter}季度统计报表", "count": status, "hint": "O4", "tone": "" if done else "warn",
         "url": _url("figures:report", report.uuid) if report else _url("figures:reports")},
        _item("待本单位接收的季度报表", waiting, _url("figures:reports", incoming="1"), hint="O4", tone="warn"),
    ]
    run = last_refresh()
    return {"statistics_url": _url("figures:home"), "statistics_items": items,
            "statistics_refreshed": run.finished_at if run else None}


def holder_section(user, now: datetime.datetime) -> dict | None:
    """A hospital's or facility's home: the people placed with it (only those) and what the station awaits."""
    from outsidecare.access import is_holder

    if not is_holder(user):
        return None
    from outsidecare.selectors import agreement_list, placement_list

    placed = placement_list(user=user)
    week_ago = now - datetime.timedelta(days=7)
    stale = placed.exclude(last_report__gte=week_ago)
    items = [
        _item("在本机构的受助人员", placed.count(), _url("outsidecare:home", "people-out")),
        _item("7天内未报告病情/情况", stale.count(), _url("outsidecare:home", "people-out"), tone="warn"),
    ]
    if user.organisation.kind == OrgKind.CARE_FACILITY:
        items.append(_item("有效的托养协议", agreement_list(user=user, in_force=True).count(),
                           _url("outsidecare:home", "agreements"), hint="C5"))
    return {"items": items}  # numbers only: the home page is exempt from the read audit, the list is not


def home_sections(*, user, now: datetime.datetime | None = None) -> dict:
    """The sections of ``user``'s home page (None for those that do not concern them)."""
    now = now or timezone.now()
    return {
        "tasks": tasks_section(user, now),
        "police": police_section(user, now),
        "holder": holder_section(user, now),
        "station": station_section(user, now),
        "oversight": oversight_section(user, now),
        "figures": figures_section(user, now),
    }
