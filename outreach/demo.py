"""Demo data for street outreach (rules P1–P3), through the services at their own moments: the city station's
hot-spot register, a seasonal campaign with an extreme-weather alert half covered, patrols with the people met,
and sightings from the public, 110 and 12345 in every state."""

import datetime

from django.utils import timezone

HOT_SPOTS = (
    ("bridge", "北江大桥桥洞", "清城区北江大桥南岸", "23.688120", "113.051640"),
    ("underpass", "人民一路地下通道", "清城区人民一路与先锋路交界", "23.682950", "113.056210"),
    ("station", "清远火车站广场", "清城区源潭镇清远站", "23.735410", "113.005560"),
    ("abandoned", "旧城区废弃厂房", "清城区旧城东门路", "23.679300", "113.061800"),
    ("heating", "新城供热管道井", "清城区新城凤翔大道", "23.702100", "113.021500"),
)


def seed_outreach(ctx, *, stdout=None) -> None:
    from core.models import Division
    from guitu.demo import _do
    from outreach import services
    from outreach.models import PatrolTask

    station = ctx.orgs["city"]
    head, desk = ctx.staff["zhanzhang"], ctx.staff["jiedai"]
    now = ctx.now
    county = Division.objects.get(code="441802")
    spots = [
        services.hot_spot_save(
            by=head,
            organisation=station,
            data={
                "county": county,
                "kind": kind,
                "name": name,
                "address": address,
                "latitude": lat,
                "longitude": lng,
            },
        )
        for kind, name, address, lat, lng in HOT_SPOTS
    ]
    # the campaign of the season we are in (or last winter's, out of season), with an alert two days in
    today = timezone.localdate(now)
    if 7 <= today.month <= 9:
        kind, starts, ends = "summer", datetime.date(today.year, 7, 1), datetime.date(today.year, 9, 30)
    elif today.month >= 11 or today.month <= 3:
        y = today.year if today.month >= 11 else today.year - 1
        kind, starts, ends = "winter", datetime.date(y, 11, 1), datetime.date(y + 1, 3, 31)
    else:
        kind, starts, ends = "winter", datetime.date(today.year - 1, 11, 1), datetime.date(today.year, 3, 31)
    campaign = services.campaign_create(
        by=head,
        organisation=station,
        kind=kind,
        starts_on=starts,
        ends_on=ends,
        note="全市各站同步开展，重点区域每日巡查",
    )
    tz = timezone.get_current_timezone()
    alert_at = min(
        max(now - datetime.timedelta(days=2), datetime.datetime.combine(starts, datetime.time(0), tz)),
        datetime.datetime.combine(ends, datetime.time(8), tz),
    )
    weather = "高温橙色预警" if kind == "summer" else "寒潮蓝色预警"
    _do(
        alert_at,
        services.weather_alert_issue,
        by=head,
        campaign=campaign,
        weather=weather,
        issued_at=alert_at,
        note="当晚完成全部重点区域巡查，发放衣被食品",
    )
    patrol = _do(
        alert_at + datetime.timedelta(hours=3),
        services.patrol_record,
        by=desk,
        organisation=station,
        data={
            "team": "市站巡查一组（李秀兰等3人）",
            "route": "北江大桥—人民一路—火车站",
            "started_at": alert_at + datetime.timedelta(hours=3),
        },
        hot_spots=spots[:3],
    )
    for offset, place, group, outcome, text in (
        (30, "北江大桥桥洞", "elderly", "escorted", "男，约70岁，衣着单薄，同意护送到站"),
        (60, "人民一路地下通道", "able", "guided", "男，约35岁，务工失业，告知救助政策"),
        (90, "清远火车站广场", "minor", "escorted", "男孩约13岁，独自一人，护送到站并报公安"),
    ):
        _do(
            alert_at + datetime.timedelta(hours=3, minutes=offset),
            services.encounter_record,
            by=desk,
            patrol=patrol,
            data={
                "place": place,
                "group": group,
                "outcome": outcome,
                "description": text,
                "met_at": alert_at + datetime.timedelta(hours=3, minutes=offset),
            },
        )
    _do(
        alert_at + datetime.timedelta(hours=6),
        services.patrol_end,
        by=desk,
        patrol=patrol,
        ended_at=alert_at + datetime.timedelta(hours=6),
    )
    # sightings: one closed, one dispatched, one just received from the public page
    s1 = _do(
        now - datetime.timedelta(hours=20),
        services.sighting_create,
        by=desk,
        station=station,
        source="110",
        data={"place": "清城区汽车客运站候车厅", "description": "女，约50岁，精神恍惚，说不清住址"},
    )
    _do(
        now - datetime.timedelta(hours=19, minutes=40),
        services.sighting_dispatch,
        by=desk,
        sighting=s1,
        team="巡查二组",
    )
    _do(now - datetime.timedelta(hours=19), services.sighting_arrive, by=desk, sighting=s1)
    _do(
        now - datetime.timedelta(hours=18),
        services.sighting_close,
        by=desk,
        sighting=s1,
        outcome="emergency",
        note="送清远市第三人民医院检查，后转站内",
    )
    s2 = _do(
        now - datetime.timedelta(minutes=50),
        services.sighting_create,
        by=desk,
        station=station,
        source="12345",
        data={
            "place": "新城凤翔大道公交站",
            "description": "老人坐在站台一夜未走",
            "reporter_phone": "13902221234",
        },
    )
    _do(
        now - datetime.timedelta(minutes=40),
        services.sighting_dispatch,
        by=desk,
        sighting=s2,
        team="巡查一组",
    )
    _do(
        now - datetime.timedelta(minutes=15),
        services._public_sighting_create,
        station=station,
        photo=None,
        data={
            "place": "北江二路天桥下",
            "description": "有人睡在天桥下，身边有行李",
            "reporter_phone": "13800138000",
            "latitude": "23.690500",
            "longitude": "113.047800",
        },
    )
    if stdout:
        covered = PatrolTask.objects.filter(covered_at__isnull=False).count()
        stdout.write(f"  街面巡查：重点区域 {len(spots)} 处，预警巡查已覆盖 {covered} 处，发现报告 3 条")
