"""The episode state machine: every forbidden move is refused, in the map and through the service.

Single mutations (an extra edge such as 不予救助 → 已入站 or 求助登记 → 已离站) must fail a test here.
"""

import itertools

import pytest
from django.core.exceptions import ValidationError

from people.models import Episode, EpisodeTransition
from people.services import episode_close, episode_transition
from people.states import (
    CLOSED,
    MOVE_PATHS,
    STATUS_LABELS,
    TRANSITIONS,
    EpisodeStatus,
    TransitionNotAllowed,
    allowed_targets,
    check_transition,
)

S = EpisodeStatus
ALL_PAIRS = list(itertools.product(list(S), repeat=2))
#: The allowed edges, written out once more by hand so that a widened map fails this test.
EXPECTED_EDGES = {
    (S.REQUESTED, S.ADMITTED),
    (S.REQUESTED, S.REFUSED),
    (S.REQUESTED, S.IN_HOSPITAL),
    (S.ADMITTED, S.IN_STATION),
    (S.ADMITTED, S.IN_HOSPITAL),
    (S.ADMITTED, S.OUTSIDE_CARE),
    (S.ADMITTED, S.LEFT),
    (S.ADMITTED, S.TERMINATED),
    (S.IN_STATION, S.IN_HOSPITAL),
    (S.IN_STATION, S.OUTSIDE_CARE),
    (S.IN_STATION, S.LEFT),
    (S.IN_STATION, S.TERMINATED),
    (S.IN_HOSPITAL, S.IN_STATION),
    (S.IN_HOSPITAL, S.OUTSIDE_CARE),
    (S.IN_HOSPITAL, S.LEFT),
    (S.IN_HOSPITAL, S.TERMINATED),
    (S.OUTSIDE_CARE, S.IN_STATION),
    (S.OUTSIDE_CARE, S.IN_HOSPITAL),
    (S.OUTSIDE_CARE, S.LEFT),
    (S.OUTSIDE_CARE, S.TERMINATED),
}
FORBIDDEN = [pair for pair in ALL_PAIRS if pair not in EXPECTED_EDGES]


def test_e1_the_map_holds_exactly_the_expected_edges():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == EXPECTED_EDGES
    assert all(not TRANSITIONS[s] for s in CLOSED)


@pytest.mark.parametrize("current, target", FORBIDDEN, ids=[f"{a}->{b}" for a, b in FORBIDDEN])
def test_e1_every_forbidden_move_is_refused_by_the_map(current, target):
    with pytest.raises(TransitionNotAllowed) as exc:
        check_transition(current, target)
    assert STATUS_LABELS[target] in str(exc.value)
    assert target not in allowed_targets(current)


@pytest.mark.parametrize(
    "current, target", sorted(EXPECTED_EDGES), ids=[f"{a}->{b}" for a, b in sorted(EXPECTED_EDGES)]
)
def test_e1_every_allowed_move_has_a_record_of_its_own(current, target):
    check_transition(current, target)  # allowed
    assert MOVE_PATHS[(current, target)]  # and made through its own form, never a generic status change


def test_e1_unknown_state_is_refused():
    with pytest.raises(TransitionNotAllowed, match="未知的状态"):
        check_transition(S.ADMITTED, "teleported")


@pytest.fixture
def bare_episode(cast):
    from people.services import episode_open, person_create

    person = person_create(by=cast.reception, station=cast.station, data={"name": "状态机", "sex": "男"})
    return episode_open(by=cast.reception, person=person, station=cast.station, channel="walk_in")


@pytest.mark.parametrize("current, target", FORBIDDEN, ids=[f"{a}->{b}" for a, b in FORBIDDEN])
def test_e1_every_forbidden_move_is_refused_by_the_service_and_changes_nothing(
    cast, bare_episode, current, target
):
    Episode.objects.filter(pk=bare_episode.pk).update(status=current)
    rows = EpisodeTransition.objects.count()
    service = episode_close if target in CLOSED else episode_transition
    with pytest.raises(ValidationError):
        service(by=cast.head, episode=bare_episode, to=target)
    assert Episode.objects.get(pk=bare_episode.pk).status == current
    assert EpisodeTransition.objects.count() == rows


@pytest.mark.parametrize("target", sorted(CLOSED))
def test_e1_an_end_state_is_reached_only_through_the_closing_path(cast, bare_episode, target):
    current = S.REQUESTED if target == S.REFUSED else S.IN_STATION
    Episode.objects.filter(pk=bare_episode.pk).update(status=current)
    with pytest.raises(ValidationError, match="须通过"):
        episode_transition(by=cast.head, episode=bare_episode, to=target)
    assert Episode.objects.get(pk=bare_episode.pk).status == current


def test_e1_the_closing_path_refuses_a_state_that_does_not_end_the_episode(cast, bare_episode):
    with pytest.raises(ValidationError, match="不是结束状态"):
        episode_close(by=cast.head, episode=bare_episode, to=S.ADMITTED)
    assert Episode.objects.get(pk=bare_episode.pk).status == S.REQUESTED
