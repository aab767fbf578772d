"""Issue 15: the placement form shows its own mistakes and the service's rules (C5) in one save."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from stay.models import Placement
from stay.tests.factories import admitted_episode

pytestmark = pytest.mark.django_db


def test_c5_outside_care_without_agreement_and_a_bad_date_are_shown_together(cast, client_for):
    ep = admitted_episode(cast)
    response = client_for(cast.carer).post(reverse("stay:placement_new", args=[ep.uuid]), {
        "kind": "outside_care", "organisation": "",
        "started_at": "不是时间", "agreement_ref": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "托养协议" in page  # the service's rule C5 …
    assert "日期" in page or "时间" in page  # … with the form's own date error
    assert not Placement.objects.exists()


def test_a_placement_started_before_admission_is_reported_with_the_missing_agreement(cast, client_for):
    ep = admitted_episode(cast)
    from stay import services

    with pytest.raises(ValidationError) as exc:
        services.placement_start(by=cast.carer, episode=ep, kind="outside_care", organisation=None,
                                 started_at=ep.admitted_at.replace(year=ep.admitted_at.year - 1))
    errors = exc.value.message_dict
    assert {"organisation", "agreement", "started_at"} <= set(errors)
