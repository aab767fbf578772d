"""Rule R2 — 协同会办: several bodies on one case, with participants, meetings and decisions."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import Role
from core.testing import _user
from regional import selectors, services
from regional.models import JointStatus

pytestmark = pytest.mark.django_db


def _open(region, episode=None):
    cast = region.cast
    episode = episode or region.admit()
    return services.joint_open(by=cast.head, episode=episode, kind="medical", title="精神障碍人员救治会办",
                               participants=[{"organisation": cast.hospital, "duty": "住院救治"},
                                             {"organisation": region.centre, "duty": "统筹协调"}])


def test_r2_a_joint_case_has_participants_meetings_and_decisions(region):
    cast = region.cast
    joint = _open(region)
    meeting = services.joint_meeting_record(
        by=cast.head, joint=joint, held_on=timezone.localdate(), attendees="王站长、医院李主任、中心黄主任",
        minutes="会商救治方案，医院接收住院，中心协调费用。",
        decisions=[{"text": "医院三日内收治", "responsible": cast.hospital,
                    "due_on": timezone.localdate() + datetime.timedelta(days=3)}])
    assert joint.participants.count() == 2 and meeting.decisions.count() == 1
    # every participating body sees the case: the hospital's staff too
    doctor = _user("doctor", "李医生", cast.hospital, Role.MEDICAL)
    assert selectors.joint_list(user=doctor).filter(pk=joint.pk).exists()
    decision = meeting.decisions.get()
    with pytest.raises(ValidationError):  # only the responsible body records it done
        services.joint_decision_done(by=cast.head, decision=decision, note="已收治")
    with pytest.raises(ValidationError) as err:
        services.joint_close(by=cast.head, joint=joint, conclusion="会办完成，人员已收治")
    assert "未落实" in str(err.value)
    services.joint_decision_done(by=doctor, decision=decision, note="已收治入院")
    joint = services.joint_close(by=cast.head, joint=joint, conclusion="会办完成，人员已收治")
    assert joint.status == JointStatus.CLOSED
    with pytest.raises(ValidationError):
        services.joint_meeting_record(by=cast.head, joint=joint, held_on=timezone.localdate(), attendees="王站长",
                                      minutes="结案后不能再记录会议纪要内容。")


def test_r2_a_joint_case_needs_another_body_and_decisions_for_its_bodies(region):
    cast = region.cast
    episode = region.admit()
    with pytest.raises(ValidationError):
        services.joint_open(by=cast.head, episode=episode, kind="care", title="会办", participants=[])
    joint = _open(region, episode)
    with pytest.raises(ValidationError) as err:
        services.joint_meeting_record(by=cast.head, joint=joint, held_on=timezone.localdate(), attendees="王站长",
                                      minutes="会商救治方案，决定由公安配合。",
                                      decisions=[{"text": "公安配合", "responsible": cast.police}])
    assert "decisions" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.joint_participant_add(by=cast.head, joint=joint, organisation=cast.hospital, duty="再次参与")


def test_r2_an_unrelated_body_neither_sees_nor_convenes(region):
    cast = region.cast
    joint = _open(region)
    assert not selectors.joint_list(user=cast.outsider).exists()
    assert not selectors.joint_list(user=region.other_centre_head).exists()
    with pytest.raises(ValidationError):
        services.joint_open(by=cast.outsider, episode=joint.episode, kind="care", title="越权会办",
                            participants=[{"organisation": cast.hospital, "duty": "x"}])


def test_r2_a_decision_is_due_by_its_date(region):
    from deadlines.tests.conftest import bucket_of

    cast = region.cast
    joint = _open(region)
    meeting = services.joint_meeting_record(
        by=cast.head, joint=joint, held_on=timezone.localdate(), attendees="王站长、中心黄主任",
        minutes="会商护送方案并明确责任分工。",
        decisions=[{"text": "中心联系户籍地", "responsible": region.centre,
                    "due_on": timezone.localdate() + datetime.timedelta(days=1)}])
    decision = meeting.decisions.get()
    assert bucket_of("R2D", decision, timezone.now() + datetime.timedelta(days=3)) == "overdue"
    services.joint_decision_done(by=region.centre_head, decision=decision, note="已联系户籍地民政")
    assert bucket_of("R2D", decision, timezone.now() + datetime.timedelta(days=3)) is None
