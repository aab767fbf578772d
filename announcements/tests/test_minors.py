"""Issue 8 hole 11: children's announcements need the station head's approval; the place only to district."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from announcements import services
from announcements.models import AnnouncementStatus
from announcements.tests.factories import announcement, unidentified_person

pytestmark = pytest.mark.django_db


def _child(cast):
    return unidentified_person(cast, name="哨兵小童", id_number="", age_min=9, age_max=11)


def test_hole11_a_childs_announcement_is_not_published_without_the_head(cast):
    child = _child(cast)
    assert child.is_minor
    draft = announcement(cast, child, publish=False)
    with pytest.raises(ValidationError, match="须经站长批准"):
        services.announcement_publish(by=cast.tracer, announcement=draft)
    draft.refresh_from_db()
    assert draft.status == AnnouncementStatus.DRAFT and draft.approved_by is None


def test_hole11_the_station_head_approves_and_publishes_and_it_is_audited(cast):
    from core.models import AuditEntry

    draft = announcement(cast, _child(cast), publish=False)
    live = services.announcement_publish(by=cast.head, announcement=draft)
    assert live.status == AnnouncementStatus.PUBLISHED and live.approved_by == cast.head and live.approved_at
    assert AuditEntry.objects.filter(object_id=str(live.uuid), summary__contains="站长批准").exists()


def test_hole11_a_head_of_another_station_cannot_approve(cast):
    draft = announcement(cast, _child(cast), publish=False)
    with pytest.raises(ValidationError, match="须经站长批准"):
        services.announcement_publish(by=cast.outsider, announcement=draft)  # 乳源's head


def test_hole11_a_childs_found_place_is_public_only_to_the_district(cast, client):
    draft = announcement(cast, _child(cast), publish=False, found_place="英德市火车站广场东侧报亭")
    assert draft.found_place == "" and draft.found_division.code == "441881"
    live = services.announcement_publish(by=cast.head, announcement=draft)
    page = client.get(reverse("xunqin:detail", args=[live.uuid])).content.decode()
    assert "英德市" in page and "报亭" not in page and "火车站广场" not in page


def test_hole11_a_child_without_a_district_cannot_publish_the_place(cast):
    with pytest.raises(ValidationError) as caught:
        announcement(cast, _child(cast), publish=False, found_division=None)
    assert "只公开发现地所在区县" in str(caught.value)


def test_hole11_adults_are_unchanged(cast):
    adult = unidentified_person(cast, name="哨兵成人", id_number="")
    live = announcement(cast, adult)  # the tracer publishes
    assert live.status == AnnouncementStatus.PUBLISHED and not live.is_minor
    assert live.found_place == "英德市火车站广场"
