"""Rule O4: the campaign summary table (情况汇总表) of a hand-counted fixture city (see conftest.py)."""

import datetime
import types

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaign import columns as cols
from campaign import selectors, services
from campaign.tests.conftest import AS_OF, EXPECTED, before, person_with_episode, refresh_figures, scan
from core.models import Division, Organisation, OrgKind

pytestmark = pytest.mark.django_db

CODES = ["441800", "441802", "441803", "441821", "441823", "441825", "441826", "441881", "441882"]
INDEX = {c.key: i for i, c in enumerate(cols.COLUMNS)}


def _no_parallel_apps(monkeypatch):
    def missing(name):
        raise ImportError(name)

    monkeypatch.setattr(selectors, "import_contract", missing)


def _cell(row, key):
    return row["cells"][INDEX[key]]


def test_o4_every_computed_column_matches_the_hand_count(city, campaign, monkeypatch):
    _no_parallel_apps(monkeypatch)
    data = selectors.table(user=city.cast.city_supervisor, campaign=campaign, as_of=AS_OF)
    assert [r["code"] for r in data["rows"]] == CODES
    assert data["rows"][0]["name"] == "市本级" and data["rows"][7]["name"] == "英德市"
    for key, expected in EXPECTED.items():
        got = {r["code"]: r["values"][key] for r in data["rows"] if r["values"][key]}
        assert got == expected, key
    total = data["total"]["cells"]
    assert total[INDEX["stations_total"]] == 4 and total[INDEX["stations_inspected"]] == 1
    assert total[INDEX["stranded_at"]] == 6 and total[INDEX["stranded_unidentified"]] == 3
    assert total[INDEX["identified"]] == 1 and total[INDEX["poverty_wandering"]] == 2
    assert total[INDEX["four_level_network"]] == 1 and total[INDEX["staff"]] == 2
    assert total[INDEX["counties"]] == 8  # 市本级 is not a county
    # 市级、县级分别注明: the minor centre (市本级) and the city station (清城区, run by the city department)
    assert total[INDEX["ledger_stations"]] == "2（市级1，县级1）"
    assert total[INDEX["registry_stations"]] == "1（市级1，县级0）"
    assert _cell(data["rows"][7], "incidents") == "是（2起）" and _cell(data["rows"][8], "incidents") == "否"
    assert total[INDEX["incidents"]] == "是（2起）"


def test_o4_a_later_date_counts_what_happened_since(city, campaign, monkeypatch):
    _no_parallel_apps(monkeypatch)
    later = selectors.table(user=city.cast.city_supervisor, campaign=campaign, as_of=AS_OF + datetime.timedelta(days=3))
    rows = {r["code"]: r["values"] for r in later["rows"]}
    # D was identified two days after AS_OF; 连州's ledger entry and incident came after it too.
    assert rows["441881"]["stranded_unidentified"] == 1
    assert rows["441881"]["identified"] == 1
    assert rows["441882"]["ledger_stations"] == 1 and rows["441882"]["incidents"] == 1


def test_o4_columns_of_apps_not_yet_built_show_not_available(city, campaign, monkeypatch):
    _no_parallel_apps(monkeypatch)
    data = selectors.table(user=city.cast.city_supervisor, campaign=campaign, as_of=AS_OF)
    keys = set(cols.CONTRACT_KEYS[cols.OUTSIDECARE]) | set(cols.CONTRACT_KEYS[cols.SETTLEMENT])
    assert set(data["unavailable"]) == keys
    for key in keys:
        assert {_cell(r, key) for r in data["rows"]} == {cols.NOT_AVAILABLE}
        assert data["total"]["cells"][INDEX[key]] == cols.NOT_AVAILABLE


def test_o4_a_module_without_the_contract_function_is_not_available_either(city, campaign, monkeypatch):
    monkeypatch.setattr(selectors, "import_contract", lambda name: types.SimpleNamespace())
    data = selectors.table(user=city.cast.city_supervisor, campaign=campaign, as_of=AS_OF)
    assert "facilities_total" in data["unavailable"] and "settlement_plans" in data["unavailable"]


def test_o4_outside_care_and_settlement_figures_come_from_their_apps_contract(city, campaign, monkeypatch):
    cast = city.cast
    calls = []

    def outsidecare(org_ids, start, end, as_of):
        calls.append(("outsidecare", sorted(org_ids), start, end, as_of))
        return {"facilities_total": {city.facility.pk: 1}, "facilities_inspected": {city.facility.pk: 1},
                "outside_care_at": {cast.station.pk: 5, cast.city_station.pk: 2}, "brought_back": {cast.station.pk: 3},
                # a facility of another city is never counted in 清远's rows
                }

    def settlement(org_ids, start, end, as_of):
        calls.append(("settlement", sorted(org_ids), start, end, as_of))
        return {"settlement_applications": {cast.station.pk: 4}, "settlement_plans": {cast.station.pk: 3},
                "settlement_approvals": {cast.station.pk: 2, cast.other_station.pk: 9},
                "long_term_no_hukou": {city.lz_station.pk: 1}}

    fakes = {"outsidecare.selectors": types.SimpleNamespace(campaign_figures=outsidecare),
             "settlement.selectors": types.SimpleNamespace(campaign_figures=settlement)}
    monkeypatch.setattr(selectors, "import_contract", lambda name: fakes[name])
    data = selectors.table(user=cast.city_supervisor, campaign=campaign, as_of=AS_OF)
    assert data["unavailable"] == []
    rows = {r["code"]: r["values"] for r in data["rows"]}
    assert rows["441881"]["facilities_total"] == 1 and rows["441881"]["facilities_inspected"] == 1
    assert rows["441881"]["outside_care_at"] == 5 and rows["441802"]["outside_care_at"] == 2
    assert rows["441881"]["brought_back"] == 3
    assert rows["441881"]["settlement_applications"] == 4 and rows["441882"]["long_term_no_hukou"] == 1
    total = data["total"]["cells"]
    assert total[INDEX["outside_care_at"]] == 7 and total[INDEX["settlement_approvals"]] == 2  # not 韶关's 9
    # asked once each, with the organisations in scope and the period up to the table's date
    assert [c[0] for c in calls] == ["outsidecare", "settlement"]
    assert cast.other_station.pk not in calls[0][1] and cast.station.pk in calls[0][1]
    assert calls[0][2:] == (campaign.starts_on, AS_OF, AS_OF)


def test_o4_declarations_fill_their_columns_with_the_latest_before_the_date(city, campaign, monkeypatch):
    _no_parallel_apps(monkeypatch)
    cast = city.cast
    yd, lz = Division.objects.get(code="441881"), Division.objects.get(code="441882")
    services.declaration_create(by=cast.city_supervisor, campaign=campaign, division=yd, document=scan(), data={
        "declared_on": AS_OF - datetime.timedelta(days=30), "leadership_mechanism": True, "meetings_held": 2,
        "leadership_note": "3月、5月召开联席会议", "patrol_duties": True, "pay_policy": True,
        "leaders_guidance": "副市长调研"})
    services.declaration_create(by=cast.city_supervisor, campaign=campaign, division=lz, document=scan(), data={
        "declared_on": AS_OF - datetime.timedelta(days=60), "patrol_duties": False})
    services.declaration_create(by=cast.city_supervisor, campaign=campaign, division=lz, document=scan(), data={
        "declared_on": AS_OF + datetime.timedelta(days=10), "patrol_duties": True})
    data = selectors.table(user=cast.city_supervisor, campaign=campaign, as_of=AS_OF)
    rows = {r["code"]: r for r in data["rows"]}
    assert _cell(rows["441881"], "leadership") == "已成立；召开会议2次：3月、5月召开联席会议"
    assert _cell(rows["441881"], "patrol_duties") == 1 and _cell(rows["441882"], "patrol_duties") == 0
    assert _cell(rows["441881"], "pay_policy") == "已落实" and _cell(rows["441881"], "leaders_guidance") == "副市长调研"
    assert _cell(rows["441821"], "leadership") == cols.NOT_DECLARED
    total = data["total"]["cells"]
    assert total[INDEX["patrol_duties"]] == 1
    assert total[INDEX["leadership"]] == "1个县（市、区）已成立，共召开会议2次"
    assert total[INDEX["pay_policy"]] == "1个县（市、区）已落实"


def test_o4_a_county_department_sees_only_its_own_row(city, campaign, monkeypatch):
    _no_parallel_apps(monkeypatch)
    data = selectors.table(user=city.cast.county_supervisor, campaign=campaign, as_of=AS_OF)
    assert [r["code"] for r in data["rows"]] == ["441881"]
    assert data["rows"][0]["values"]["stranded_at"] == 4 and data["total"]["cells"][INDEX["stranded_at"]] == 4


def test_o4_a_station_sees_its_own_figures_in_its_county_row(city, campaign, monkeypatch):
    _no_parallel_apps(monkeypatch)
    data = selectors.table(user=city.cast.head, campaign=campaign, as_of=AS_OF)
    assert [r["code"] for r in data["rows"]] == ["441881"]
    assert data["rows"][0]["values"]["poverty_wandering"] == 0  # the county department's records are not its own


def test_o4_another_city_gets_nothing(city, campaign):
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.campaign_get(user=city.cast.outsider, uuid=campaign.uuid)
    assert not selectors.campaign_list(user=city.cast.outsider).exists()
    assert selectors.area_rows(city.cast.outsider, campaign) == []


def _more_counties(cast, n):
    """Stations with people in ``n`` more counties of the city (each with an episode, an incident, staff)."""
    from incidents.models import Incident
    from staff.models import StaffMember

    for code in ["441803", "441821", "441823", "441825", "441826"][:n]:
        dept = Organisation.objects.create(name=f"{code}民政局", code=f"M{code}", kind=OrgKind.CIVIL_AFFAIRS,
                                           division=Division.objects.get(code=code), supervisor=cast.city_dept)
        station = Organisation.objects.create(name=f"{code}救助站", code=f"S{code}", kind=OrgKind.STATION,
                                              division=Division.objects.get(code=code), supervisor=dept)
        for days in (15, 25, 35):
            person_with_episode(station, admitted=before(days), by=cast.reception)
        Incident.objects.create(number=f"Q{code}", station=station, kind="death", occurred_at=before(3),
                                title="x", description="x", recorded_by=cast.city_supervisor)
        StaffMember.objects.create(organisation=station, name="丁", post="接待员", hired_on=datetime.date(2020, 1, 1))


def test_o4_table_queries_do_not_grow_with_counties_or_episodes(city, campaign, monkeypatch):
    _no_parallel_apps(monkeypatch)
    user = city.cast.city_supervisor
    selectors.table(user=user, campaign=campaign, as_of=AS_OF)  # warm caches (content types, etc.)
    user.__dict__.pop("_visible_org_ids", None)
    cache.clear()  # the statistics' figures are cached until the next refresh: both runs read them afresh
    with CaptureQueriesContext(connection) as small:
        selectors.table(user=user, campaign=campaign, as_of=AS_OF)
    _more_counties(city.cast, 5)
    refresh_figures()
    user.__dict__.pop("_visible_org_ids", None)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        data = selectors.table(user=user, campaign=campaign, as_of=AS_OF)
    assert data["total"]["cells"][INDEX["stranded_at"]] == 6 + 15
    assert len(large.captured_queries) == len(small.captured_queries)


def test_o4_the_stock_columns_are_the_statistics_stock_and_not_available_before_any_refresh(city, campaign, monkeypatch):
    from figures.models import RefreshRun

    _no_parallel_apps(monkeypatch)
    data = selectors.table(user=city.cast.city_supervisor, campaign=campaign, as_of=AS_OF)
    assert data["stock_refreshed_at"] and not set(selectors.STOCK_KEYS) & set(data["unavailable"])
    RefreshRun.objects.all().delete()
    data = selectors.table(user=city.cast.city_supervisor, campaign=campaign, as_of=AS_OF)
    assert set(selectors.STOCK_KEYS) <= set(data["unavailable"]) and data["stock_refreshed_at"] == ""
    assert data["total"]["cells"][INDEX["stranded_at"]] == cols.NOT_AVAILABLE
