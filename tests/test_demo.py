"""The demo (``make demo``) keeps working as the apps' services change: a small city seeds through them,
the tracing data is there (rules T1–T7, T9) and a second run does nothing."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.heavy(12)]  # a seeded city each: started first (conftest.py)


@pytest.fixture(autouse=True)
def _sandbox(settings, tmp_path):
    from matching import engine

    settings.GUITU_MATCH_DIR = str(tmp_path / "matching")
    settings.GUITU_MATCH_FACES = False
    settings.MEDIA_ROOT = str(tmp_path / "media")
    engine.reset_cache()
    yield
    engine.reset_cache()


def test_the_demo_seeds_tracing_work_the_engine_proposes_true_matches_and_is_idempotent():
    from announcements.models import Announcement, AnnouncementStatus, Clue, Publication
    from guitu.demo import seed
    from guitu.demo_tracing import TRUE_MATCHES
    from matching.models import CandidateStatus, MatchCandidate, MissingReport
    from people.models import IdentityStatus, Person
    from tracing.models import DnaRequest, IdentityCheck, PlanStatus, ReturnPlan, Talk

    assert seed(people=8) == 8
    assert MissingReport.objects.filter(organisation__code="QCGA").count() == 15
    for m in TRUE_MATCHES:  # homophone name, birth year off by 2, same county: proposed
        assert MatchCandidate.objects.filter(report__name=m.report_name).exists(), m.report_name
    confirmed = MatchCandidate.objects.get(status=CandidateStatus.CONFIRMED)
    person = Person.objects.get(pk=confirmed.person_id)
    assert person.identity_status == IdentityStatus.IDENTIFIED and person.name == TRUE_MATCHES[2].report_name
    assert ReturnPlan.objects.get(person=person).status == PlanStatus.OPEN
    assert not Announcement.objects.filter(person=person, status=AnnouncementStatus.PUBLISHED).exists()
    assert Announcement.objects.filter(status=AnnouncementStatus.PUBLISHED).count() >= 2
    assert Publication.objects.filter(channel="board").exists() and Clue.objects.exists()
    assert IdentityCheck.objects.exists() and Talk.objects.exists() and DnaRequest.objects.exists()
    counts = (Person.objects.count(), Talk.objects.count(), MissingReport.objects.count())
    assert seed(people=8) == 0
    assert (Person.objects.count(), Talk.objects.count(), MissingReport.objects.count()) == counts


def test_the_demo_seeds_after_return_work_through_the_services():
    from aftercare.models import ReturnCase, RiskRegistration, WanderingAlert
    from core.models import User
    from guitu.demo import login_lines, seed

    seed(people=4)
    local = ReturnCase.objects.filter(township__code="YCJDB")
    assert local.count() == 4
    assert local.filter(visits__isnull=False).distinct().count() == 2
    assert RiskRegistration.objects.filter(township__code="YCJDB").count() == 3
    assert WanderingAlert.objects.filter(acknowledged_at__isnull=True).count() == 1
    from aftercare.models import AttentionItem, SharedList

    shared = SharedList.objects.get()  # rule A4: one 低保 list, matched in batch
    assert shared.row_count == 4 and shared.matched_at is not None
    assert {i.row.name for i in AttentionItem.objects.filter(row__shared_list=shared)} >= {"罗志明"}
    assert any("hp_wangge" in line for line in login_lines())
    from network.models import Contact, ServicePoint
    from network.selectors import coverage
    from outreach.models import HotSpot, Patrol, Sighting

    assert Contact.objects.count() == 2 and ServicePoint.objects.count() == 3
    assert HotSpot.objects.count() == 5 and Patrol.objects.exists() and Sighting.objects.count() == 3
    yd = next(c for c in coverage(User.objects.get(username="yd_jianguan")) if c.county.code == "441881")
    assert not yd.four_level  # 大站镇 has no organisation or liaison yet
