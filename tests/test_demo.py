"""The demo (``make demo``) keeps working as the apps' services change: a small city seeds through them,
the tracing data is there (rules T1–T7, T9) and a second run does nothing."""

import pytest

pytestmark = pytest.mark.django_db


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
