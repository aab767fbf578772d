"""Rule E1: leaving happens only through a departure. The episode page offers each allowed move as a link to
the form that records it (已离站 → 离站登记, 终止救助 → its notice); there is no generic status change —
no form on the page posts a target state, and no URL takes one."""

import re

import pytest
from django.urls import NoReverseMatch, reverse

from people.models import Episode
from people.selectors import episode_moves
from people.states import CLOSED, EpisodeStatus, allowed_targets
from stay.tests.factories import admitted_episode

pytestmark = pytest.mark.django_db
S = EpisodeStatus


@pytest.mark.parametrize("status", [S.ADMITTED, S.IN_STATION, S.IN_HOSPITAL, S.OUTSIDE_CARE])
def test_e1_the_way_to_left_is_the_departure_form_from_every_state_in_care(cast, status):
    ep = admitted_episode(cast)
    Episode.objects.filter(pk=ep.pk).update(status=status)
    ep.refresh_from_db()
    moves = {m["target"]: m for m in episode_moves(ep)}
    assert set(moves) == set(allowed_targets(status))
    assert moves[S.LEFT]["url"] == reverse("leaving:new", args=[ep.uuid]) and moves[S.LEFT]["how"] == "离站登记"
    assert moves[S.TERMINATED]["url"] == reverse("intake:terminate", args=[ep.uuid]) and moves[S.TERMINATED]["danger"]
    for target in CLOSED & set(moves):
        assert not moves[target]["url"].startswith("/people/")  # a record of its own, not a status change


def test_e1_the_episode_page_posts_no_target_state(cast, client_for):
    ep = admitted_episode(cast)
    html = client_for(cast.head).get(reverse("people:episode", args=[ep.uuid])).content.decode()
    assert reverse("leaving:new", args=[ep.uuid]) in html
    assert not re.search(r'name="(to|status|target)"', html)
    with pytest.raises(NoReverseMatch):
        reverse("people:transition", args=[ep.uuid])


def test_e1_a_closed_episode_offers_no_move(cast):
    ep = admitted_episode(cast)
    for status in CLOSED:
        Episode.objects.filter(pk=ep.pk).update(status=status)
        ep.refresh_from_db()
        assert episode_moves(ep) == []
