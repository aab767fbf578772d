"""Big lists: the count stops at the cap, pages stay reachable, the page says so."""

import pytest
from django.test import RequestFactory

from core.models import Division
from core.paging import CappedPaginator, paginate


@pytest.mark.django_db
def test_the_count_stops_one_past_the_cap():
    qs = Division.objects.order_by("code")
    paginator = CappedPaginator(qs, 50, cap=100)
    assert paginator.count == 101 and paginator.capped
    assert paginator.num_pages == 3
    assert list(paginator.page(2).object_list) == list(qs[50:100])


@pytest.mark.django_db
def test_a_small_list_counts_exactly():
    qs = Division.objects.filter(level="province").order_by("code")
    paginator = CappedPaginator(qs, 50, cap=100)
    assert paginator.count == qs.count() == 34 and not paginator.capped


@pytest.mark.django_db
def test_a_page_past_the_end_shows_the_last_page():
    request = RequestFactory().get("/x/?page=999&q=a")
    ctx = paginate(request, Division.objects.filter(level="province").order_by("code"), per_page=10)
    assert ctx["page_obj"].number == 4 and ctx["querystring_without_page"] == "q=a"
