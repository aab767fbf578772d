"""Departure rules at their boundaries, from both sides (rules N7, N8, N9, E3, X1, T9), and the sets of exit
types each rule covers — every threshold moved by one, or a type added to or dropped from a set, fails here."""

import datetime
import decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from announcements.tests.factories import unidentified_person
from core.models import User
from intake.models import Belonging
from intake.services import belonging_add
from leaving.services import departure_create
from leaving.tests.test_services import _birthday_years_ago, _ticket, _unchanged
from oversight.tests.panel import make_panel
from people.models import Episode
from stay.tests.factories import admitted_episode
from tracing import services as tracing
from tracing.models import PlanStatus, ReturnPlan

pytestmark = pytest.mark.django_db
MISSING = {"circumstances": "晚饭后外出未归，监控显示其走向火车站方向。", "police_notified": True,
           "police_report_ref": "清公（城）报字〔2026〕118号"}
DEATH = {"death_place": "英德市人民医院", "death_cause": "心源性猝死", "hospital_notified": True}


# ---------- E3: a minor's handover is witnessed — up to the day before the 18th birthday ----------
@pytest.mark.parametrize(("years", "days_short", "witnessed"), [(18, 1, True), (18, 0, False)])
def test_e3_witnesses_until_the_18th_birthday_and_not_from_it(cast, years, days_short, witnessed):
    birthday = _birthday_years_ago(years) + datetime.timedelta(days=days_short)
    ep = admitted_episode(cast, age=None, birth_date=birthday, name="少年")
    if witnessed:
        with pytest.raises(ValidationError) as exc:
            departure_create(by=cast.reception, episode=ep, exit_type="self", data={"declaration_signed": True})
        assert "规则 E3" in exc.value.message_dict["witness_1"][0]
        assert _unchanged(ep)
    else:
        departure = departure_create(by=cast.reception, episode=ep, exit_type="self",
                                     data={"declaration_signed": True})
        assert not departure.panel_witnesses.exists()


@pytest.mark.parametrize(("exit_type", "data"), [("missing", MISSING), ("death", DEATH)])
def test_n9_e3_events_nobody_chooses_are_recorded_for_a_child_without_witnesses(cast, exit_type, data):
    """Going missing or dying are events, not handovers: N9 does not refuse them and E3 asks no witnesses."""
    ep = admitted_episode(cast, age=12, name="小明")
    departure = departure_create(by=cast.reception, episode=ep, exit_type=exit_type, data=dict(data))
    assert departure.exit_type == exit_type and not departure.panel_witnesses.exists()
    assert Episode.objects.get(pk=ep.pk).status == "left"


def test_e3_a_17_year_old_leaving_without_formalities_is_recorded_without_witnesses(cast):
    ep = admitted_episode(cast, age=None, birth_date=_birthday_years_ago(17), name="少年")
    departure = departure_create(by=cast.reception, episode=ep, exit_type="no_formalities",
                                 data={"written_record": "晚饭后未归，监控显示其自行走出大门，已告知值班站长。"})
    assert departure.witness_1 == "" and not departure.panel_witnesses.exists()


def test_e3_one_witness_is_not_enough(cast):
    ep = admitted_episode(cast, age=12, name="小明")
    panel = make_panel(cast)
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="transfer",
                         data={"transfer_org": cast.city_station, "transfer_person": "郑主任",
                               "transfer_person_phone": "0763-3333333", "witness_1": str(panel[0].uuid)})
    assert set(exc.value.message_dict) == {"witness_2"}
    assert _unchanged(ep)


# ---------- N7 / X1: belongings and the events' own fields ----------
@pytest.mark.parametrize(("exit_type", "data"), [("missing", MISSING), ("death", DEATH)])
def test_n7_belongings_stay_in_safekeeping_when_a_person_goes_missing_or_dies(cast, exit_type, data):
    ep = admitted_episode(cast)
    belonging_add(by=cast.reception, episode=ep, item="手机", quantity=1)
    departure = departure_create(by=cast.reception, episode=ep, exit_type=exit_type, data=dict(data))
    assert departure.belongings_returned == []
    assert Belonging.objects.filter(episode=ep, returned_at__isnull=True).count() == 1


@pytest.mark.parametrize("exit_type", ["transfer", "self"])
def test_n7_belongings_go_with_a_transferred_or_self_departing_person(cast, exit_type):
    ep = admitted_episode(cast)
    belonging_add(by=cast.reception, episode=ep, item="手机", quantity=1)
    data = ({"transfer_org": cast.city_station, "transfer_person": "郑主任"} if exit_type == "transfer"
            else {"declaration_signed": True})
    departure = departure_create(by=cast.reception, episode=ep, exit_type=exit_type, data=data)
    assert departure.belongings_returned == ["手机×1"]
    assert not Belonging.objects.filter(episode=ep, returned_at__isnull=True).exists()


@pytest.mark.parametrize(("text", "ok"), [("一二三四五六七八九", False), ("一二三四五六七八九十", True)])
def test_n7_the_written_record_of_leaving_without_formalities_has_at_least_10_characters(cast, text, ok):
    ep = admitted_episode(cast)
    if ok:
        assert departure_create(by=cast.reception, episode=ep, exit_type="no_formalities",
                                data={"written_record": text}).written_record == text
    else:
        with pytest.raises(ValidationError) as exc:
            departure_create(by=cast.reception, episode=ep, exit_type="no_formalities", data={"written_record": text})
        assert "至少10个字" in exc.value.message_dict["written_record"][0]
        assert _unchanged(ep)


@pytest.mark.parametrize(("text", "ok"), [("一二三四五六七八九", False), ("一二三四五六七八九十", True)])
def test_x1_going_missing_is_recorded_in_at_least_10_characters(cast, text, ok):
    ep = admitted_episode(cast)
    data = {**MISSING, "circumstances": text}
    if ok:
        departure_create(by=cast.reception, episode=ep, exit_type="missing", data=data)
    else:
        with pytest.raises(ValidationError) as exc:
            departure_create(by=cast.reception, episode=ep, exit_type="missing", data=data)
        assert set(exc.value.message_dict) == {"circumstances"}
        assert _unchanged(ep)


@pytest.mark.parametrize("notified", ["police_notified", "hospital_notified"])
def test_x1_a_death_is_reported_to_the_police_or_a_hospital_either_suffices(cast, notified):
    ep = admitted_episode(cast)
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="death",
                         data={"death_place": "站内", "death_cause": "待医疗机构结论"})
    assert set(exc.value.message_dict) == {"police_notified"}
    departure = departure_create(by=cast.reception, episode=ep, exit_type="death",
                                 data={"death_place": "站内", "death_cause": "待医疗机构结论", notified: True})
    assert getattr(departure, notified)


def test_x1_a_death_needs_its_place(cast):
    ep = admitted_episode(cast)
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="death", data={**DEATH, "death_place": " "})
    assert set(exc.value.message_dict) == {"death_place"}
    assert _unchanged(ep)


# ---------- N8: cash at zero, a yuan, a negative amount; the approver ----------
@pytest.mark.parametrize(("cash", "errors"), [
    ("0", set()),  # no cash: nothing to justify
    ("0.50", {"cash_exception_reason", "cash_receipt_signed"}),  # any cash at all needs both
    ("1", {"cash_exception_reason", "cash_receipt_signed"}),
    ("-0.50", {"cash_yuan"}),
    ("-1", {"cash_yuan"}),
])
def test_n8_cash_from_the_first_jiao_needs_a_reason_and_a_receipt(cast, cash, errors):
    ep = admitted_episode(cast)
    data = _ticket(cash_yuan=decimal.Decimal(cash))
    if errors:
        with pytest.raises(ValidationError) as exc:
            departure_create(by=cast.reception, episode=ep, exit_type="home_ticket", data=data)
        assert set(exc.value.message_dict) == errors
        assert _unchanged(ep)
    else:
        assert departure_create(by=cast.reception, episode=ep, exit_type="home_ticket", data=data).cash_yuan == 0


@pytest.mark.parametrize("approver", ["carer", "other_head"])
def test_n8_above_the_cap_the_approver_is_a_head_of_this_station(cast, approver):
    from core.models import Role, UserRole

    ep = admitted_episode(cast)
    if approver == "carer":
        user = cast.carer  # this station, not a head
    else:
        user = User.objects.create_user(username="other_head", password=cast.password, organisation=cast.city_station)
        UserRole.objects.create(user=user, role=Role.HEAD)  # a head, of another station
    data = _ticket(cash_yuan=decimal.Decimal("50"), cash_receipt_signed=True, cash_exception_reason="中转需过夜",
                   cash_approved_by=user)
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="home_ticket", data=data)
    assert "本机构站长" in exc.value.message_dict["cash_approved_by"][0]
    assert _unchanged(ep)


def test_n8_an_indirect_ticket_needs_the_destination_ticket_and_local_contact(cast):
    ep = admitted_episode(cast)
    for field in ("ticket_no", "destination"):
        with pytest.raises(ValidationError) as exc:
            departure_create(by=cast.reception, episode=ep, exit_type="home_ticket", data=_ticket(**{field: ""}))
        assert set(exc.value.message_dict) == {field}
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="home_ticket",
                         data=_ticket(is_direct=False, transfer_point="广州"))
    assert set(exc.value.message_dict) == {"local_station_contact"}
    assert _unchanged(ep)


def test_n8_a_direct_ticket_keeps_no_transfer_point(cast):
    ep = admitted_episode(cast)
    departure = departure_create(by=cast.reception, episode=ep, exit_type="home_ticket",
                                 data=_ticket(is_direct=True, transfer_point="广州", local_station_contact="020-1"))
    assert departure.transfer_point == "" and departure.local_station_contact == ""


# ---------- escorted return, transfer ----------
def _escorted(cast, **extra):
    return {"escort_route": "英德—韶关—乳源", "handed_over_to": "family", "handover_person": "父亲",
            "handover_at": timezone.now(), **extra}


def test_e1_an_escorted_return_needs_escorts_and_a_handover_time(cast):
    ep = admitted_episode(cast)
    left_at = timezone.now() - datetime.timedelta(hours=1)
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="home_escorted", left_at=left_at, data=_escorted(cast))
    assert set(exc.value.message_dict) == {"escort_staff"}
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="home_escorted", left_at=left_at,
                         escort_staff=[cast.carer], data=_escorted(cast, handover_at=None))
    assert set(exc.value.message_dict) == {"handover_at"}
    assert _unchanged(ep)


@pytest.mark.parametrize(("ahead", "ok"), [(datetime.timedelta(minutes=5), True),
                                           (datetime.timedelta(minutes=5, seconds=1), False)])
def test_e1_the_handover_is_dated_at_most_5_minutes_ahead_of_now(cast, ahead, ok):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        ep = admitted_episode(cast)
        data = _escorted(cast, handover_at=now + ahead)
        if ok:
            departure = departure_create(by=cast.reception, episode=ep, exit_type="home_escorted",
                                         escort_staff=[cast.carer], data=data)
            assert list(departure.escort_staff.all()) == [cast.carer]
        else:
            with pytest.raises(ValidationError) as exc:
                departure_create(by=cast.reception, episode=ep, exit_type="home_escorted", escort_staff=[cast.carer],
                                 data=data)
            assert "不能晚于当前时间" in exc.value.message_dict["handover_at"][0]
            assert _unchanged(ep)


def test_n9_an_escorted_return_of_a_child_needs_the_receiving_persons_id(cast):
    ep = admitted_episode(cast, age=12, name="小明")
    panel = make_panel(cast)
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="home_escorted", escort_staff=[cast.carer],
                         data=_escorted(cast, witness_1=str(panel[0].uuid), witness_2=str(panel[1].uuid)))
    assert "规则 N9" in exc.value.message_dict["claimant_id_number"][0]
    assert _unchanged(ep)


def test_e1_an_adults_escorted_return_keeps_no_receiver_id(cast):
    ep = admitted_episode(cast)
    departure = departure_create(by=cast.reception, episode=ep, exit_type="home_escorted", escort_staff=[cast.carer],
                                 data=_escorted(cast), left_at=timezone.now() - datetime.timedelta(minutes=10))
    assert departure.claimant_id_enc == "" and not departure.claimant_id_copy


def test_e1_a_person_is_not_transferred_to_the_station_itself(cast):
    ep = admitted_episode(cast)
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="transfer",
                         data={"transfer_org": cast.station, "transfer_person": "王站长"})
    assert "本机构" in exc.value.message_dict["transfer_org"][0]
    assert _unchanged(ep)


def test_e1_a_closed_episode_cannot_leave_again(cast):
    ep = admitted_episode(cast)
    Episode.objects.filter(pk=ep.pk).update(status="refused")
    with pytest.raises(ValidationError, match="不能办理离站"):
        departure_create(by=cast.reception, episode=ep, exit_type="self", data={"declaration_signed": True})


@pytest.mark.parametrize("flag", ["has_mental_disorder", "has_intellectual_disability"])
def test_n7_either_sign_alone_prevents_self_departure(cast, flag):
    ep = admitted_episode(cast, **{flag: True})
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="self", data={"declaration_signed": True})
    assert "精神障碍或智力残疾" in exc.value.message_dict["exit_type"][0]


# ---------- T9: only a way home completes the return plan ----------
@pytest.mark.parametrize(("exit_type", "data", "done"), [
    ("home_ticket", {"ticket_no": "G1", "travel_mode": "train", "destination": "湖南省邵阳市"}, True),
    ("transfer", {"transfer_person": "郑主任"}, False),
    ("missing", MISSING, False),
])
def test_t9_only_a_way_home_completes_the_return_plan(cast, exit_type, data, done):
    person = unidentified_person(cast)
    episode = person.episodes.get()
    tracing.identity_confirm(by=cast.tracer, person=person, method="talks", evidence="本人说出家庭住址，户籍地核实")
    data = {**data, "transfer_org": cast.city_station} if exit_type == "transfer" else data
    departure_create(by=cast.reception, episode=episode, exit_type=exit_type, data=dict(data))
    plan = ReturnPlan.objects.get(episode=episode)
    assert (plan.status == PlanStatus.DONE) is done


def test_n9_a_known_birth_date_counts_before_the_estimated_age_range(cast):
    """Staff estimated 12–16 at intake; the birth date found later says 14: the child is under 16 (rule N9)."""
    ep = admitted_episode(cast, age=None, birth_date=_birthday_years_ago(14), age_min=12, age_max=16, name="小明")
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="self", data={"declaration_signed": True})
    assert "未满16周岁" in exc.value.message_dict["exit_type"][0]
    assert _unchanged(ep)


def test_n9_an_estimated_upper_age_is_used_when_no_birth_date_is_known(cast):
    ep = admitted_episode(cast, age=None, age_max=15, name="小明")  # only an upper bound: no estimated year
    with pytest.raises(ValidationError) as exc:
        departure_create(by=cast.reception, episode=ep, exit_type="home_ticket", data=_ticket())
    assert "未满16周岁" in exc.value.message_dict["exit_type"][0]
