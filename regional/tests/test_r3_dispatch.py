"""Rule R3 (and R1): the dispatch view, centre-wide search, the information board and unified training."""

import pytest
from django.utils import timezone

from core.models import AuditAction, AuditEntry, Division
from regional import selectors, services

pytestmark = pytest.mark.django_db


def test_r3_the_dispatch_view_counts_the_region_per_station(region):
    cast = region.cast
    region.admit("甲调度")
    region.admit("乙调度")
    from deadlines.tests.conftest import admit

    admit(cast, timezone.now(), station_user=cast.outsider, name="外区人员")
    batch = services.batch_create(by=region.centre_head, route="清远—贵阳", departs_on=timezone.localdate(),
                                  vehicle="粤R·A1", staff=[region.escort_1])
    services.batch_member_add(by=region.centre_head, batch=batch, episode=region.admit("丙调度"),
                              destination=Division.objects.get(code="520100"))
    services.batch_start(by=region.centre_head, batch=batch)
    figures = selectors.dispatch_figures(user=region.centre_head)
    per_station = {r["station"].pk: r for r in figures["rows"]}
    assert per_station[cast.station.pk]["in_care"] == 3
    assert cast.other_station.pk not in per_station  # outside the region
    assert figures["totals"]["in_care"] == 3
    assert [b.pk for b in figures["under_way"]] == [batch.pk]
    # the other centre sees its own region only
    other = selectors.dispatch_figures(user=region.other_centre_head)
    assert {r["station"].pk for r in other["rows"]} == {region.other_centre.pk, cast.other_station.pk}
    assert other["totals"]["in_care"] == 1 and not other["under_way"]


def test_r3_the_dispatch_page_refreshes_its_figures_without_reloading(region, client):
    region.admit("甲刷新")
    client.force_login(region.centre_head)
    page = client.get("/regional/dispatch/").content.decode()
    assert 'hx-get="/regional/dispatch/figures/"' in page and 'hx-trigger="every 30s"' in page
    fragment = client.get("/regional/dispatch/figures/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert "英德市救助管理站" in fragment.content.decode()


def test_r3_only_the_centres_staff_open_the_dispatch_view(region, client):
    for user in (region.cast.reception, region.cast.outsider, region.cast.city_supervisor):
        client.force_login(user)
        for url in ("/regional/dispatch/", "/regional/dispatch/figures/", "/regional/search/?q=甲",
                    "/regional/board/", "/regional/training/", "/api/v1/regional/dispatch"):
            assert client.get(url).status_code == 403, (user, url)


def test_r3_centre_wide_search_finds_the_regions_files_only_and_is_read_audited(region, client):
    cast = region.cast
    region.admit("区域甲某")
    from deadlines.tests.conftest import admit

    admit(cast, timezone.now(), station_user=cast.outsider, name="区域乙某")
    client.force_login(region.centre_head)
    body = client.get("/regional/search/?q=区域").content.decode()
    assert "区域甲某" in body and "区域乙某" not in body
    entry = AuditEntry.objects.filter(action=AuditAction.READ, actor=region.centre_head).latest("id")
    assert "区域档案检索" in entry.summary and entry.changes["filters"] == {"q": "区域"}
    client.force_login(region.other_centre_head)
    body = client.get("/regional/search/?q=区域").content.decode()
    assert "区域乙某" in body and "区域甲某" not in body


def test_r1_the_board_shows_published_announcements_of_the_whole_region(region, client):
    from announcements.tests.factories import announcement, unidentified_person

    cast = region.cast
    live = announcement(cast, unidentified_person(cast, name="公告甲", id_number=""))
    draft = announcement(cast, unidentified_person(cast, name="公告乙", id_number=""), publish=False)
    client.force_login(region.centre_head)
    body = client.get("/regional/board/").content.decode()
    assert live.code in body and draft.code not in body
    client.force_login(region.other_centre_head)
    assert live.code not in client.get("/regional/board/").content.decode()


def test_r1_unified_training_lists_the_regions_stations_with_links_to_their_records(region, client):
    client.force_login(region.centre_head)
    body = client.get("/regional/training/").content.decode()
    assert "英德市救助管理站" in body and f"/staff/training/?organisation={region.cast.station.uuid}" in body
    assert "乳源" not in body
