"""Rule T3 in the services: the snapshot, photos, channels, the 24-hour status, withdrawal, clues."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from announcements import selectors, services
from announcements.models import Announcement, AnnouncementStatus, Channel, Clue, ClueStatus, Publication
from announcements.tests.factories import (
    ALL,
    DETAILS,
    ID_NUMBER,
    announcement,
    image_upload,
    unidentified_person,
)
from core.models import AuditEntry, Division
from people.models import IdentityStatus, PhotoKind
from people.selectors import person_timeline
from people.services import person_update, photo_add

pytestmark = pytest.mark.django_db


def test_t3_announcement_stores_exactly_the_chosen_details_and_never_the_id_number(cast):
    person = unidentified_person(cast)
    a = announcement(cast, person, publish=False, chosen=["sex", "features"])
    assert a.status == AnnouncementStatus.DRAFT
    assert a.chosen == ["sex", "features"]
    assert a.sex == "女" and a.features == DETAILS["features"]
    assert a.found_date is None and a.found_place == "" and a.found_division is None
    assert a.age_min is None and a.height_cm is None and a.statement == ""
    stored = " ".join(str(v) for v in Announcement.objects.filter(pk=a.pk).values().first().values())
    for secret in (ID_NUMBER, "SENTINEL-MARK", "SENTINEL-HUKOU", person.name, person.file_no):
        assert secret not in stored
    assert [ap.photo for ap in a.photos.all()] == list(person.photos.all())


def test_t3_announcement_without_a_photo_when_the_person_has_one_is_refused(cast):
    person = unidentified_person(cast)
    with pytest.raises(ValidationError) as err:
        services.announcement_create(by=cast.tracer, person=person, photos=[], chosen=ALL,
                                     details={**DETAILS, "found_date": timezone.localdate()})
    assert "该人员已有照片，公告须选择至少一张照片" in str(err.value)
    assert Announcement.objects.count() == 0


def test_t3_a_person_without_photos_may_be_announced_with_details_only(cast):
    person = unidentified_person(cast, photo=False)
    a = announcement(cast, person)
    assert a.status == AnnouncementStatus.PUBLISHED and a.photos.count() == 0


def test_t3_fingerprints_and_documents_are_never_published(cast):
    person = unidentified_person(cast)
    print_ = photo_add(by=cast.reception, person=person, image=image_upload("f.png", fmt="PNG"),
                       kind=PhotoKind.FINGERPRINT, taken_on=timezone.localdate())
    with pytest.raises(ValidationError) as err:
        services.announcement_create(by=cast.tracer, person=person, photos=[print_], chosen=["sex"],
                                     details=DETAILS)
    assert "指纹" in str(err.value)
    assert Announcement.objects.count() == 0


def test_t3_an_id_number_in_the_public_text_is_refused(cast):
    person = unidentified_person(cast)
    with pytest.raises(ValidationError) as err:
        announcement(cast, person, publish=False, statement=f"身份证 {ID_NUMBER}")
    assert "不得包含身份证号码" in str(err.value)
    assert Announcement.objects.count() == 0


def test_t3_nothing_chosen_or_impossible_values_are_refused_in_chinese(cast):
    person = unidentified_person(cast)
    photos = list(person.photos.all())
    bad = [
        ([], {}, "请至少选择一项公开信息"),
        (["found_date"], {"found_date": timezone.localdate() + datetime.timedelta(days=2)}, "不能晚于今天"),
        (["age"], {"age_min": 50, "age_max": 40}, "年龄上限不能小于下限"),
        (["height"], {"height_cm": 20}, "身高应在40至250厘米之间"),
        (["sex"], {"sex": ""}, "男"),
    ]
    for chosen, details, message in bad:
        with pytest.raises(ValidationError) as err:
            services.announcement_create(by=cast.tracer, person=person, photos=photos, chosen=chosen,
                                         details={**DETAILS, **details})
        assert message in str(err.value), chosen
    assert Announcement.objects.count() == 0


def test_t3_later_edits_of_the_file_do_not_reach_the_published_announcement(cast):
    person = unidentified_person(cast)
    a = announcement(cast, person)
    person_update(by=cast.reception, person=person, data={"marks": "NEW-SECRET-MARK", "height_cm": 170})
    a.refresh_from_db()
    assert a.features == DETAILS["features"] and a.height_cm == 158


def test_t3_an_identified_person_gets_no_announcement(cast):
    person = unidentified_person(cast)
    person.identity_status = IdentityStatus.IDENTIFIED
    person.save()
    with pytest.raises(ValidationError) as err:
        announcement(cast, person, publish=False)
    assert "身份已查明" in str(err.value)


def test_t3_publishing_records_the_board_channel_and_its_date(cast):
    person = unidentified_person(cast)
    a = announcement(cast, person)
    (board,) = a.publications.all()
    assert board.channel == Channel.BOARD and board.published_on == timezone.localdate()
    assert a.published_by == cast.tracer and a.published_at is not None
    with pytest.raises(ValidationError):
        services.announcement_publish(by=cast.tracer, announcement=a)  # published twice: refused
    assert a.publications.count() == 1


def test_t3_each_further_channel_is_recorded_with_date_and_reference(cast):
    person = unidentified_person(cast)
    a = announcement(cast, person)
    p = services.publication_add(by=cast.tracer, announcement=a, channel=Channel.TOUTIAO,
                                 published_on=timezone.localdate(), reference="头条寻人 2026-001")
    assert p.get_channel_display() == "头条寻人" and p.reference == "头条寻人 2026-001"
    for channel, day, message in [
        (Channel.BOARD, timezone.localdate(), "请选择发布渠道"),
        (Channel.TV, timezone.localdate() + datetime.timedelta(days=1), "不能晚于今天"),
        (Channel.RADIO, None, "请填写发布日期"),
        ("fax", timezone.localdate(), "请选择发布渠道"),
    ]:
        with pytest.raises(ValidationError) as err:
            services.publication_add(by=cast.tracer, announcement=a, channel=channel, published_on=day)
        assert message in str(err.value)
    assert a.publications.count() == 2


def test_t3_a_draft_cannot_be_recorded_on_other_channels(cast):
    a = announcement(cast, unidentified_person(cast), publish=False)
    with pytest.raises(ValidationError):
        services.publication_add(by=cast.tracer, announcement=a, channel=Channel.TV, published_on=timezone.localdate())
    assert Publication.objects.count() == 0


def test_t3_status_is_met_when_published_within_24_hours_of_entry(cast):
    entry = timezone.now() - datetime.timedelta(hours=30)
    with time_machine.travel(entry + datetime.timedelta(minutes=1), tick=False):
        person = unidentified_person(cast, at=entry)
    with time_machine.travel(entry + datetime.timedelta(hours=23), tick=False):
        assert selectors.t3_status(person)["state"] == "pending"
        announcement(cast, person)
    status = selectors.t3_status(person)
    assert status["state"] == "met" and status["due"] == entry + datetime.timedelta(hours=24)


def test_t3_status_is_overdue_then_late_after_24_hours_without_an_announcement(cast):
    entry = timezone.now() - datetime.timedelta(hours=30)
    with time_machine.travel(entry + datetime.timedelta(minutes=1), tick=False):
        person = unidentified_person(cast, at=entry)
    assert selectors.t3_status(person)["state"] == "overdue"
    announcement(cast, person)
    assert selectors.t3_status(person)["state"] == "late"


def test_t3_a_readmitted_person_needs_a_new_announcement_in_the_inbox_and_on_the_panel_alike(cast):
    from deadlines.registry import BUCKET_OVERDUE
    from deadlines.selectors import inbox
    from leaving.services import departure_create
    from people.services import episode_open, episode_transition

    first_entry = timezone.now() - datetime.timedelta(days=20)
    with time_machine.travel(first_entry + datetime.timedelta(minutes=1), tick=False):
        person = unidentified_person(cast, at=first_entry)
        announcement(cast, person)
    with time_machine.travel(first_entry + datetime.timedelta(days=2), tick=False):
        departure_create(by=cast.reception, episode=person.episodes.get(), exit_type="self",
                         data={"declaration_signed": True})
    again = timezone.now() - datetime.timedelta(hours=30)
    with time_machine.travel(again, tick=False):
        episode = episode_open(by=cast.reception, person=person, station=cast.station, channel="walk_in")
        episode_transition(by=cast.reception, episode=episode, to="admitted")
    assert selectors.t3_status(person)["state"] == "overdue"
    overdue = [i for i in inbox(user=cast.tracer)["buckets"][BUCKET_OVERDUE] if i.rule.id == "T3"]
    assert [i.subject.pk for i in overdue] == [episode.pk]  # the inbox agrees: the old announcement does not count
    announcement(cast, person)
    assert selectors.t3_status(person)["state"] == "late"


def test_t3_the_panel_follows_the_configured_hours(cast, settings):
    settings.GUITU_RULES = {**settings.GUITU_RULES, "T3_ANNOUNCE_HOURS": 12}
    entry = timezone.now() - datetime.timedelta(hours=13)
    with time_machine.travel(entry + datetime.timedelta(minutes=1), tick=False):
        person = unidentified_person(cast, at=entry)
    status = selectors.t3_status(person)
    assert status["state"] == "overdue" and status["due"] == entry + datetime.timedelta(hours=12)


def test_t3_withdrawing_for_a_person_takes_every_live_announcement_off_every_channel(cast):
    person = unidentified_person(cast)
    first = announcement(cast, person)
    services.publication_add(by=cast.tracer, announcement=first, channel=Channel.NATIONAL,
                             published_on=timezone.localdate())
    draft = announcement(cast, person, publish=False)
    other = announcement(cast, unidentified_person(cast, name="另一人", id_number=""))
    assert selectors.channels_live_for(person)[Channel.NATIONAL] is True

    count = services.announcements_withdraw_for_person(by=cast.tracer, person=person, reason="身份已查明")

    assert count == 2
    for a in (first, draft):
        a.refresh_from_db()
        assert a.status == AnnouncementStatus.WITHDRAWN and a.withdrawn_reason == "身份已查明"
    assert not any(selectors.channels_live_for(person).values())
    assert Publication.objects.filter(announcement=first, ended_at__isnull=True).count() == 0
    other.refresh_from_db()
    assert other.status == AnnouncementStatus.PUBLISHED
    assert any("撤回寻亲公告" in item["what"] for item in person_timeline(person=person))
    assert services.announcements_withdraw_for_person(by=cast.tracer, person=person, reason="再次") == 0


def test_t3_a_departure_withdraws_the_announcement(cast):
    from leaving.services import departure_create

    person = unidentified_person(cast)
    a = announcement(cast, person)
    episode = person.episodes.get()
    departure_create(by=cast.reception, episode=episode, exit_type="self", data={"declaration_signed": True})
    a.refresh_from_db()
    assert a.status == AnnouncementStatus.WITHDRAWN and "离站" in a.withdrawn_reason
    assert AuditEntry.objects.filter(object_id=str(a.uuid), summary__startswith="撤回寻亲公告").exists()


def test_t10_channels_live_for_answers_per_channel_at_a_moment(cast):
    person = unidentified_person(cast)
    start = timezone.now()
    with time_machine.travel(start + datetime.timedelta(minutes=10), tick=False):
        a = announcement(cast, person)
        services.publication_add(by=cast.tracer, announcement=a, channel=Channel.RADIO,
                                 published_on=timezone.localdate())
        assert selectors.channels_live_for(person) == {c: c in (Channel.BOARD, Channel.RADIO) for c in Channel.values}
    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False):
        services.announcement_withdraw(by=cast.tracer, announcement=a, reason="核实中")
        assert not any(selectors.channels_live_for(person).values())
    assert not any(selectors.channels_live_for(person, start).values())
    assert selectors.channels_live_for(person, start + datetime.timedelta(hours=1))[Channel.RADIO]


def test_withdrawal_needs_a_reason(cast):
    a = announcement(cast, unidentified_person(cast))
    with pytest.raises(ValidationError) as err:
        services.announcement_withdraw(by=cast.tracer, announcement=a, reason=" ")
    assert "请填写撤回原因" in str(err.value)
    a.refresh_from_db()
    assert a.status == AnnouncementStatus.PUBLISHED


def _clue(a, **data):
    return services.clue_create(announcement=a, data={"name": "张家属", "phone": "13812345678",
                                                      "relationship": "女儿", "content": "像我母亲", **data})


def test_t3_clues_move_from_new_to_following_up_to_confirmed_or_not_relevant(cast):
    a = announcement(cast, unidentified_person(cast))
    clue = _clue(a)
    assert selectors.open_clue_count(cast.tracer) == 1 and selectors.open_clue_count(cast.outsider) == 0
    with pytest.raises(ValidationError) as err:
        services.clue_set_status(by=cast.tracer, clue=clue, status=ClueStatus.NOT_RELEVANT)
    assert "理由" in str(err.value)
    services.clue_set_status(by=cast.tracer, clue=clue, status=ClueStatus.FOLLOWING, note="已回电")
    services.clue_set_status(by=cast.tracer, clue=clue, status=ClueStatus.CONFIRMED, note="核实为母女")
    assert selectors.open_clue_count(cast.tracer) == 0
    with pytest.raises(ValidationError):
        services.clue_set_status(by=cast.tracer, clue=clue, status=ClueStatus.NEW)
    clue.refresh_from_db()
    assert clue.status == ClueStatus.CONFIRMED and clue.handled_by == cast.tracer


def test_t3_a_clue_with_no_contact_or_a_bad_phone_is_refused_and_nothing_saved(cast):
    a = announcement(cast, unidentified_person(cast))
    for data, message in [({"phone": ""}, "请填写联系电话"), ({"name": ""}, "请填写您的姓名"),
                          ({"phone": "12345"}, "有效的手机号"), ({"content": ""}, "请填写您了解的情况")]:
        with pytest.raises(ValidationError) as err:
            _clue(a, **data)
        assert message in str(err.value)
    assert Clue.objects.count() == 0
    assert _clue(a, phone="0763-1234567").phone == "0763-1234567"
    assert _clue(a, phone="+86 138 1234 5678").phone == "13812345678"


def test_t3_a_clue_photo_must_be_a_real_image_within_the_limit(cast, settings):
    a = announcement(cast, unidentified_person(cast))
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError) as err:
        services.clue_create(
            announcement=a, data={"name": "张", "phone": "13812345678", "relationship": "儿子", "content": "x"},
            photo=SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg"))
    assert "不是有效的图片" in str(err.value)
    settings.GUITU_CLUE_MAX_PHOTO_BYTES = 1000
    with pytest.raises(ValidationError) as err:
        services.clue_create(announcement=a, data={"name": "张", "phone": "13812345678", "relationship": "儿子",
                                                   "content": "x"}, photo=image_upload(size=(800, 800)))
    assert "照片过大" in str(err.value)
    assert Clue.objects.count() == 0


def test_t3_a_withdrawn_announcement_takes_no_clues(cast):
    a = announcement(cast, unidentified_person(cast))
    services.announcement_withdraw(by=cast.tracer, announcement=a, reason="身份已查明")
    with pytest.raises(ValidationError):
        _clue(a)
    assert Clue.objects.count() == 0


def test_hole12_the_clue_throttle_counts_per_phone_and_per_ip_then_frees_after_the_hour(cast, settings):
    settings.GUITU_CLUE_LIMIT_PER_IP_PER_HOUR = 30
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        for _ in range(5):
            services.clue_throttle_hit(ip="203.0.113.5", phone="13812345678")
        with pytest.raises(services.ClueThrottled) as caught:
            services.clue_throttle_hit(ip="203.0.113.5", phone="13812345678")
        assert "同一联系电话" in caught.value.message and caught.value.wait == 3601
        services.clue_throttle_hit(ip="203.0.113.5", phone="13900000000")  # another phone on the same address
        for _ in range(23):
            services.clue_throttle_hit(ip="203.0.113.5")
        with pytest.raises(services.ClueThrottled, match="同一网络地址每小时最多提交 30 次"):
            services.clue_throttle_hit(ip="203.0.113.5")
        services.clue_throttle_hit(ip="203.0.113.6")  # another address is not affected
    with time_machine.travel(now + datetime.timedelta(minutes=61), tick=False):
        services.clue_throttle_hit(ip="203.0.113.5", phone="13812345678")


def test_found_division_is_kept_for_province_and_city_filters(cast):
    a = announcement(cast, unidentified_person(cast))
    assert a.found_division == Division.objects.get(code="441881")


def test_t3_a_clue_gets_a_reference_and_alerts_the_station(cast):
    from deadlines.models import Notification

    a = announcement(cast, unidentified_person(cast))
    clue = services.clue_create(announcement=a, data={"name": "王女士", "phone": "13800001111", "relationship": "女儿",
                                                      "content": "照片里的人很像我母亲，她去年走失。"})
    assert clue.reference.startswith("XS-") and len(clue.reference) == len("XS-20260101-0001")
    alerts = Notification.objects.filter(organisation=cast.station)
    assert {n.role for n in alerts} == {"tracer", "head"} and all(clue.reference in n.message for n in alerts)


def test_t3_open_clues_close_with_the_announcement_when_the_person_is_identified(cast):
    from tracing.services import identity_confirm

    person = unidentified_person(cast)
    a = announcement(cast, person)
    clue = services.clue_create(announcement=a, data={"name": "王女士", "phone": "13800001111", "relationship": "女儿",
                                                      "content": "照片里的人很像我母亲，她去年走失。"})
    identity_confirm(by=cast.tracer, person=person, method="dna", evidence="DNA比中", name="王秀兰")
    clue.refresh_from_db()
    assert clue.status == "closed" and "公告已撤回" in clue.status_note
    assert AuditEntry.objects.filter(object_id=str(clue.uuid), summary__contains="随公告关闭").exists()
