"""Pagination for big lists: counts are capped so no page pays for COUNT(*) over 200,000 rows.

Past ``COUNT_CAP`` rows the page says "10000+" and asks for a filter; no one pages through ten thousand
files, and the first pages stay fast however large a province's data grows.
"""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.utils.functional import cached_property

from core.audit import log_read

PAGE_SIZE = 50
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A paginator whose count stops at ``cap + 1`` (one bounded query: COUNT over LIMIT cap+1)."""

    def __init__(self, object_list, per_page, cap: int = COUNT_CAP, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, list):
            return len(self.object_list)
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def paginate(request, queryset, per_page: int = PAGE_SIZE) -> dict:
    paginator = CappedPaginator(queryset, per_page)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except PageNotAnInteger:
        page = paginator.page(1)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
    # Read audit: which rows this page showed (core.audit.log_read; one entry per request, ids capped).
    log_read(request, objects=page.object_list, count=paginator.count)
    params = request.GET.copy()
    params.pop("page", None)
    return {"page_obj": page, "object_list": page.object_list, "querystring_without_page": params.urlencode()}
