"""Scoping (a county never sees another city's figures; an outsider gets nothing), drill-down lists equal
their figures, and the page's query count does not grow with the number of episodes."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditAction, AuditEntry
from figures import dimensions as dims
from figures import selectors
from figures.selectors import Query

pytestmark = pytest.mark.django_db

Q1 = {"date_from": datetime.date(2025, 1, 1), "date_to": datetime.date(2025, 3, 31)}


def total(user, **kwargs) -> int:
    return selectors.figures(user=user, query=Query(**kwargs))["total"]


def test_n13_a_county_sees_only_its_county(cast, quarter):
    assert total(cast.county_supervisor, measure="requested", **Q1) == 3  # 英德 only, not 清远站's D
    names = {a["label"] for a in selectors.figures(user=cast.county_supervisor,
                                                   query=Query(measure="requested", **Q1))["areas"]}
    assert names == {"英德市救助管理站"}
    # asking for the whole city by its code still counts only what the county may see
    assert total(cast.county_supervisor, measure="requested", area="441800", **Q1) == 3
    assert total(cast.county_supervisor, measure="requested", area=str(cast.city_station.uuid), **Q1) == 0


def test_n13_an_unrelated_station_sees_nothing_of_the_city(cast, quarter):
    assert total(cast.outsider, measure="requested", **Q1) == 1  # its own E only
    assert total(cast.outsider, measure="requested", area="441800", **Q1) == 0
    assert not selectors.drilldown(user=cast.outsider, query=Query(measure="requested", area="441800", **Q1)).exists()
    names = {f.person.name for f in selectors.drilldown(user=cast.outsider, query=Query(measure="requested", **Q1))}
    assert names == {"戊统计"}


def test_n13_the_city_groups_by_county_city_and_province(cast, quarter, statistician):
    by = {g: {a["label"]: a["count"] for a in selectors.figures(
        user=statistician, query=Query(measure="requested", group=g, **Q1))["areas"]}
        for g in ("county", "city", "province")}
    assert by["county"] == {"英德市": 3, "清城区": 1}
    assert by["city"] == {"清远市": 4}
    assert by["province"] == {"广东省": 4}


def test_n13_people_without_a_statistics_role_are_refused(cast, quarter):
    with pytest.raises(PermissionDenied):
        selectors.figures(user=cast.police_officer, query=Query(measure="requested", **Q1))
    with pytest.raises(PermissionDenied):
        selectors.figures(user=cast.reception, query=Query(measure="requested", **Q1))


QUERIES = [Query(measure=m, **Q1) for m in dims.FLOW_MEASURES] + [
    Query(measure="care", as_of=datetime.date(2025, d[0], d[1])) for d in ((2, 4), (2, 5), (3, 31))]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.measure}-{q.as_of or q.date_from}")
def test_n13_every_drilldown_lists_exactly_the_people_its_figure_counts(cast, quarter, statistician, query):
    data = selectors.figures(user=statistician, query=Query(**{k: getattr(query, k) for k in
                                                             ("measure", "date_from", "date_to", "as_of")}))
    fresh = Query(**{k: getattr(query, k) for k in ("measure", "date_from", "date_to", "as_of")})
    assert selectors.drilldown(user=statistician, query=fresh).count() == data["total"]
    checked = 0
    for b in data["breakdowns"]:
        for row in b["rows"]:
            listed = selectors.drilldown(user=statistician, query=Query(**{k: getattr(query, k) for k in (
                "measure", "date_from", "date_to", "as_of")}), dimension=b["dimension"], key=row["key"]).count()
            assert listed == row["count"], (b["dimension"], row["key"])
            checked += 1
    assert checked > 10


def test_n13_the_drilldown_page_is_read_audited_and_scoped(client, cast, quarter, statistician):
    client.force_login(statistician)
    response = client.get("/figures/people/", {"measure": "requested", "date_from": "2025-01-01",
                                                "date_to": "2025-03-31", "dimension": "sex", "key": "女"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "乙统计" in body and "甲统计" not in body
    entry = AuditEntry.objects.filter(action=AuditAction.READ, actor=statistician).latest("at")
    assert str(quarter.b.person.uuid) in str(entry.changes)
    client.force_login(cast.outsider)
    body = client.get("/figures/people/", {"measure": "requested", "date_from": "2025-01-01",
                                           "date_to": "2025-03-31"}).content.decode()
    assert "乙统计" not in body and "戊统计" in body


def test_n13_the_statistics_page_query_count_does_not_grow_with_episodes(client, cast, quarter, statistician):
    from django.core.cache import cache

    from figures.models import RefreshTrigger
    from figures.refresh import refresh
    from figures.testing import bulk_episodes

    client.force_login(statistician)
    params = {"measure": "requested", "date_from": "2025-01-01", "date_to": "2025-03-31", "group": "county"}

    def page_queries(*, cold=True):
        if cold:  # the figures as first asked after a refresh (selectors._cached keeps them until the next)
            cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/figures/", params).status_code == 200
        return len(ctx)

    page_queries()  # warm: the first request of a session also loads per-session caches (navigation badge, …)
    before = page_queries()
    bulk_episodes(stations=[cast.station, cast.city_station], by=cast.reception, count=600,
                  start=datetime.date(2025, 1, 1), days=90)
    refresh(trigger=RefreshTrigger.COMMAND)
    assert total(statistician, measure="requested", **Q1) == 604
    assert page_queries() == before
    # asked again before the next refresh: the figures come from the cache, not the summary tables
    assert page_queries(cold=False) < before
