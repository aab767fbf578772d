"""Big lists (issue 9): keyset pages by cursor — every row once, no OFFSET walk, no count of millions;
a tampered cursor is refused in Chinese (first page), never a 500; old ``?page=N`` links keep working."""

import pytest
from django.test import RequestFactory

from core.models import Division
from core.paging import (
    BAD_CURSOR,
    MAX_OFFSET_PAGE,
    PAGE_TOO_FAR,
    CappedPaginator,
    keyset_page,
    ordering_keys,
    paginate,
)


def _walk(qs, per_page, keys):
    """Follow "下一页" to the end; then "上一页" back to the start."""
    seen, pages = [], []
    page = keyset_page(qs, keys, per_page=per_page)
    while True:
        pages.append(page)
        seen += [row.pk for row in page.object_list]
        if not page.has_next():
            break
        page = keyset_page(qs, keys, per_page=per_page, cursor=page.next_cursor)
    back = [row.pk for row in page.object_list]
    while page.has_previous():
        page = keyset_page(qs, keys, per_page=per_page, cursor=page.previous_cursor)
        back = [row.pk for row in page.object_list] + back
    return seen, back, pages


@pytest.mark.django_db
def test_the_count_stops_one_past_the_cap():
    qs = Division.objects.order_by("code")
    paginator = CappedPaginator(qs, 50, cap=100)
    assert paginator.count == 101 and paginator.capped
    assert paginator.num_pages == 3


@pytest.mark.django_db
def test_keyset_visits_every_row_exactly_once_forwards_and_backwards_with_ties():
    # level has 4 values over 3,000+ divisions: long runs of ties in the first key, broken by the id
    qs = Division.objects.order_by("-level")
    keys = ordering_keys(qs)
    assert keys == [("level", True), ("id", True)]
    seen, back, pages = _walk(qs, 97, keys)
    expected = list(qs.order_by("-level", "-id").values_list("pk", flat=True))
    assert seen == expected and back == expected
    assert pages[1].start_index() == 98 and pages[-1].end_index() == len(expected)
    assert pages[-1].total == len(expected) and pages[0].total is None


@pytest.mark.django_db
def test_keyset_on_a_nullable_key_visits_the_null_rows_too(cast):
    from people.models import Person
    from people.services import person_create

    for i in range(13):
        person_create(by=cast.reception, station=cast.station, data={"name": f"测试{i}", "sex": "男",
                      "birth_year_est": None if i % 3 == 0 else 1960 + i % 4})
    for order in (("birth_year_est",), ("-birth_year_est",)):
        qs = Person.objects.order_by(*order)
        keys = ordering_keys(qs)
        assert keys[0] == ("birth_year_est", order[0].startswith("-"))
        seen, back, _ = _walk(qs, 4, keys)
        assert sorted(seen) == sorted(qs.values_list("pk", flat=True)) and len(seen) == 13 and back == seen


@pytest.mark.django_db
def test_a_tampered_cursor_shows_the_first_page_with_a_chinese_notice():
    qs = Division.objects.filter(level="province").order_by("code")
    first = paginate(RequestFactory().get("/x/"), qs, per_page=10)["page_obj"]
    forged = first.next_cursor[:-3] + "abc"
    for bad in (forged, "garbage", "%%%", "a" * 5000):
        ctx = paginate(RequestFactory().get("/x/", {"cursor": bad, "q": "a"}), qs, per_page=10)
        assert ctx["paging_notice"] == BAD_CURSOR
        assert [d.pk for d in ctx["object_list"]] == [d.pk for d in first.object_list]
        assert ctx["querystring_without_page"] == "q=a"


@pytest.mark.django_db
def test_a_cursor_only_positions_within_the_list_it_is_applied_to():
    # a cursor taken from a wider list, replayed on a narrower one, still returns only the narrower rows
    wide = Division.objects.order_by("code")
    narrow = Division.objects.filter(code__startswith="44").order_by("code")
    cursor = keyset_page(wide, ordering_keys(wide), per_page=5).next_cursor
    page = keyset_page(narrow, ordering_keys(narrow), per_page=50, cursor=cursor)
    assert page.object_list and all(d.code.startswith("44") for d in page.object_list)


@pytest.mark.django_db
def test_old_page_links_work_up_to_the_limit_and_then_show_the_first_page():
    qs = Division.objects.order_by("code")
    ctx = paginate(RequestFactory().get("/x/?page=3&q=a"), qs, per_page=10)
    assert [d.pk for d in ctx["object_list"]] == list(qs.values_list("pk", flat=True)[20:30])
    assert ctx["page_obj"].start_index() == 21 and ctx["querystring_without_page"] == "q=a"
    far = paginate(RequestFactory().get(f"/x/?page={MAX_OFFSET_PAGE + 1}"), qs, per_page=10)
    assert far["paging_notice"] == PAGE_TOO_FAR and far["page_obj"].start_index() == 1
    past_end = paginate(RequestFactory().get("/x/?page=5"), qs.filter(level="province"), per_page=10)
    assert past_end["page_obj"].start_index() == 1 and not past_end["paging_notice"]
    junk = paginate(RequestFactory().get("/x/?page=abc"), qs, per_page=10)
    assert junk["page_obj"].start_index() == 1


@pytest.mark.django_db
def test_a_list_whose_ordering_is_not_a_key_keeps_the_capped_pages():
    qs = Division.objects.filter(level="province").order_by("parent__code", "code")
    ctx = paginate(RequestFactory().get("/x/?page=999&q=a"), qs, per_page=10)
    assert ctx["page_obj"].number == 4 and ctx["querystring_without_page"] == "q=a"
