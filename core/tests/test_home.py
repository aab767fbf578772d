"""Each role's home page (issue 15): the sections that concern the user, and every number a link to the list
it counts — followed here, the list's own count compared — agreeing with the deadline inbox; nothing of
another organisation. The 待办 badge is current when the page loads."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from core.models import Role, User, UserRole
from people.models import Episode

pytestmark = [pytest.mark.django_db, pytest.mark.heavy(5)]  # 10 s each on PostgreSQL: started first (conftest.py)

NUMBER = re.compile(r'<a class="[^"]*" href="([^"]+)" data-count="(\d+)"')
SECTIONS = ("home-tasks", "home-police", "home-station", "home-oversight", "home-figures")


def _world(cast):
    """The every-URL world at the county station, plus the issue's example: four repeat requests flagged for
    重点甄别 (rule I6) and still undecided two days later, and an identity check unanswered for three days (T2)."""
    from deadlines.tests.conftest import ELIGIBLE
    from intake import services as intake
    from tests.world import build_world
    from tracing import services as tracing
    from tracing.tests.factories import unidentified

    world = build_world(cast)
    then = timezone.now() - datetime.timedelta(days=2)
    flagged = []
    with time_machine.travel(then, tick=False):
        for n in range(4):
            episode = intake.intake_register(
                by=cast.reception, station=cast.station, channel="walk_in", requested_at=then,
                person_data={"name": f"多次求助{n}", "sex": "男", "birth_date": datetime.date(1970, 1, 1 + n)},
                answers=ELIGIBLE)
            flagged.append(episode.pk)
    Episode.objects.filter(pk__in=flagged).update(flag_repeat_requests=True)
    three_days = timezone.now() - datetime.timedelta(days=3)
    episode = unidentified(cast, at=three_days - datetime.timedelta(hours=2))
    with time_machine.travel(three_days, tick=False):
        tracing.check_create(by=cast.tracer, person=episode.person, police=cast.police, known_info="三天前发出")
    world.flagged = flagged
    return world


def _statistician(cast):
    user = User.objects.create_user(username="stats", password=cast.password, full_name="林统计",
                                    organisation=cast.city_dept)
    UserRole.objects.create(user=user, role=Role.STATISTICIAN)
    return user


def _numbers(body: str) -> list[tuple[str, int]]:
    return [(url.replace("&amp;", "&"), int(count)) for url, count in NUMBER.findall(body)]


def _listed(client, url: str) -> int:
    """What the linked list itself counts, read from the page it renders."""
    path, _, fragment = url.partition("#")
    response = client.get(path)
    assert response.status_code == 200, url
    context = response.context
    if "page_obj" in context:
        return context["page_obj"].paginator.count
    if "table" in context:
        return context["table"]["grand_total"]
    if fragment.startswith("bucket-"):
        return context["counts"][fragment.removeprefix("bucket-")]
    raise AssertionError(f"no count on {url}")


def _home(client):
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def _check_every_number(client, body: str) -> list[tuple[str, int]]:
    numbers = _numbers(body)
    assert numbers
    for url, count in numbers:
        assert _listed(client, url) == count, f"{url}: home {count}"
    return numbers


def _sections(body: str) -> set[str]:
    return {s for s in SECTIONS if f'id="{s}"' in body}


def test_i6_the_station_home_shows_its_work_and_each_number_opens_the_list_it_counts(cast, client_for):
    world = _world(cast)
    client = client_for(cast.reception)
    body = _home(client)
    assert _sections(body) == {"home-tasks", "home-station"}
    numbers = dict(_check_every_number(client, body))
    # the example: the four overdue repeat requests show on the home page, the inbox and the list
    assert numbers["/intake/?status=requested&flagged=on"] == len(world.flagged) == 4
    assert numbers["/deadlines/?rule=I6#bucket-overdue"] == 4
    assert "重点甄别" in body and "在站超过10天" in body
    assert numbers["/stay/?flag=over"] >= 1  # the world's people admitted 12 days ago


def test_the_station_heads_home_agrees_with_the_inbox_and_the_badge(cast, client_for):
    from deadlines.selectors import inbox, nav_count

    _world(cast)
    client = client_for(cast.head)
    body = _home(client)
    numbers = dict(_check_every_number(client, body))
    counts = inbox(user=cast.head)["counts"]
    assert numbers["/deadlines/#bucket-overdue"] == counts["overdue"] == nav_count(cast.head) > 0
    assert numbers["/deadlines/#bucket-today"] == counts["today"]
    assert f"待办（{counts['overdue']}）" in body


def test_the_heads_task_counts_are_kept_while_nothing_changes_and_recounted_after_a_colleagues_write(cast, client_for):
    """Issue 9 (mixed load): a head's home page counted every deadline rule (~45 grouped queries) on every visit.
    The counts are kept as the badge's are — until a write to the organisation's data — and then agree with the
    inbox again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from deadlines.selectors import inbox
    from deadlines.tests.conftest import admit

    _world(cast)
    client = client_for(cast.head)
    with CaptureQueriesContext(connection) as first:
        before = dict(_numbers(_home(client)))
    with CaptureQueriesContext(connection) as second:
        assert dict(_numbers(_home(client))) == before
    assert len(second) <= len(first) - 20
    overdue = inbox(user=cast.head)["counts"]["overdue"]
    assert before["/deadlines/#bucket-overdue"] == overdue
    admit(cast, timezone.now() - datetime.timedelta(days=4), name="同事新收")  # a colleague's write: T1 etc. overdue
    after = dict(_numbers(_home(client)))
    assert after["/deadlines/#bucket-overdue"] == inbox(user=cast.head)["counts"]["overdue"] > overdue


def test_t2_the_police_home_shows_pending_and_overdue_checks_and_reports(cast, client_for):
    from deadlines.selectors import inbox

    _world(cast)
    client = client_for(cast.police_officer)
    body = _home(client)
    assert _sections(body) == {"home-tasks", "home-police"}
    numbers = dict(_check_every_number(client, body))
    assert numbers["/tracing/?status=sent&overdue=1"] == 1
    assert numbers["/tracing/?status=sent"] >= 2  # the world's unanswered check and the three-day-old one
    assert numbers["/deadlines/?rule=T2#bucket-overdue"] == 1 == inbox(user=cast.police_officer, rule_id="T2")[
        "counts"]["overdue"]
    assert "/matching/?status=open" in numbers
    assert "英德站" not in body or "在站" not in body  # no station figures for the police


def test_the_supervisors_home_shows_overdue_items_by_station_and_open_panel_matters(cast, client_for):
    _world(cast)
    client = client_for(cast.county_supervisor)
    body = _home(client)
    assert _sections(body) == {"home-tasks", "home-station", "home-oversight"}
    numbers = _check_every_number(client, body)
    urls = dict(numbers)
    overview_rows = [(u, n) for u, n in numbers if u.startswith("/deadlines/overview/?organisation=")]
    assert overview_rows and sum(n for _, n in overview_rows) == urls["/deadlines/overview/"] > 0
    assert urls["/oversight/opinions/?status=open"] >= 1  # the world's panel opinion
    assert "/oversight/hazards/?status=open&overdue=1" in urls and "/incidents/?status=open" in urls
    assert "/stay/n5-reports/" in urls
    assert "英德市救助管理站" in body


def test_the_panel_members_home_shows_the_panel_matters(cast, client_for):
    _world(cast)
    client = client_for(cast.panel_member)
    body = _home(client)
    assert "home-oversight" in _sections(body) and "home-police" not in _sections(body)
    _check_every_number(client, body)


def test_the_statisticians_home_shows_the_figures(cast, client_for):
    _world(cast)
    statistician = _statistician(cast)
    client = client_for(statistician)
    body = _home(client)
    assert "home-figures" in _sections(body)
    numbers = dict(_check_every_number(client, body))
    first = timezone.localdate().replace(day=1)
    assert numbers[f"/intake/?date_from={first.isoformat()}&date_to={timezone.localdate().isoformat()}"] >= 4
    assert any(u.startswith("/leaving/?date_from=") for u in numbers)


def test_a_user_of_another_organisation_sees_none_of_it(cast, client_for):
    client = client_for(cast.outsider)
    empty = _numbers(_home(client))  # only the outsider's own organisation's duties (its monthly report …)
    world = _world(cast)
    body = _home(client)
    assert _numbers(body) == empty
    assert all(count == 0 for url, count in empty if not url.startswith("/deadlines/"))
    for secret in ("英德", "清远", "多次求助0", "甲世界", *getattr(world, "secrets", [])):
        assert secret not in body
    assert client_for(cast.outsider).get(f"/deadlines/overview/?organisation={cast.station.uuid}").status_code == 404
    assert client_for(cast.outsider).get("/deadlines/overview/?organisation=not-a-uuid").status_code == 404


def test_the_badge_is_current_after_an_action_not_a_minute_later(cast, client_for):
    from intake import services as intake

    world = _world(cast)
    client = client_for(cast.reception)
    body = client.get("/intake/").content.decode()  # any page: the badge is counted (and cached) there
    before = int(re.search(r"待办（(\d+)）", body).group(1))
    assert before >= 4
    episode = Episode.objects.get(pk=world.flagged[0])
    intake.safety_check_add(by=cast.reception, episode=episode)
    intake.health_check_add(by=cast.reception, episode=episode,
                            data={"physical": "良好", "mental": "清醒", "outcome": "admitted"})
    intake.intake_admit(by=cast.reception, episode=episode)
    after = re.search(r"待办（(\d+)）", client.get("/intake/").content.decode())
    assert (int(after.group(1)) if after else 0) == before - 1


def test_the_in_care_and_departure_lists_filter_by_station(cast, client_for):
    _world(cast)
    client = client_for(cast.city_supervisor)  # sees both stations
    for path in ("/stay/", "/leaving/"):
        here = client.get(f"{path}?station={cast.station.uuid}")
        assert here.status_code == 200 and here.context["page_obj"].paginator.count > 0
        elsewhere = client.get(f"{path}?station={cast.city_station.uuid}")
        assert elsewhere.status_code == 200 and elsewhere.context["page_obj"].paginator.count == 0
