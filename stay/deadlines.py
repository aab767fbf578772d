"""Deadlines owned by the stay app's records (declarations only; the engine is deadlines/registry.py)."""

from django.urls import reverse

from core.models import Role
from deadlines.registry import DeadlineRule, Due, Fulfilment, Unit, identified_stop, left_stop
from people.models import Episode
from stay.models import SearchRefresh, StayExtension


def _n5_subjects(as_of):
    from stay.selectors import n5_applies_q

    return Episode.objects.filter(n5_applies_q(as_of))


def _label(episode) -> str:
    return f"{episode.person.name}（{episode.number}）"


def _refresh_link(episode) -> str:
    return reverse("stay:search_refresh", args=[episode.uuid])


RULES = [
    # rule N5: a stay beyond 10 days (16 and over, no mental disorder or intellectual disability) needs its
    # reason recorded and reported to the department above.
    DeadlineRule(
        id="N5",
        title="滞留超过10天：记录延长在站原因并报上级民政部门",
        source="细则、规程、民发〔2020〕14号",
        subjects=_n5_subjects,
        start="admitted_at",
        organisation="station",
        role=Role.HEAD,
        due=Due(10, Unit.DAYS),
        setting="N5_MAX_STAY_DAYS",
        fulfilment=Fulfilment(records=lambda: StayExtension.objects.all(), link="episode", at="created_at",
                              what="记录延长在站原因（规则N5）"),
        stops=(left_stop(),),
        label=_label,
        link=lambda ep: reverse("stay:extension_new", args=[ep.uuid]),
        select_related=("person", "station"),
    ),
    # rule N5 (second half): search information is refreshed for anyone stranded over a month while the identity
    # is unknown — the first refresh a month after admission …
    DeadlineRule(
        id="N5S",
        title="寻亲信息更新：身份不明滞留超过1个月，每月更新（新照片、重新发布公告、重新比对）",
        source="民发〔2020〕14号",
        subjects=lambda as_of: Episode.objects.all(),
        start="admitted_at",
        organisation="station",
        role=Role.TRACER,
        due=Due(1, Unit.MONTHS),
        fulfilment=Fulfilment(records=lambda: SearchRefresh.objects.all(), link="episode", at="refreshed_at",
                              what="更新寻亲信息（规则N5）"),
        stops=(left_stop(), identified_stop()),
        label=_label,
        link=_refresh_link,
        select_related=("person", "station"),
    ),
    # … then each refresh is followed by the next within a month, as long as the person stays unidentified.
    DeadlineRule(
        id="N5Sn",
        title="寻亲信息再次更新：身份仍不明，上次更新后1个月内再次更新",
        source="民发〔2020〕14号",
        subjects=lambda as_of: SearchRefresh.objects.all(),
        start="refreshed_at",
        organisation="episode__station",
        role=Role.TRACER,
        due=Due(1, Unit.MONTHS),
        fulfilment=Fulfilment(records=lambda: SearchRefresh.objects.all(), link="previous", at="refreshed_at",
                              what="再次更新寻亲信息（规则N5）"),
        stops=(left_stop("episode__left_at"), identified_stop("episode__person")),
        person="episode__person",
        label=lambda r: _label(r.episode),
        link=lambda r: _refresh_link(r.episode),
        select_related=("episode__person", "episode__station"),
    ),
]
