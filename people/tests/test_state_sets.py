"""The state sets every app relies on, written out by hand: who is in care (beds, stranded days, departures,
N5) and which states end an episode — a state added to or dropped from either fails here, and so does a
departure or a termination from a request that was never admitted."""

import pytest
from django.core.exceptions import ValidationError

from people.models import Episode
from people.states import CLOSED, IN_CARE, EpisodeStatus
from stay.tests.factories import admitted_episode

S = EpisodeStatus


def test_e1_in_care_means_admitted_in_the_station_in_hospital_or_in_outside_care():
    assert IN_CARE == {S.ADMITTED, S.IN_STATION, S.IN_HOSPITAL, S.OUTSIDE_CARE}
    assert CLOSED == {S.LEFT, S.REFUSED, S.TERMINATED}
    assert not IN_CARE & CLOSED and S.REQUESTED not in IN_CARE | CLOSED


@pytest.mark.django_db
def test_e1_a_request_never_admitted_neither_leaves_nor_is_terminated(cast):
    from intake.services import intake_terminate
    from leaving.models import Departure
    from leaving.services import departure_create

    ep = admitted_episode(cast)
    Episode.objects.filter(pk=ep.pk).update(status=S.REQUESTED)
    with pytest.raises(ValidationError, match="不能办理离站"):
        departure_create(by=cast.reception, episode=ep, exit_type="self", data={"declaration_signed": True})
    with pytest.raises(ValidationError, match="只有已入站"):
        intake_terminate(by=cast.head, episode=ep, reason="核实发现其提供虚假身份信息")
    assert Episode.objects.get(pk=ep.pk).status == S.REQUESTED and not Departure.objects.exists()
