"""Departures through the service: per-type required fields, nothing saved in part (rules E1, N7–N9, E3)."""

import datetime
import decimal
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.crypto import decrypt_id
from core.models import AuditAction, AuditEntry
from intake.models import Belonging
from intake.services import belonging_add
from leaving.models import Departure
from leaving.services import departure_create
from oversight.tests.panel import make_panel
from people.models import Episode
from stay import services as stay_services
from stay.models import BedAssignment, Placement
from stay.tests.factories import admitted_episode, station_beds

pytestmark = pytest.mark.django_db
CLAIMANT_ID = "11010519491231002X"


def png_upload(name="id.png"):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _unchanged(episode):
    return Departure.objects.count() == 0 and Episode.objects.get(pk=episode.pk).status != "left"


def _birthday_years_ago(years: int) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years)


def _ticket(**extra):
    return {"ticket_no": "G1234-05车12F", "travel_mode": "train", "destination": "湖南省邵阳市", **extra}


def test_e1_return_home_by_ticket_closes_the_episode_frees_the_bed_and_returns_belongings(cast):
    beds = station_beds(cast)
    ep = admitted_episode(cast)
    stay_services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
    belonging_add(by=cast.reception, episode=ep, item="手机", quantity=1, description="黑色")
    departure = departure_create(by=cast.reception, episode=ep, exit_type="home_ticket",
                                 data=_ticket(cash_yuan=decimal.Decimal("20"), cash_receipt_signed=True,
                                              cash_exception_reason="中转需购买途中饮食"))
    ep.refresh_from_db()
    assert ep.status == "left" and ep.left_at == departure.left_at
    assert departure.belongings_returned == ["手机×1（黑色）"]
    assert not Belonging.objects.filter(episode=ep, returned_at__isnull=True).exists()
    assert not BedAssignment.objects.filter(episode=ep, released_at__isnull=True).exists()


def test_n8_an_indirect_ticket_needs_the_transfer_point_and_the_local_station_contact(cast):
    ep = admitted_episode(cast)
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="home_ticket", data=_ticket(is_direct=False))
    assert set(exc.value.message_dict) == {"transfer_point", "local_station_contact"}
    assert _unchanged(ep)


def test_n8_any_cash_needs_a_reason_and_a_signed_receipt(cast):
    ep = admitted_episode(cast)
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="home_ticket",
                         data=_ticket(cash_yuan=decimal.Decimal("10")))
    assert set(exc.value.message_dict) == {"cash_exception_reason", "cash_receipt_signed"}
    assert "规则 N8" in exc.value.message_dict["cash_exception_reason"][0]
    assert _unchanged(ep)
    departure = departure_create(by=cast.reception, episode=ep, exit_type="home_ticket",
                                 data=_ticket(cash_yuan=decimal.Decimal("20"), cash_receipt_signed=True,
                                              cash_exception_reason="中转需购买途中饮食"))
    assert departure.cash_approved_by is None  # at the cap: no second approval needed


@pytest.mark.parametrize(("cash", "needs_approval"), [("20.00", False), ("20.01", True)])
def test_n8_above_the_cap_a_head_other_than_the_clerk_approves(cast, cash, needs_approval):
    ep = admitted_episode(cast)
    data = _ticket(cash_yuan=decimal.Decimal(cash), cash_receipt_signed=True, cash_exception_reason="中转需过夜")
    if needs_approval:
        with pytest.raises(ValidationError) as exc:
            departure_create(by=cast.reception, episode=ep, exit_type="home_ticket", data=data)
        assert "超过20元" in exc.value.message_dict["cash_approved_by"][0]
        for approver, word in ((cast.carer, "站长"), (cast.outsider, "本机构站长")):
            with pytest.raises(ValidationError) as exc:
                departure_create(by=cast.reception, episode=ep, exit_type="home_ticket",
                                 data={**data, "cash_approved_by": approver})
            assert word in exc.value.message_dict["cash_approved_by"][0]
        with pytest.raises(ValidationError) as exc:  # the head cannot approve their own payment
            departure_create(by=cast.head, episode=ep, exit_type="home_ticket",
                             data={**data, "cash_approved_by": cast.head})
        assert "经办人以外" in exc.value.message_dict["cash_approved_by"][0]
        assert _unchanged(ep)
        data["cash_approved_by"] = cast.head
    departure = departure_create(by=cast.reception, episode=ep, exit_type="home_ticket", data=data)
    assert departure.cash_approved_by == (cast.head if needs_approval else None)
    entry = AuditEntry.objects.get(object_type="leaving.Departure", action=AuditAction.CREATE)
    assert entry.changes["cash_yuan"] == [None, cash] and entry.changes["cash_receipt_signed"] == [None, True]
    if needs_approval:
        assert entry.changes["cash_approved_by"] == [None, str(cast.head)]


@pytest.mark.parametrize(("age", "allowed"), [(15, False), (16, True)])
def test_n9_the_age_to_leave_alone_is_exactly_16(cast, age, allowed):
    ep = admitted_episode(cast, age=None, birth_date=_birthday_years_ago(age), name="少年")
    if allowed:
        panel = make_panel(cast)  # rule E3: a minor's departure is witnessed by two panel members
        departure_create(by=cast.reception, episode=ep, exit_type="self",
                         data={"declaration_signed": True, "witness_1": str(panel[0].uuid),
                               "witness_2": str(panel[1].uuid)})
        assert Episode.objects.get(pk=ep.pk).status == "left"
    else:
        with pytest.raises(ValidationError) as exc:
            departure_create(by=cast.reception, episode=ep, exit_type="self", data={"declaration_signed": True})
        assert "未满16周岁" in exc.value.message_dict["exit_type"][0]
        assert _unchanged(ep)


def test_n9_an_escorted_handover_of_a_child_checks_and_keeps_the_receiving_persons_id(cast):
    ep = admitted_episode(cast, age=12, name="小军")
    now = timezone.now()
    panel = make_panel(cast)
    data = {"escort_route": "英德—乳源", "handed_over_to": "family", "handover_person": "自称父亲",
            "handover_at": now, "witness_1": str(panel[0].uuid), "witness_2": str(panel[1].uuid)}
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="home_escorted", escort_staff=[cast.carer],
                         data=data, left_at=now - datetime.timedelta(minutes=30))
    assert set(exc.value.message_dict) == {"claimant_id_number", "claimant_id_copy"}
    assert "接收人" in exc.value.message_dict["claimant_id_number"][0]
    assert _unchanged(ep)
    departure = departure_create(by=cast.reception, episode=ep, exit_type="home_escorted", escort_staff=[cast.carer],
                                 data=data, left_at=now - datetime.timedelta(minutes=30), claimant_id_number=CLAIMANT_ID,
                                 claimant_id_copy=png_upload())
    assert decrypt_id(departure.claimant_id_enc) == CLAIMANT_ID and departure.claimant_id_copy.name
    entry = AuditEntry.objects.get(object_type="leaving.Departure", action=AuditAction.CREATE)
    flat = json.dumps(entry.changes, ensure_ascii=False)
    assert CLAIMANT_ID not in flat and departure.claimant_id_enc not in flat and departure.claimant_id_hash not in flat
    assert entry.changes["claimant_id_enc"] == [None, "***"]


def test_n9_a_transfer_records_the_receiving_bodys_responsible_person(cast):
    child = admitted_episode(cast, age=10, name="小兰", sex="女")
    panel = make_panel(cast)
    witnesses = {"witness_1": str(panel[0].uuid), "witness_2": str(panel[1].uuid)}
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=child, exit_type="transfer",
                         data={"transfer_org": cast.city_station, **witnesses})
    assert set(exc.value.message_dict) == {"transfer_person", "transfer_person_phone"}
    departure = departure_create(by=cast.reception, episode=child, exit_type="transfer",
                                 data={"transfer_org": cast.city_station, "transfer_person": "郑主任",
                                       "transfer_person_phone": "0763-3333333", **witnesses})
    assert departure.transfer_person == "郑主任"
    entry = AuditEntry.objects.get(object_type="leaving.Departure", action=AuditAction.CREATE)
    assert entry.changes["transfer_person"] == [None, "郑主任"] and entry.changes["left_at"][1]


@pytest.mark.parametrize("flag", ["has_mental_disorder", "has_intellectual_disability"])
def test_n7_self_departure_only_without_signs_of_mental_disorder_or_intellectual_disability(cast, flag):
    ep = admitted_episode(cast, **{flag: True})
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="self", data={"declaration_signed": True})
    assert "不能自行离站" in exc.value.message_dict["exit_type"][0]
    assert _unchanged(ep)


@pytest.mark.parametrize("exit_type", ["self", "home_ticket", "no_formalities"])
def test_n9_a_child_under_16_cannot_leave_alone(cast, exit_type):
    child = admitted_episode(cast, age=14, name="小明")
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=child, exit_type=exit_type,
                         data={**_ticket(), "declaration_signed": True, "written_record": "夜间翻墙离开，已寻找未果。"})
    assert "规则 N9" in exc.value.message_dict["exit_type"][0]
    assert _unchanged(child)


def test_n9_a_person_with_limited_mobility_cannot_self_depart(cast):
    ep = admitted_episode(cast)
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="self",
                         data={"declaration_signed": True, "limited_mobility": True})
    assert "行动不便" in exc.value.message_dict["exit_type"][0]
    assert _unchanged(ep)


def test_n9_limited_mobility_recorded_on_the_file_also_prevents_self_departure(cast):
    ep = admitted_episode(cast, limited_mobility=True)
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="self", data={"declaration_signed": True})
    assert "行动不便" in exc.value.message_dict["exit_type"][0]
    assert _unchanged(ep)


def test_n9_collection_by_family_checks_the_id_number_and_the_copy(cast):
    ep = admitted_episode(cast, age=14, name="小红", sex="女")
    panel = make_panel(cast)
    data = {"claimant_name": "李母", "claimant_relationship": "母亲", "claimant_phone": "13800000000",
            "witness_1": str(panel[0].uuid), "witness_2": str(panel[1].uuid)}
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="family", data=data,
                         claimant_id_number="110105194912310021",
                         claimant_id_copy=SimpleUploadedFile("id.png", b"not an image at all"))
    assert "校验位" in exc.value.message_dict["claimant_id_number"][0]
    assert "不是有效的图片" in exc.value.message_dict["claimant_id_copy"][0]
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="family", data=data, claimant_id_number=CLAIMANT_ID,
                         claimant_id_copy=SimpleUploadedFile("id.exe", b"MZ\x90\x00"))
    assert "JPEG、PNG 或 WebP 图片或 PDF" in exc.value.message_dict["claimant_id_copy"][0]
    assert _unchanged(ep)
    departure = departure_create(by=cast.reception, episode=ep, exit_type="family", data=data,
                                 claimant_id_number=CLAIMANT_ID, claimant_id_copy=png_upload())
    assert decrypt_id(departure.claimant_id_enc) == CLAIMANT_ID
    assert departure.claimant_id_masked == "110105********002X" and departure.claimant_id_copy.name
    assert CLAIMANT_ID not in str(departure.__dict__.get("claimant_id_masked"))


def test_e3_a_minor_handover_needs_two_different_panel_witnesses(cast):
    ep = admitted_episode(cast, age=15, name="小刚")
    panel = make_panel(cast)
    data = {"claimant_name": "张父", "claimant_relationship": "父亲", "claimant_phone": "13900000000",
            "witness_1": str(panel[0].uuid), "witness_2": str(panel[0].uuid)}
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="family", data=data,
                         claimant_id_number=CLAIMANT_ID, claimant_id_copy=png_upload())
    assert "规则 E3" in exc.value.message_dict["witness_2"][0]
    assert _unchanged(ep)


def test_e3_free_text_witnesses_are_refused(cast):
    ep = admitted_episode(cast, age=15, name="小刚")
    make_panel(cast)
    data = {"claimant_name": "张父", "claimant_relationship": "父亲", "claimant_phone": "13900000000",
            "witness_1": "路人甲", "witness_2": "路人乙"}
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="family", data=data,
                         claimant_id_number=CLAIMANT_ID, claimant_id_copy=png_upload())
    assert "任期内的成员" in exc.value.message_dict["witness_1"][0]
    assert "任期内的成员" in exc.value.message_dict["witness_2"][0]
    assert _unchanged(ep)


def test_e3_a_member_whose_term_expired_or_of_another_station_cannot_witness(cast):
    ep = admitted_episode(cast, age=15, name="小刚")
    expired = make_panel(cast, start=timezone.localdate() - datetime.timedelta(days=400))
    elsewhere = make_panel(cast, cast.city_station)
    data = {"claimant_name": "张父", "claimant_relationship": "父亲", "claimant_phone": "13900000000",
            "witness_1": str(expired[0].uuid), "witness_2": str(elsewhere[1].uuid)}
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="family", data=data,
                         claimant_id_number=CLAIMANT_ID, claimant_id_copy=png_upload())
    assert set(exc.value.message_dict) >= {"witness_1", "witness_2"}
    assert _unchanged(ep)


@pytest.mark.parametrize("exit_type,data", [
    ("transfer", {}),
    ("home_escorted", {"escort_route": "清远—广州", "handed_over_to": "station", "handover_person": "接收员"}),
])
def test_e3_holds_for_every_way_a_minor_leaves_not_only_family_claims(cast, exit_type, data):
    ep = admitted_episode(cast, age=12, name="小明")
    panel = make_panel(cast)
    at = timezone.now()
    data = {**data, "transfer_org": cast.city_station, "handover_org": cast.city_station, "handover_at": at,
            "transfer_person": "郑主任", "transfer_person_phone": "0763-3333333"}  # rule N9 for a transfer
    kwargs = {"escort_staff": [cast.reception]} if exit_type == "home_escorted" else {}
    if exit_type == "home_escorted":  # rule N9: the receiving person's ID on the handover of a child
        kwargs.update(claimant_id_number=CLAIMANT_ID, claimant_id_copy=png_upload())
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type=exit_type, data=dict(data), left_at=at, **kwargs)
    assert "规则 E3" in exc.value.message_dict["witness_1"][0]
    assert _unchanged(ep)
    if exit_type == "home_escorted":
        kwargs["claimant_id_copy"] = png_upload()  # the first upload was read by the refused attempt
    departure = departure_create(by=cast.reception, episode=ep, exit_type=exit_type, left_at=at, **kwargs,
                                 data={**data, "witness_1": str(panel[2].uuid), "witness_2": str(panel[3].uuid)})
    assert [w.membership for w in departure.panel_witnesses.all()] == [panel[2], panel[3]]
    assert departure.witness_1 == "周监督"


def test_e3_an_adults_departure_keeps_no_witnesses(cast):
    ep = admitted_episode(cast)
    departure = departure_create(by=cast.reception, episode=ep, exit_type="self",
                                 data={"declaration_signed": True, "witness_1": "路人甲"})
    assert departure.witness_1 == "" and not departure.panel_witnesses.exists()


def test_n7_self_departure_needs_a_signed_declaration(cast):
    ep = admitted_episode(cast)
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="self", data={})
    assert "自行离站声明书" in exc.value.message_dict["declaration_signed"][0]
    assert _unchanged(ep)
    assert departure_create(by=cast.reception, episode=ep, exit_type="self",
                            data={"declaration_signed": True}).declaration_signed


def test_n7_leaving_without_formalities_needs_a_written_record_and_keeps_the_belongings(cast):
    ep = admitted_episode(cast)
    belonging_add(by=cast.reception, episode=ep, item="身份证复印件")
    with pytest.raises(ValidationError):
        departure_create(by=cast.reception, episode=ep, exit_type="no_formalities", data={"written_record": "走了"})
    assert _unchanged(ep)
    departure = departure_create(by=cast.reception, episode=ep, exit_type="no_formalities",
                                 data={"written_record": "晚饭后未归，监控显示其自行走出大门，已告知值班站长。"})
    assert departure.belongings_returned == []
    assert Belonging.objects.filter(episode=ep, returned_at__isnull=True).count() == 1


def test_e1_leaving_before_entry_or_in_the_future_is_refused(cast):
    ep = admitted_episode(cast)
    for left_at, word in [(ep.admitted_at - datetime.timedelta(hours=1), "不能早于入站时间"),
                          (timezone.now() + datetime.timedelta(days=1), "不能晚于当前时间")]:
        with pytest.raises(ValidationError) as exc:
            departure_create(by=cast.reception, episode=ep, exit_type="self", left_at=left_at,
                             data={"declaration_signed": True})
        assert word in exc.value.message_dict["left_at"][0]
    assert _unchanged(ep)


def test_e1_each_type_has_its_own_required_fields(cast):
    ep = admitted_episode(cast)
    expected = {
        "home_escorted": {"escort_staff", "escort_route", "handed_over_to", "handover_person", "handover_at"},
        "transfer": {"transfer_org", "transfer_person"},
        "death": {"death_place", "death_cause", "police_notified"},
        "missing": {"circumstances", "police_notified", "police_report_ref"},
        "family": {"claimant_name", "claimant_relationship", "claimant_phone", "claimant_id_number",
                   "claimant_id_copy"},
    }
    for exit_type, fields in expected.items():
        with pytest.raises(ValidationError) as exc:
            departure_create(by=cast.reception, episode=ep, exit_type=exit_type, data={})
        assert set(exc.value.message_dict) == fields, exit_type
    assert _unchanged(ep)


def test_e1_escorted_return_hands_over_to_the_home_station(cast):
    ep = admitted_episode(cast)
    now = timezone.now()
    departure = departure_create(
        by=cast.reception, episode=ep, exit_type="home_escorted", escort_staff=[cast.carer, cast.head],
        data={"escort_route": "英德—韶关—乳源", "handed_over_to": "station", "handover_org": cast.other_station,
              "handover_person": "褚接待", "handover_at": now}, left_at=now - datetime.timedelta(minutes=30))
    assert set(departure.escort_staff.all()) == {cast.carer, cast.head}
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=admitted_episode(cast, name="乙"), exit_type="home_escorted",
                         escort_staff=[cast.outsider], data={"escort_route": "x", "handed_over_to": "family",
                                                             "handover_person": "父亲", "handover_at": now})
    assert "本机构" in exc.value.message_dict["escort_staff"][0]


def test_e1_leaving_from_hospital_ends_the_placement(cast):
    ep = admitted_episode(cast)
    stay_services.placement_start(by=cast.carer, episode=ep, kind="hospital", organisation=cast.hospital)
    departure_create(by=cast.reception, episode=ep, exit_type="death",
                     data={"death_place": "清远市第三人民医院", "death_cause": "多器官衰竭", "hospital_notified": True,
                           "police_notified": True})
    assert not Placement.objects.filter(episode=ep, ended_at__isnull=True).exists()
    with pytest.raises(ValidationError):
        departure_create(by=cast.reception, episode=ep, exit_type="self", data={"declaration_signed": True})
    assert Departure.objects.count() == 1
