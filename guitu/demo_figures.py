"""The demo city's statistics (issue 13, rules N13 and O4): the summary tables refreshed, and quarterly
reports in every state — acknowledged, awaiting acknowledgement, returned and corrected, a consolidated
department report, a draft — all through the figures services."""

from __future__ import annotations

import datetime

from core.models import Organisation, User
from figures import dimensions as dims
from figures import services
from figures.models import QuarterlyReport, RefreshTrigger
from figures.refresh import refresh

H = datetime.timedelta(hours=1)


def seed_figures(orgs: dict[str, Organisation], staff: dict[str, User], now: datetime.datetime, *, stdout=None) -> int:
    from guitu.demo import _do

    run = refresh(trigger=RefreshTrigger.COMMAND, full=True)
    if QuarterlyReport.objects.exists():
        return 0
    year, quarter = dims.previous_quarter(now.date())
    earlier = dims.previous_quarter(dims.quarter_bounds(year, quarter)[0])
    yd_head, city_head = staff["yd_zhanzhang"], staff["zhanzhang"]
    yd_bureau, tongji = staff["yd_jianguan"], staff["tongji"]
    t = now - 30 * H

    def station_report(by, org, y, q):
        report = _do(t, services.report_generate, by=by, organisation=org, year=y, quarter=q)
        _do(t + H, services.report_review, by=by, report=report, note="已核对")
        _do(t + 2 * H, services.report_submit, by=by, report=report)
        return report

    # the quarter before last: the city station's report was returned for a correction and submitted again
    older = station_report(city_head, orgs["city"], *earlier)
    _do(t + 3 * H, services.report_return, by=tongji, report=older, reason="离站方式“转送”与转送登记数不一致，请核对后重报。")
    _do(t + 4 * H, services.report_generate, by=city_head, organisation=orgs["city"], year=earlier[0], quarter=earlier[1])
    _do(t + 5 * H, services.report_review, by=city_head, report=older, note="已按转送登记更正")
    _do(t + 6 * H, services.report_submit, by=city_head, report=older)
    _do(t + 7 * H, services.report_acknowledge, by=tongji, report=older)
    # last quarter: 英德站 submitted and acknowledged; 英德市民政局 consolidated it and submitted upward (awaiting
    # the city bureau); 清远站 submitted (awaiting); the city bureau's own consolidation is a draft
    yd = station_report(yd_head, orgs["yd"], year, quarter)
    _do(t + 8 * H, services.report_acknowledge, by=yd_bureau, report=yd)
    station_report(yd_bureau, orgs["yd_bureau"], year, quarter)
    station_report(city_head, orgs["city"], year, quarter)
    _do(t + 9 * H, services.report_generate, by=tongji, organisation=orgs["bureau"], year=year, quarter=quarter)
    if stdout:
        stdout.write(f"  统计汇总已刷新（{run.episodes} 个救助过程，{run.facts} 行）；季度统计报表 "
                     f"{QuarterlyReport.objects.count()} 份（规则 O4）\n")
    return QuarterlyReport.objects.count()
