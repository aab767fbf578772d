"""Reads for intake, always through the user's scope (core.scoping)."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core.models import Organisation, OrgKind
from core.scoping import can_write_case, get_scoped_or_404, scoped
from intake.models import Belonging, HealthCheck, IntakeRecord, Notice, PoliceHandover, SafetyCheck
from people.models import Channel, Episode, Person
from people.selectors import likely_same_person
from people.states import IN_CARE, EpisodeStatus

#: Roles that may write intake records (站长 and 系统管理员 always may, see core.scoping.can_write).
INTAKE_ROLES = ("reception", "medical")


@dataclass(frozen=True)
class Blocker:
    """One thing that still stands between a request and admission (求助登记 → 已入站).

    ``message`` is what the admission service answers, ``label`` the short item on the episode page,
    ``action`` the page (URL name taking the episode's UUID) where it is done."""

    key: str
    message: str
    label: str
    action: str
    rule: str
    act: str = ""  # the button: what to do


def admission_blockers(episode: Episode) -> list[Blocker]:
    """What ``intake.services.intake_admit`` refuses to admit without (rules N1, I2, I3, I5) — the one
    definition that the service, the intake panel and the episode page's next step all read."""
    from intake.models import Decision, HealthOutcome

    blockers: list[Blocker] = []
    record = IntakeRecord.objects.filter(episode=episode).first()
    if record is None:
        blockers.append(Blocker("record", "尚未填写求助登记。", "求助登记", "intake:episode", "I1", "查看求助登记"))
    elif record.decision == Decision.NOT_ELIGIBLE:
        blockers.append(Blocker("not_eligible", "甄别结果为“不符合救助条件”，不能入站；请办理不予救助（规则N1、N3）。",
                                "甄别结果为“不符合救助条件”，应办理不予救助", "intake:refuse", "N3", "不予救助通知书"))
    # in the order the work is done: the escort hands over on arrival, then the checks
    if episode.channel in (Channel.POLICE, Channel.CHENGGUAN) and not PoliceHandover.objects.filter(
            episode=episode).exists():
        blockers.append(Blocker("handover", "公安/城管护送的人员须先填写护送交接表（规则I5）。", "缺护送交接表",
                                "intake:handover_add", "I5", "填写护送交接表"))
    if not SafetyCheck.objects.filter(episode=episode).exists():
        blockers.append(Blocker("safety", "尚未进行安全检查（逢进必检，规则I2）。", "未做安全检查",
                                "intake:safety_add", "I2", "安全检查"))
    latest = HealthCheck.objects.filter(episode=episode).order_by("-checked_at", "-id").first()
    if latest is None:
        blockers.append(Blocker("health", "尚未进行初步检视（规则I3）。", "未做初步检视", "intake:health_add", "I3", "初步检视"))
    elif latest.outcome != HealthOutcome.ADMITTED:
        blockers.append(Blocker("health", f"初步检视结果为“{latest.get_outcome_display()}”，不能直接入站（规则I3）。",
                                f"初步检视结果为“{latest.get_outcome_display()}”，须为“正常入站”",
                                "intake:health_add", "I3", "再次初步检视"))
    return blockers


def episode_todo(*, episode: Episode, user) -> list[dict]:
    """Intake's part of the episode page's "still missing" list (people.selectors.episode_next_steps):
    before admission, what admission waits for; in care, a safety check never made (rule I2)."""
    items = []
    if episode.status == EpisodeStatus.REQUESTED:
        for b in admission_blockers(episode):
            items.append({"key": f"intake:{b.key}", "label": b.label, "act": b.act, "rule": b.rule,
                          "url": _url(b.action, episode), "before": EpisodeStatus.ADMITTED,
                          "instead": b.key == "not_eligible"})
    elif episode.status in IN_CARE and not SafetyCheck.objects.filter(episode=episode).exists():
        items.append({"key": "intake:safety", "label": "未做安全检查", "act": "安全检查", "rule": "I2",
                      "url": _url("intake:safety_add", episode), "before": None, "instead": False})
    return items


def _url(name: str, episode: Episode) -> str:
    from django.urls import reverse

    if name == "intake:episode":
        return reverse("people:episode", args=[episode.uuid])
    return reverse(name, args=[episode.uuid])


def intake_list(*, user, filters: dict[str, Any]) -> QuerySet[Episode]:
    """Every request of the stations in scope, newest first — refused and terminated ones too (rule I1)."""
    qs = scoped(Episode.objects.select_related("person", "station", "intake"), user)
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    if filters.get("decision"):
        qs = qs.filter(intake__decision=filters["decision"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("flagged"):
        qs = qs.filter(flag_repeat_requests=True)
    tz = timezone.get_current_timezone()
    if filters.get("date_from"):
        qs = qs.filter(requested_at__gte=datetime.datetime.combine(filters["date_from"], datetime.time.min, tz))
    if filters.get("date_to"):
        end = filters["date_to"] + datetime.timedelta(days=1)
        qs = qs.filter(requested_at__lt=datetime.datetime.combine(end, datetime.time.min, tz))
    return qs.order_by("-requested_at", "-id")


def episode_get(*, user, uuid) -> Episode:
    """One episode in the user's scope (404 otherwise)."""
    return get_scoped_or_404(Episode.objects.select_related("person", "station"), user, uuid=uuid)


def notice_get(*, user, uuid) -> Notice:
    return get_scoped_or_404(Notice.objects.select_related("episode__person", "episode__station", "issued_by"),
                             user, uuid=uuid)


def belongings_outstanding(episode: Episode) -> QuerySet[Belonging]:
    """Belongings of ``episode`` still kept by the station (not yet returned)."""
    return Belonging.objects.filter(episode=episode, returned_at__isnull=True).order_by("id")


def may_write(user, episode: Episode) -> bool:
    return can_write_case(user, episode, *INTAKE_ROLES)


def duplicate_candidates(*, user, name: str = "", sex: str = "", birth_year: int | None = None,
                         id_number: str = "", exclude=None, limit: int = 10) -> list[dict]:
    """Likely earlier files of the same person (rules I4, E4), from the people app's query."""
    if not (name or id_number):
        return []
    return likely_same_person(user=user, name=name, sex=sex, birth_year=birth_year, id_number=id_number,
                              exclude=exclude, limit=limit)


def attachable_person(*, user, uuid, name: str = "", sex: str = "", birth_year: int | None = None,
                      id_number: str = "") -> Person:
    """The file a request may be attached to: one in the user's scope (rule E4). A file at another
    station is attached only after that station accepted a share request (issue 8 hole 2), which
    brings it into scope; anything else → 404."""
    found = scoped(Person.objects.filter(uuid=uuid, merged_into__isnull=True), user).first()
    if found is not None:
        return found
    from django.http import Http404

    raise Http404("未找到该记录，或您无权查看。外机构的档案请先申请共享，对方同意后再关联。")


def police_units(*, user) -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrgKind.POLICE, is_active=True).order_by("name")


def escort_units(*, user) -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind__in=[OrgKind.POLICE, OrgKind.CHENGGUAN], is_active=True).order_by("name")


def hospitals(*, user) -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrgKind.HOSPITAL, is_active=True).order_by("name")


def foreign_case(episode: Episode):
    """Rule I7: the episode's suspected-foreign-national case, or None."""
    from intake.models import ForeignCase

    return ForeignCase.objects.filter(episode=episode).select_related("police", "updated_by").first()


def episode_panel(*, episode: Episode, user) -> dict:
    """Everything intake knows about ``episode`` for its page (template intake/episode_panel.html).

    ``episode`` must already come from a scoped fetch. ``can_write`` decides whether the action
    links and forms are shown; ``missing`` lists what still blocks admission.
    """
    record = IntakeRecord.objects.filter(episode=episode).select_related("received_by").first()
    safety = list(SafetyCheck.objects.filter(episode=episode).select_related("checked_by")
                  .prefetch_related("items__reported_to"))
    health = list(HealthCheck.objects.filter(episode=episode).select_related("checked_by", "hospital", "police"))
    handovers = list(PoliceHandover.objects.filter(episode=episode).select_related("escort_org", "received_by"))
    belongings = list(Belonging.objects.filter(episode=episode).select_related("returned_by"))
    notices = list(Notice.objects.filter(episode=episode).select_related("issued_by"))
    from intake.models import HelpGiven

    help_given = list(HelpGiven.objects.filter(episode=episode).select_related("given_by"))
    case = foreign_case(episode)
    missing = ([f"{b.label}（规则{b.rule}）" for b in admission_blockers(episode)]
               if episode.status == EpisodeStatus.REQUESTED else [])
    warnings = []
    if record and not record.fingerprint_taken:
        warnings.append("尚未采集指纹（规则N6、I4）")
    if record and not record.photo_taken:
        warnings.append("尚未采集人像照片（规则N6、I4）")
    writable = may_write(user, episode)
    is_open = episode.status in {EpisodeStatus.REQUESTED, *IN_CARE}
    return {
        "episode": episode,
        "record": record,
        "safety_checks": safety,
        "health_checks": health,
        "handovers": handovers,
        "belongings": belongings,
        "outstanding_count": sum(1 for b in belongings if b.returned_at is None),
        "notices": notices,
        "help_given": help_given,
        "foreign_case": case,
        "missing": missing,
        "warnings": warnings,
        "flag_repeat": episode.flag_repeat_requests,
        "flag_foreign": episode.flag_foreign,
        "can_write": writable,
        "can_add": writable and is_open,
        "can_admit": writable and episode.status == EpisodeStatus.REQUESTED and not missing,
        "can_terminate": writable and episode.status in IN_CARE,
        "needs_handover": episode.channel in (Channel.POLICE, Channel.CHENGGUAN),
    }
