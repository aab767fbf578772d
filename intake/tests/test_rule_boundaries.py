"""Rule I6 at its exact boundary, from both sides: the third request within the window (183 days, a local
setting) flags the episode for careful screening (重点甄别); a first request exactly 183 days before the third
is outside the window and does not count."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from intake import services
from intake.tests.conftest import register
from people.models import Episode

pytestmark = pytest.mark.django_db
WINDOW = datetime.timedelta(days=183)


def _two_earlier_requests(cast, first_at):
    first = register(cast, requested_at=first_at)
    services.intake_refuse(by=cast.reception, episode=first, reason="提供虚假信息",
                           at=first_at + datetime.timedelta(hours=1))
    second_at = first_at + datetime.timedelta(days=30)
    second = register(cast, person=first.person, requested_at=second_at)
    services.intake_refuse(by=cast.reception, episode=second, reason="提供虚假信息",
                           at=second_at + datetime.timedelta(hours=1))
    return first.person


@pytest.mark.parametrize(("after_first", "flagged"), [
    (WINDOW - datetime.timedelta(seconds=1), True),  # 182 days 23:59:59: the first request still counts
    (WINDOW, False),  # exactly 183 days: the window (requested_at > at − 183 days) no longer holds it
])
def test_i6_the_window_ends_exactly_183_days_after_the_first_request(cast, after_first, flagged):
    third_at = timezone.now() - datetime.timedelta(hours=2)
    person = _two_earlier_requests(cast, third_at - after_first)
    assert services.repeat_request_count(person=person, at=third_at) == (2 if flagged else 1)  # the two earlier ones, or only the second
    third = register(cast, person=person, requested_at=third_at)
    assert Episode.objects.get(pk=third.pk).flag_repeat_requests is flagged


def test_i6_the_window_counts_a_request_made_at_the_same_moment_and_not_one_made_later(cast):
    at = timezone.now() - datetime.timedelta(days=3)
    first = register(cast, requested_at=at)
    assert services.repeat_request_count(person=first.person, at=at) == 1  # requested_at <= at
    assert services.repeat_request_count(person=first.person, at=at - datetime.timedelta(seconds=1)) == 0


def test_i6_two_requests_are_not_flagged_the_third_is(cast):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=1), tick=False):
        person = _two_earlier_requests(cast, timezone.now() - datetime.timedelta(days=40))
    assert not Episode.objects.filter(person=person, flag_repeat_requests=True).exists()
    third = register(cast, person=person)
    assert Episode.objects.get(pk=third.pk).flag_repeat_requests


def test_i6_screening_is_due_exactly_24_hours_after_the_request(cast):
    from deadlines.tests.conftest import bucket_of, local
    from people import services as people

    at = local(2026, 3, 2, 10)
    with time_machine.travel(at, tick=False):
        ep = register(cast, requested_at=at)
        people.episode_set_flags(by=cast.reception, episode=ep, repeat_requests=True)
    assert bucket_of("I6", ep, local(2026, 3, 3, 10)) == "today"  # the 24th hour is still on time
    assert bucket_of("I6", ep, local(2026, 3, 3, 10, 0, 1)) == "overdue"
