"""Every read of personal data is audited (issue 8, level-3 audit): walked over every URL and API path.

The walk discovers the addresses itself, so pages and endpoints of apps added later are covered without
editing this file; only the reviewed exemption list in ``core/audit.py`` (addresses that show no personal
data of people helped) is left out, and that list may hold no stale entries.
"""

import re
import uuid as uuidlib

import pytest
from django.urls import resolve

from core.audit import READ_ACTIONS, READ_AUDIT_EXEMPT, read_is_exempt
from core.models import AuditAction, AuditEntry, Role, User, UserRole
from tests.test_every_url_scoped import api_paths, is_public, page_routes
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    return build_world(cast)


@pytest.fixture
def files(cast, settings, tmp_path):
    """Five files at the station, each with an admitted episode (cheaper than the whole world)."""
    from people.services import episode_open, episode_transition, person_create

    settings.MEDIA_ROOT = tmp_path
    episodes = []
    for name in ("甲世界", "乙世界", "丙世界", "丁世界", "戊世界"):
        person = person_create(by=cast.reception, station=cast.station, data={"name": name, "sex": "男"})
        episode = episode_open(by=cast.reception, person=person, station=cast.station, channel="walk_in")
        episode_transition(by=cast.reception, episode=episode, to="admitted")
        episodes.append(episode)
    return episodes


@pytest.fixture
def owner(cast):
    user = User.objects.create_user(
        username="owner_all_roles", password=cast.password, organisation=cast.station
    )
    for role in (Role.HEAD, Role.RECEPTION, Role.TRACER, Role.CARER, Role.MEDICAL, Role.ADMIN):
        UserRole.objects.create(user=user, role=role)
    return user


def _entries_of(client, url, user):
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(url)
    return response, list(AuditEntry.objects.filter(id__gt=last, actor=user).order_by("id"))


def _api_route(path: str) -> str:
    """The route key of an OpenAPI path as the exemption list spells it."""
    return re.sub(r"\{[^}]+\}", "<x>", path)


def _assert_read_audited(url, response, entries):
    reads = [e for e in entries if e.action in READ_ACTIONS]
    assert reads, f"GET {url} showed data ({response.status_code}) but wrote no read audit entry"
    assert sum(e.action == AuditAction.READ for e in entries) <= 1, (
        f"GET {url} wrote more than one read entry"
    )


def _urls_for(route: str, uuids: list[str]):
    params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    if not params:
        yield None, route
        return
    if len(params) != 1 or params[0][0] not in ("uuid", "str", "slug"):
        return
    for value in uuids:
        yield value, re.sub(r"<(?:\w+:)?\w+>", value, route)


#: The pages are split over this many tests (every route in exactly one), so the parallel workers share the
#: walk instead of one worker running it alone at the end of the suite.
PAGE_SHARDS = 2


def _page_shard(shard: int) -> list[str]:
    return sorted(route for route, _ in page_routes())[shard::PAGE_SHARDS]


@pytest.mark.heavy(12)
@pytest.mark.parametrize("shard", range(PAGE_SHARDS))
def test_every_page_that_shows_data_writes_a_read_audit_entry(client, world, owner, shard):
    client.force_login(owner)
    audited, exempt_seen = set(), set()
    for route in _page_shard(shard):
        if is_public(route):
            continue
        if route in world.routes_without_fixture:
            continue
        redirected_by = None
        for value, url in _urls_for(route, world.uuids_for(route)):
            if redirected_by and world.model_of(value) != redirected_by:
                continue
            response, entries = _entries_of(client, url, owner)
            if response.status_code == 405:
                break  # an action that only takes POST shows nothing
            if response.status_code in (301, 302):
                # An action answering GET with a redirect to the object's page, or an old address: the route
                # takes this kind of object; only another object of the same kind (another state) may show it.
                redirected_by = world.model_of(value)
                continue
            if response.status_code != 200:
                continue
            if read_is_exempt(route):
                assert not [e for e in entries if e.action == AuditAction.READ], (
                    f"exempt {url} wrote a read entry"
                )
                exempt_seen.add(route)
            else:
                _assert_read_audited(url, response, entries)
                audited.add(route)
            break
    # The walk reached the pages that matter most (lists, the file, episode and stay pages, talks, exports).
    musts = (
        "/people/",
        "/people/<uuid:uuid>/",
        "/people/episodes/<uuid:uuid>/",
        "/intake/",
        "/stay/",
        "/stay/episodes/<uuid:uuid>/search-refresh/",
        "/leaving/",
        "/tracing/",
    )
    for must in set(musts) & set(_page_shard(shard)):
        assert must in audited, f"{must} was not reached by the walk"
    assert len(audited) >= 10


@pytest.mark.heavy(12)
def test_every_api_path_that_shows_data_writes_a_read_audit_entry(client, world, owner):
    client.force_login(owner)
    audited = set()
    for path, ops in api_paths(client).items():
        if "get" not in ops or read_is_exempt(path) or path.startswith("/api/v1/public/"):
            continue
        params = re.findall(r"\{([^}]+)\}", path)
        candidates = [path] if not params else [re.sub(r"\{[^}]+\}", v, path) for v in world.uuids_for(path)]
        if path in world.api_paths_without_fixture:
            continue
        for url in candidates:
            response, entries = _entries_of(client, url, owner)
            if response.status_code == 405:
                break
            if response.status_code != 200:
                continue
            _assert_read_audited(url, response, entries)
            audited.add(path)
            break
    assert "/api/v1/people/persons" in audited and len(audited) >= 10


def test_the_read_audit_exemption_list_names_only_existing_addresses(client):
    pages = {route for route, _ in page_routes()}
    apis = set(api_paths(client))
    for route in READ_AUDIT_EXEMPT:
        known = route in pages or route in apis or ("<" not in route and _resolves(route))
        assert known, f"stale read-audit exemption: {route}"


def _resolves(path: str) -> bool:
    from django.urls import Resolver404

    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def test_a_list_read_records_which_files_were_shown_and_the_filters(client, files, owner):
    client.force_login(owner)
    response, entries = _entries_of(client, "/people/?q=世界", owner)
    assert response.status_code == 200
    (entry,) = [e for e in entries if e.action == AuditAction.READ]
    assert entry.changes["filters"]["q"] == "世界"
    assert len(entry.changes["ids"]) == entry.changes["count"] >= 5
    assert entry.organisation == owner.organisation


def test_an_api_list_read_records_the_uuids_it_returned(client, files, owner):
    client.force_login(owner)
    response, entries = _entries_of(client, "/api/v1/people/persons", owner)
    shown = (
        {item["uuid"] for item in response.json()}
        if isinstance(response.json(), list)
        else {item["uuid"] for item in response.json()["items"]}
    )
    (entry,) = [e for e in entries if e.action == AuditAction.READ]
    assert set(entry.changes["ids"]) == shown


def test_an_episode_page_read_is_found_under_the_persons_file(client, files, owner, cast):
    from people.models import Episode

    episode = Episode.objects.filter(station=cast.station).first()
    client.force_login(owner)
    response, entries = _entries_of(client, f"/people/episodes/{episode.uuid}/", owner)
    assert response.status_code == 200
    assert any(e.person_uuid == episode.person.uuid for e in entries if e.action in READ_ACTIONS)


def test_an_unrelated_users_attempt_on_a_file_is_logged_as_denied(client, files, cast):
    from people.models import Person

    person = Person.objects.filter(registered_by=cast.station).first()
    client.force_login(cast.outsider)
    response, entries = _entries_of(client, f"/people/{person.uuid}/", cast.outsider)
    assert response.status_code == 404
    (entry,) = entries
    assert entry.action == AuditAction.DENIED and entry.object_id == str(person.uuid)
    assert entry.changes["status"] == 404


def test_a_forbidden_page_is_logged_as_denied(client, cast):
    client.force_login(cast.reception)
    response, entries = _entries_of(client, "/manage/users/", cast.reception)
    assert response.status_code == 403
    assert [e.action for e in entries] == [AuditAction.DENIED]


def test_an_api_call_without_credentials_is_logged_as_denied(client, db):
    before = AuditEntry.objects.count()
    assert client.get("/api/v1/people/persons").status_code == 401
    entry = AuditEntry.objects.order_by("-id").first()
    assert (
        AuditEntry.objects.count() == before + 1
        and entry.action == AuditAction.DENIED
        and entry.actor is None
    )


def test_an_unknown_address_is_not_an_access_attempt(client, cast):
    client.force_login(cast.reception)
    before = AuditEntry.objects.count()
    assert client.get(f"/no-such-page/{uuidlib.uuid4()}/").status_code == 404
    assert AuditEntry.objects.count() == before


def test_a_failing_read_audit_never_breaks_the_request(client, cast, monkeypatch):
    from core import audit as audit_module

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit_module, "audit", broken)
    client.force_login(cast.reception)
    assert client.get("/people/").status_code == 200


def test_reads_never_appear_in_the_persons_timeline(client, files, owner, cast):
    from people.models import Person
    from people.selectors import person_timeline

    person = Person.objects.filter(registered_by=cast.station).first()
    client.force_login(owner)
    client.get(f"/people/{person.uuid}/")
    assert resolve(f"/people/{person.uuid}/")
    assert not [
        i for i in person_timeline(person=person) if i["kind"] in ("查阅数据", "拒绝访问", "查阅档案")
    ]


def test_a_nul_byte_in_the_query_cannot_escape_the_read_audit(client, files, owner):
    client.force_login(owner)
    response, entries = _entries_of(client, "/people/?q=%00世界", owner)
    assert response.status_code == 200
    (entry,) = [e for e in entries if e.action == AuditAction.READ]
    assert entry.changes["filters"]["q"] == "世界"
