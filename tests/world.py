"""A small world at the cast's county station, built only through the apps' services: people in every
state with photos, contacts, intake records, checks, belongings, notices, beds, placements and a
departure. Used by the every-URL scoping test."""

import datetime
import importlib
import io
import re
from types import SimpleNamespace

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from intake import services as intake
from intake.models import HealthOutcome
from leaving import services as leaving
from people import services as people
from people.models import Channel
from stay import services as stay
from stay.models import PlacementKind, SexRestriction, ZoneCategory

PER_MODEL = 4
APPS = ("people", "intake", "stay", "leaving", "tracing", "announcements", "matching", "deadlines", "oversight")
#: Issue 12's apps (a line of their own, so apps added elsewhere merge cleanly).
APPS += ("aftercare", "outreach", "network")


def _png(name="p.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 50), (120, 90, 60)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def _answers():
    return {"cannot_pay": True, "no_relatives": True, "not_on_subsistence": True, "living_by_vagrancy": True,
            "decision": "eligible", "reason": "robbed", "subsistence": "none", "residence": "无"}


def _admitted(cast, name, *, at, channel=Channel.WALK_IN, **person):
    by = cast.reception
    ep = intake.intake_register(by=by, station=cast.station, channel=channel, requested_at=at,
                                person_data={"name": name, "sex": "男", "birth_date": datetime.date(1980, 1, 1),
                                             **person}, answers=_answers())
    if channel == Channel.POLICE:
        intake.handover_add(by=by, episode=ep, data={"escort_org": cast.police, "officers": "刘警官（041235）",
                                                     "handed_over_at": at, "found_place": "火车站",
                                                     "found_how": "巡逻发现", "condition": "神志清楚"})
    intake.safety_check_add(by=by, episode=ep, checked_at=at, items=[{
        "kind": "knife", "description": "弹簧刀", "reported_to": cast.police, "reported_at": at,
        "handling": "移交民警"}])
    intake.belonging_add(by=by, episode=ep, item="手机")
    intake.health_check_add(by=by, episode=ep, data={"checked_at": at, "physical": "良好", "mental": "清楚",
                                                     "outcome": HealthOutcome.ADMITTED})
    return intake.intake_admit(by=by, episode=ep, at=at + datetime.timedelta(minutes=5))


#: Issue 10's apps (kept on a line of their own so apps added elsewhere merge cleanly).
APPS += ("incidents", "staff")
#: Issue 11: settlement (S1–S4).
APPS += ("settlement",)


def _singular(word: str) -> str:
    word = word.replace("-", "").replace("_", "")
    if word == "people":
        return "person"
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("ses") or word.endswith("ches") or word.endswith("shes"):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def _route_noun_and_app(route: str) -> tuple[str, str]:
    head = [seg for seg in re.split(r"[<{]", route, maxsplit=1)[0].strip("/").split("/") if seg not in ("api", "v1")]
    return (_singular(head[-1]) if head else ""), (head[0] if head else "")


def _named_like(noun: str, model_name: str) -> bool:
    return bool(noun and model_name) and (model_name == noun or model_name.endswith(noun) or noun.endswith(model_name))


def uuids_for(route: str, uuids: list[str], ranked: dict[str, tuple[str, str]]) -> list[str]:
    """``uuids`` with the objects of the model the route most likely takes first: the segment before the
    parameter named like the model (``/stay/placements/<uuid>/`` → Placement), then the route's app. Only an
    order: every object is still tried, so a route named unlike its model costs time, never coverage."""
    noun, app = _route_noun_and_app(route)

    def score(uuid: str) -> int:
        model_app, model_name = ranked[uuid]
        if _named_like(noun, model_name):
            return 0 if model_name == noun else 1
        return 2 if model_app == app else 3

    return sorted(uuids, key=score)


def likely_uuids(route: str, uuids: list[str], ranked: dict[str, tuple[str, str]]) -> list[str]:
    """For an action that only takes POST (no GET tells which object fits it): the objects of the models
    named like the route, or every object when no model is named like it."""
    noun, _ = _route_noun_and_app(route)
    named = [uuid for uuid in uuids if _named_like(noun, ranked[uuid][1])]
    return named or uuids


#: Issue 11's outside care (a line of its own).
APPS += ("outsidecare",)
#: Issue 13's regional centres.
APPS += ("regional",)
#: Issue 13's campaign summary table.
APPS += ("campaign",)
#: Issue 13's statistics (a line of its own).
APPS += ("figures",)
#: Issue 11's daily care and special groups (a line of its own, so apps added elsewhere merge cleanly).
APPS += ("dailycare",)


def build_world(cast) -> SimpleNamespace:
    now = timezone.now()
    at = now - datetime.timedelta(days=12)
    by = cast.reception
    head = cast.head
    zone = stay.zone_create(by=head, station=cast.station, name="男区", category=ZoneCategory.MEN,
                            sex_restriction=SexRestriction.MALE)
    beds = stay.beds_create(by=head, zone=zone, codes=["M01", "M02"])

    staying = _admitted(cast, "甲世界", at=at, channel=Channel.POLICE)
    people.photo_add(by=by, person=staying.person, image=_png(), taken_on=timezone.localdate())
    people.contact_create(by=by, person=staying.person, data={"name": "甲父", "relationship": "父亲",
                                                               "phone": "13800000000"})
    stay.bed_assign(by=by, episode=staying, bed=beds[0], at=at + datetime.timedelta(hours=1))
    stay.stay_extension_record(by=by, episode=staying, reason="等待公安核查身份")

    in_hospital = _admitted(cast, "乙世界", at=at)
    placement = stay.placement_start(by=by, episode=in_hospital, kind=PlacementKind.HOSPITAL,
                                     organisation=cast.hospital, started_at=at + datetime.timedelta(hours=2))

    gone = _admitted(cast, "丙世界", at=at)
    leaving.departure_create(by=by, episode=gone, exit_type="family", left_at=at + datetime.timedelta(days=1),
                             data={"claimant_name": "丙兄", "claimant_relationship": "哥哥",
                                   "claimant_phone": "13900000000"},
                             claimant_id_number="11010519491231002X", claimant_id_copy=_png("id.png"))

    refused = intake.intake_register(by=by, station=cast.station, channel=Channel.WALK_IN, requested_at=at,
                                     person_data={"name": "丁世界", "sex": "男"},
                                     answers={**_answers(), "decision": "not_eligible", "decision_note": "有住所"})
    intake.intake_refuse(by=by, episode=refused, reason="拒不如实提供身份信息", at=at + datetime.timedelta(hours=1))

    foreign = intake.intake_register(by=by, station=cast.station, channel=Channel.WALK_IN, requested_at=at,
                                     person_data={"name": "己世界", "sex": "男", "suspected_foreign": True},
                                     answers={**_answers(), "foreign_police_note": "已电话报告公安机关核实"})
    terminated = _admitted(cast, "戊世界", at=at)
    intake.intake_terminate(by=by, episode=terminated, reason="提供虚假信息", at=at + datetime.timedelta(hours=3))

    # Later apps add their objects: <app>/tests/world.py defines extend_world(cast, ctx) and may return
    # {"secrets": [...], "routes_without_fixture": {...}, "api_paths_without_fixture": {...}}.
    ctx = SimpleNamespace(staying=staying, in_hospital=in_hospital, gone=gone, refused=refused,
                          terminated=terminated, beds=beds, placement=placement)
    extra_secrets: list[str] = []
    # The help guides take a slug, not an object: they are the same for every user (tested in core/tests/test_help.py).
    skip_routes: set[str] = {"/help/<slug:slug>/"}
    skip_api: set[str] = set()
    for app in APPS:
        try:
            module = importlib.import_module(f"{app}.tests.world")
        except ModuleNotFoundError:
            continue
        extra = module.extend_world(cast, ctx) or {}
        extra_secrets += extra.get("secrets", [])
        skip_routes |= set(extra.get("routes_without_fixture", ()))
        skip_api |= set(extra.get("api_paths_without_fixture", ()))

    # Breadth first: the first object of every model, then the second of every model, ... (at most
    # PER_MODEL each), so a route finds an object of its kind within a few tries.
    per_model: list[list[str]] = [[str(cast.station.uuid)], [str(cast.reception.uuid)]]
    model_keys: list[tuple[str, str]] = [("core", "organisation"), ("core", "user")]
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            if any(f.name == "uuid" for f in model._meta.fields):
                per_model.append([str(u) for u in model.objects.order_by("pk").values_list("uuid", flat=True)[:PER_MODEL]])
                model_keys.append((app, model._meta.model_name))
    uuids = [column[i] for i in range(PER_MODEL) for column in per_model if i < len(column)]
    ranked = {uuid: key for column, key in zip(per_model, model_keys) for uuid in column}
    persons = [staying.person, in_hospital.person, gone.person, refused.person, terminated.person, foreign.person]
    return SimpleNamespace(
        uuids=uuids,
        uuids_for=lambda route: uuids_for(route, uuids, ranked),
        likely_uuids=lambda route: likely_uuids(route, uuids, ranked),
        model_of=lambda uuid: ranked.get(uuid),
        secrets=[p.name for p in persons] + [p.file_no for p in persons] + extra_secrets,
        routes_without_fixture=skip_routes,
        api_paths_without_fixture=skip_api,
        placement=placement,
    )
