"""Issue 15: the departure form shows its own mistakes and the service's rules (N9) in one save, and says
that a chosen ID copy must be chosen again."""

import pytest
from django.urls import reverse

from leaving.models import Departure
from leaving.tests.test_services import png_upload
from stay.tests.factories import admitted_episode

pytestmark = pytest.mark.django_db


def test_n9_a_child_leaving_alone_and_a_bad_time_are_shown_together(cast, client_for):
    child = admitted_episode(cast, age=12, name="小明")
    response = client_for(cast.reception).post(reverse("leaving:new", args=[child.uuid]), {
        "exit_type": "self", "left_at": "不是时间", "declaration_signed": "on",
        "claimant_id_copy": png_upload()})
    page = response.content.decode()
    assert response.status_code == 200
    assert "规则 N9" in page  # the service: a child under 16 does not leave alone …
    assert "有效的日期" in page or "有效的时间" in page or "日期/时间" in page  # … beside the form's error
    assert "请重新选择文件" in page  # the chosen ID copy must be chosen again
    assert not Departure.objects.exists()
