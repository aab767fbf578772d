"""Rule O3: checklist → inspection → hazard ledger → 整改 → 验收 by another person → 销号; the O3 deadline."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.models import AuditEntry
from deadlines.registry import BUCKET_OVERDUE, BUCKET_TODAY, LATE, MET, discover, evaluate
from deadlines.tests.conftest import bucket_of, local
from oversight import services
from oversight.models import ChecklistItem, Hazard, HazardStatus, Inspection, Outcome, RiskCategory
from oversight.tests.world import png

pytestmark = pytest.mark.django_db


def _inspect(cast, checklist, *, by=None, fail_note="厨房留样柜温度不达标", deadline=None):
    return services.inspection_create(
        by=by or cast.head,
        organisation=cast.station,
        results=[
            {"item": checklist[0], "outcome": Outcome.PASS},
            {
                "item": checklist[1],
                "outcome": Outcome.FAIL,
                "note": fail_note,
                "deadline": deadline,
                "photo": png(),
            },
            {"item": checklist[2], "outcome": Outcome.PASS},
        ],
    )


def test_o3_checklist_applies_to_every_station_below_the_department(cast, checklist):
    assert list(services.checklist_for(cast.station)) == list(services.checklist_for(cast.city_station)) != []
    assert list(services.checklist_for(cast.other_station)) == []


def test_o3_every_failed_item_becomes_a_hazard_with_the_default_deadline(cast, checklist, settings):
    settings.GUITU_RULES = {**settings.GUITU_RULES, "O3_HAZARD_DAYS": 10}
    inspection = _inspect(cast, checklist)
    hazard = Hazard.objects.get()
    assert hazard.inspection == inspection and hazard.status == HazardStatus.RECTIFYING
    assert hazard.category == RiskCategory.FOOD and hazard.description == "厨房留样柜温度不达标"
    assert hazard.deadline == hazard.found_on + datetime.timedelta(days=10)
    assert hazard.result.photo.name.endswith(".jpg")
    assert hazard.steps.get().status_to == HazardStatus.RECTIFYING
    assert AuditEntry.objects.filter(object_type="oversight.Hazard", object_id=str(hazard.uuid)).exists()


def test_o3_a_failed_item_without_a_description_saves_nothing(cast, checklist):
    with pytest.raises(ValidationError) as exc:
        _inspect(cast, checklist, fail_note="")
    assert f"n_{checklist[1].pk}" in exc.value.message_dict
    assert not Inspection.objects.exists() and not Hazard.objects.exists()


def test_o3_every_item_must_be_answered(cast, checklist):
    with pytest.raises(ValidationError) as exc:
        services.inspection_create(
            by=cast.head, organisation=cast.station, results=[{"item": checklist[0], "outcome": Outcome.PASS}]
        )
    assert "未填写" in exc.value.message_dict["results"][0]
    assert not Inspection.objects.exists()


def test_o3_an_item_of_another_departments_checklist_is_refused(cast, checklist):
    foreign = ChecklistItem.objects.create(
        organisation=cast.other_dept, category=RiskCategory.FIRE, text="别处的项目"
    )
    with pytest.raises(ValidationError):
        services.inspection_create(
            by=cast.head,
            organisation=cast.station,
            results=[{"item": c, "outcome": Outcome.PASS} for c in checklist]
            + [{"item": foreign, "outcome": Outcome.PASS}],
        )
    assert not Inspection.objects.exists()


def test_o3_only_stations_and_facilities_are_inspected(cast, checklist):
    with pytest.raises(ValidationError):
        services.inspection_create(by=cast.city_supervisor, organisation=cast.police, results=[])


def test_o3_rectified_accepted_by_another_person_and_closed(cast, checklist):
    _inspect(cast, checklist)
    hazard = Hazard.objects.get()
    with pytest.raises(ValidationError):  # no measures yet
        services.hazard_submit(by=cast.carer, hazard=hazard, rectification="已修好")
    services.hazard_plan(by=cast.carer, hazard=hazard, measures="更换温控器", responsible="赵照料")
    with pytest.raises(ValidationError):  # not before acceptance
        services.hazard_close(by=cast.head, hazard=hazard)
    services.hazard_submit(by=cast.carer, hazard=hazard, rectification="温控器已更换，温度达标")
    services.hazard_accept(by=cast.head, hazard=hazard, note="现场查看合格")
    services.hazard_close(by=cast.county_supervisor, hazard=hazard)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.CLOSED
    assert (hazard.rectified_by, hazard.accepted_by, hazard.closed_by) == (
        cast.carer,
        cast.head,
        cast.county_supervisor,
    )
    assert [s.status_to for s in hazard.steps.all()] == ["rectifying", "pending", "accepted", "closed"]
    entry = AuditEntry.objects.filter(object_id=str(hazard.uuid), summary__contains="验收通过").get()
    assert entry.changes["status"] == ["pending", "accepted"]


def test_o3_the_person_who_fixed_it_cannot_accept_it(cast, checklist):
    _inspect(cast, checklist)
    hazard = Hazard.objects.get()
    services.hazard_plan(by=cast.head, hazard=hazard, measures="更换温控器", responsible="王站长")
    services.hazard_submit(by=cast.head, hazard=hazard, rectification="已更换")
    with pytest.raises(ValidationError, match="不能是整改人本人"):
        services.hazard_accept(by=cast.head, hazard=hazard)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.PENDING and hazard.accepted_by is None


def test_o3_the_database_refuses_acceptance_by_the_fixer(cast, checklist):
    _inspect(cast, checklist)
    hazard = Hazard.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Hazard.objects.filter(pk=hazard.pk).update(rectified_by=cast.head, accepted_by=cast.head)


def test_o3_refused_acceptance_sends_it_back_and_the_fix_no_longer_counts(cast, checklist):
    _inspect(cast, checklist)
    hazard = Hazard.objects.get()
    services.hazard_plan(by=cast.carer, hazard=hazard, measures="更换温控器", responsible="赵照料")
    services.hazard_submit(by=cast.carer, hazard=hazard, rectification="已更换")
    with pytest.raises(ValidationError):
        services.hazard_reject(by=cast.head, hazard=hazard, note="")
    services.hazard_reject(by=cast.head, hazard=hazard, note="温度仍超标")
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.RECTIFYING and hazard.rectified_at is None


def test_o3_free_text_is_limited(cast, checklist):
    with pytest.raises(ValidationError):
        services.hazard_create(
            by=cast.head, organisation=cast.station, category="fire", description="火" * 501
        )
    with pytest.raises(ValidationError):
        services.checklist_item_create(
            by=cast.city_supervisor, organisation=cast.city_dept, category="fire", text="x" * 201
        )
    assert not Hazard.objects.exists()


def test_o3_rule_is_declared_and_an_unfixed_hazard_is_overdue_after_its_deadline_day(cast, checklist):
    assert discover()["O3"].app_label == "oversight"
    with time_machine.travel(local(2026, 3, 2, 9), tick=False):
        _inspect(cast, checklist, deadline=datetime.date(2026, 3, 10))
    hazard = Hazard.objects.get()
    assert bucket_of("O3", hazard, local(2026, 3, 9, 12)) is None
    assert bucket_of("O3", hazard, local(2026, 3, 10, 12)) == BUCKET_TODAY
    assert bucket_of("O3", hazard, local(2026, 3, 11, 0, 1)) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 3, 12, 9), tick=False):
        services.hazard_plan(by=cast.carer, hazard=hazard, measures="更换温控器", responsible="赵照料")
        services.hazard_submit(by=cast.carer, hazard=hazard, rectification="已更换")
    assert bucket_of("O3", hazard, local(2026, 3, 12, 10)) is None
    [outcome] = evaluate("O3", as_of=local(2026, 3, 13))
    assert outcome.status == LATE


def test_o3_a_fix_on_the_deadline_day_is_on_time(cast, checklist):
    with time_machine.travel(local(2026, 3, 2, 9), tick=False):
        _inspect(cast, checklist, deadline=datetime.date(2026, 3, 10))
    hazard = Hazard.objects.get()
    with time_machine.travel(local(2026, 3, 10, 23, 30), tick=False):
        services.hazard_plan(by=cast.carer, hazard=hazard, measures="更换温控器", responsible="赵照料")
        services.hazard_submit(by=cast.carer, hazard=hazard, rectification="已更换")
    [outcome] = evaluate("O3", as_of=local(2026, 3, 20))
    assert outcome.status == MET
