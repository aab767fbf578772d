"""Every URL and every API path, walked automatically (STYLE habit 5, issue 2 "Scoping").

- anonymous users are sent to the login page (pages) or get 401 (API), except the public allowlist;
- for every address that takes an object's UUID, an owner at the station gets it, and a user of an
  unrelated organisation gets 404/403 for GET and POST — and nothing in the database changes;
- list pages and list endpoints shown to the unrelated user never contain the station's people.
"""

import re
import uuid as uuidlib

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from core.models import Role, User, UserRole
from tests.world import build_world

pytestmark = pytest.mark.django_db

PUBLIC = {"/accounts/login/", "/accounts/logout/", "/api/openapi.json", "/api/docs", "/favicon.ico"}
#: The public family-search board (rule T3): no login; it shows only what announcements publish, and its
#: own tests prove that.
PUBLIC_PREFIXES = ("/xunqin/", "/baogao/")


def is_public(route: str) -> bool:
    return route in PUBLIC or route.startswith(PUBLIC_PREFIXES)


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def page_routes():
    routes = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith("api/") or route.startswith("^") or "<path:" in route or route.startswith("static/"):
            continue
        routes.append(("/" + route, pattern))
    return routes


def _fill(route: str, value: str) -> str | None:
    params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    if not params:
        return route
    if len(params) != 1 or params[0][0] not in ("uuid", "str", "slug"):
        return None
    return re.sub(r"<(?:\w+:)?\w+>", value, route)


def _row_counts():
    return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label in
            {"core", "people", "intake", "stay", "leaving"} and m._meta.label != "core.AuditEntry"}


@pytest.fixture
def world(cast):
    return build_world(cast)


@pytest.fixture
def owner(cast):
    user = User.objects.create_user(username="owner_all_roles", password=cast.password, organisation=cast.station)
    for role in (Role.HEAD, Role.RECEPTION, Role.TRACER, Role.CARER, Role.MEDICAL, Role.ADMIN):
        UserRole.objects.create(user=user, role=role)
    return user


def test_every_page_requires_login(client):
    checked = 0
    for route, _ in page_routes():
        url = _fill(route, str(uuidlib.uuid4()))
        if url is None or is_public(url):
            continue
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, f"{url} answers anonymously"
        checked += 1
    assert checked >= 10


def _logged_in(user) -> Client:
    """A client of its own per user: logging in once instead of switching the one client's session each try."""
    client = Client()
    client.force_login(user)
    return client


#: The object pages are split over this many tests (every route is in exactly one), so the parallel workers
#: share the longest check of the suite instead of one worker running it alone.
OBJECT_PAGE_SHARDS = 3


def _object_routes() -> list[str]:
    return sorted({r for r, _ in page_routes() if "<" in r and _fill(r, "x") is not None and not is_public(r)})


@pytest.mark.heavy(30)  # 15 s on SQLite, 40 s on PostgreSQL: started first (conftest.py)
@pytest.mark.parametrize("shard", range(OBJECT_PAGE_SHARDS))
def test_every_object_page_hides_the_station_objects_from_an_unrelated_user(client, cast, world, owner, shard):
    covered = set()
    routes = _object_routes()[shard::OBJECT_PAGE_SHARDS]
    owner_client, outsider_client = _logged_in(owner), _logged_in(cast.outsider)
    for route in routes:
        if route in world.routes_without_fixture:
            continue
        before = _row_counts()
        post_only = owner_client.get(_fill(route, world.uuids[0])).status_code == 405
        for value in world.likely_uuids(route) if post_only else world.uuids_for(route):
            url = _fill(route, value)
            owner_status = 405 if post_only else owner_client.get(url).status_code
            if owner_status not in (200, 302, 405):  # 405: an action that only takes POST; 302: an old address
                continue
            if owner_status in (200, 302):
                got = outsider_client.get(url).status_code
                assert got in (403, 404), f"GET {url} gave {got} to an unrelated user"
            got = outsider_client.post(url, {"reason": "x", "note": "x"}).status_code
            allowed = (403, 404, 405) if owner_status in (200, 302) else (403, 404)
            assert got in allowed, f"POST {url} gave {got} to an unrelated user"
            covered.add(route)
            if owner_status in (200, 302):
                break
        assert _row_counts() == before, f"{route} changed data for an unrelated user"
    missing = set(routes) - covered - world.routes_without_fixture
    assert not missing, f"no object in the test world opens these routes: {sorted(missing)}"


def test_list_pages_shown_to_an_unrelated_user_never_contain_the_station_people(client, cast, world):
    client.force_login(cast.outsider)
    for route, _ in page_routes():
        if "<" in route or is_public(route) or "print" in route:
            continue
        response = client.get(route)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        body = response.content.decode()
        for secret in world.secrets:
            assert secret not in body, f"{route} shows {secret!r} to an unrelated user"


def api_paths(client):
    return client.get("/api/openapi.json").json()["paths"]


def test_every_api_path_requires_authentication(client):
    for path, ops in api_paths(client).items():
        if path.startswith("/api/v1/public/"):
            continue  # the public board's read-only data: its own tests prove it shows only what is published
        url = re.sub(r"\{[^}]+\}", str(uuidlib.uuid4()), path)
        for method in ops:
            response = getattr(client, method)(url, content_type="application/json")
            assert response.status_code == 401, f"{method.upper()} {url} answered anonymously: {response.status_code}"


@pytest.mark.heavy(20)
def test_every_api_object_path_hides_station_objects_from_an_unrelated_user(client, cast, world, owner):
    covered = set()
    paths = api_paths(client)
    owner_client, outsider_client = _logged_in(owner), _logged_in(cast.outsider)
    for path, ops in paths.items():
        params = re.findall(r"\{([^}]+)\}", path)
        if not params or path in world.api_paths_without_fixture:
            continue
        before = _row_counts()
        for value in world.uuids_for(path) if "get" in ops else world.likely_uuids(path):
            url = path
            for p in params:
                url = url.replace("{" + p + "}", value)
            if "get" in ops and owner_client.get(url).status_code != 200:
                continue
            for method in ops:
                got = getattr(outsider_client, method)(url, data={}, content_type="application/json").status_code
                assert got in (403, 404, 422), f"{method.upper()} {url} gave {got} to an unrelated user"
            covered.add(path)
            if "get" in ops:
                break
        assert _row_counts() == before, f"{path} changed data for an unrelated user"
    with_params = {p for p in paths if "{" in p}
    missing = with_params - covered - world.api_paths_without_fixture
    assert not missing, f"no object in the test world opens these API paths: {sorted(missing)}"


def test_list_endpoints_shown_to_an_unrelated_user_never_contain_the_station_people(client, cast, world):
    client.force_login(cast.outsider)
    for path, ops in api_paths(client).items():
        if "{" in path or "get" not in ops:
            continue
        response = client.get(path)
        if response.status_code != 200:
            continue
        body = response.content.decode()
        for secret in world.secrets:
            assert secret not in body, f"{path} shows {secret!r} to an unrelated user"
