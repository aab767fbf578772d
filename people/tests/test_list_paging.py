"""Issue 9, lists at province scale: the file list and the episode lists page by cursor (keyset), cost the
same number of queries however many rows there are, visit every row once, stay in scope through the
cursor, and search names by characters, pinyin prefix, initials and homophones."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.paging import BAD_CURSOR
from people.models import Person
from people.services import episode_open, episode_transition, person_create
from people.tests.test_api import BASE, bearer

NAMES = ["张伟", "章伟", "张伟明", "李秀英", "王芳", "欧阳娜娜"]


def _files(cast, n, station=None, admit=False):
    """``n`` files registered in the same second (ties in the ordering key), optionally admitted."""
    made = []
    with time_machine.travel(datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC), tick=False):
        for i in range(n):
            person = person_create(by=cast.reception, station=station or cast.station,
                                   data={"name": NAMES[i % len(NAMES)], "sex": "男"})
            if admit:
                ep = episode_open(by=cast.reception, person=person, station=station or cast.station, channel="walk_in")
                episode_transition(by=cast.reception, episode=ep, to="admitted")
            made.append(person)
    return made


def _queries(client, url):
    # a first request refreshes what the writes invalidated (the menu's deadline badge is recomputed after
    # any write, core.context_processors); the second is the list's own cost
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


LIST_PAGES = ["people:list", "stay:board", "intake:list", "leaving:list"]


@pytest.mark.django_db
@pytest.mark.parametrize("page", LIST_PAGES)
def test_issue9_a_list_page_costs_the_same_queries_with_5_and_with_60_rows(client_for, cast, page):
    client = client_for(cast.head)
    _files(cast, 5, admit=True)
    url = reverse(page)
    few = _queries(client, url)
    _files(cast, 55, admit=True)
    many = _queries(client, url)
    assert many == few, f"{page}: {few} queries with 5 rows, {many} with 60"


@pytest.mark.django_db
def test_issue9_next_page_visits_every_file_once_across_pages_with_ties(client_for, cast):
    people = _files(cast, 120)
    client = client_for(cast.reception)
    seen, url = [], reverse("people:list")
    pages = 0
    while url:
        response = client.get(url)
        page = response.context["page_obj"]
        seen += [p.pk for p in page.object_list]
        pages += 1
        url = f"{reverse('people:list')}?cursor={page.next_cursor}" if page.has_next() else ""
    assert pages == 3 and sorted(seen) == sorted(p.pk for p in people) and len(seen) == len(set(seen))
    assert "第 101–120 条，共 120 条" in response.content.decode()


@pytest.mark.django_db
def test_issue9_a_cursor_never_leaks_files_of_another_organisation(client_for, cast):
    _files(cast, 60)
    first = client_for(cast.reception).get(reverse("people:list")).context["page_obj"]
    outsider = client_for(cast.outsider)
    response = outsider.get(reverse("people:list"), {"cursor": first.next_cursor})
    assert response.status_code == 200 and list(response.context["object_list"]) == []
    # a forged cursor (the signature changed): the first page, with a Chinese notice, never a 500
    forged = outsider.get(reverse("people:list"), {"cursor": first.next_cursor[:-4] + "AAAA"})
    assert forged.status_code == 200 and BAD_CURSOR in forged.content.decode()
    assert list(forged.context["object_list"]) == []


@pytest.mark.django_db
def test_issue9_old_page_links_still_open_a_page(client_for, cast):
    _files(cast, 60)
    client = client_for(cast.reception)
    second = client.get(reverse("people:list"), {"page": 2}).context["page_obj"]
    assert second.start_index() == 51 and len(second.object_list) == 10
    far = client.get(reverse("people:list"), {"page": 9999})
    assert far.status_code == 200 and far.context["page_obj"].start_index() == 1
    assert "已显示第一页" in far.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("q", "expected"), [
    ("张伟", {"张伟", "章伟", "张伟明"}),  # characters anywhere, and the homophone 章伟 of the whole name
    ("伟", {"张伟", "章伟", "张伟明"}),  # one character
    ("伟明", {"张伟明"}),  # the middle and end of a name
    ("zw", {"张伟", "章伟", "张伟明"}),  # initials prefix
    ("zhangw", {"张伟", "章伟", "张伟明"}),  # pinyin prefix without spaces
    ("zhang wei", {"张伟", "章伟", "张伟明"}),
    ("ouyang", {"欧阳娜娜"}),
    ("娜娜", {"欧阳娜娜"}),
    ("秀", {"李秀英"}),
    ("xyz", set()),
])
def test_issue9_name_search_by_characters_pinyin_initials_and_homophones(client_for, cast, q, expected):
    _files(cast, len(NAMES))
    response = client_for(cast.reception).get(reverse("people:list"), {"q": q})
    assert {p.name for p in response.context["object_list"]} == expected


@pytest.mark.django_db
def test_issue9_aliases_are_searched_and_kept_in_step_on_save(cast):
    person = _files(cast, 1)[0]
    person.aliases = "小伟；阿强"
    person.save(update_fields=["aliases"])
    person.refresh_from_db()
    assert "强强强" in person.name_grams and person.name_pinyin_flat == "zhangwei"
    from people.selectors import person_list

    assert list(person_list(user=cast.reception, q="阿强")) == [person]


@pytest.mark.django_db
def test_issue9_api_pages_by_cursor_in_scope(client, cast):
    people = _files(cast, 60)
    headers = bearer(cast.reception)
    first = client.get(f"{BASE}/persons", **headers)
    assert first.status_code == 200 and len(first.json()) == 50
    cursor = first["X-Next-Cursor"]
    second = client.get(f"{BASE}/persons", {"cursor": cursor}, **headers)
    assert second.status_code == 200 and second["X-Next-Cursor"] == ""
    uuids = [p["uuid"] for p in first.json() + second.json()]
    assert sorted(uuids) == sorted(str(p.uuid) for p in people)
    outsider = client.get(f"{BASE}/persons", {"cursor": cursor}, **bearer(cast.outsider))
    assert outsider.status_code == 200 and outsider.json() == []
    bad = client.get(f"{BASE}/persons", {"cursor": "forged"}, **headers)
    assert bad.status_code == 400 and "cursor" in bad.content.decode()
    assert Person.objects.count() == 60


@pytest.mark.django_db
def test_issue9_the_intake_api_pages_by_cursor_and_refuses_a_bad_one(client, cast):
    _files(cast, 55, admit=True)
    headers = bearer(cast.head)
    first = client.get("/api/v1/intake/requests", **headers)
    assert first.status_code == 200 and len(first.json()) == 50 and first["X-Next-Cursor"]
    rest = client.get("/api/v1/intake/requests", {"cursor": first["X-Next-Cursor"]}, **headers)
    assert len(rest.json()) == 5 and rest["X-Next-Cursor"] == ""
    assert not {e["uuid"] for e in first.json()} & {e["uuid"] for e in rest.json()}
    for url in ("/api/v1/intake/requests", "/api/v1/leaving/departures"):
        bad = client.get(url, {"cursor": "x" * 40}, **headers)
        assert bad.status_code == 400 and "cursor" in bad.json()["fields"], url
        far = client.get(url, {"page": 21}, **headers)
        assert far.status_code == 400 and "page" in far.json()["fields"], url


@pytest.mark.django_db
def test_issue9_the_migrations_sql_backfill_derives_what_save_derives(cast):
    """PostgreSQL backfills the search columns in one UPDATE; it must agree with ``Person.save``."""
    if connection.vendor != "postgresql":
        pytest.skip("the SQL backfill runs on PostgreSQL only")
    import importlib

    from people.models import search_columns

    migration = importlib.import_module("people.migrations.0012_search_columns_keyset_indexes")
    person = _files(cast, 1)[0]
    Person.objects.filter(pk=person.pk).update(aliases=" 小伟；阿强;;Ah Qiang ", name_pinyin_flat="", name_grams="")
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL_SQL)
    person.refresh_from_db()
    assert (person.name_pinyin_flat, person.name_grams) == search_columns(person.name, person.aliases, person.name_pinyin)
