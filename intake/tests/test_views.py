"""Intake pages: login, scope (outsider 404), read-only supervisors (403), owners act; the two-step
duplicate check (rules I4, E4); printables (rule N12)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from core.testing import audit_writes
from intake import services
from intake.models import Belonging, HealthCheck, IntakeRecord, Notice, PoliceHandover, SafetyCheck
from intake.tests.conftest import MALE_ID, checks_done, register
from people.models import Episode, Person, ShareRequest

pytestmark = pytest.mark.django_db


def now_str():
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _prepare_admitted(cast, ep):
    checks_done(cast, ep)
    services.intake_admit(by=cast.reception, episode=ep)


# name → (setup, POST data, how to tell it happened)
ACTIONS = {
    "safety_add": (None, lambda c: {"checked_at": now_str(), "note": "", "items-TOTAL_FORMS": "2",
                                    "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0",
                                    "items-MAX_NUM_FORMS": "10"},
                   lambda ep: SafetyCheck.objects.filter(episode=ep).exists()),
    "health_add": (None, lambda c: {"checked_at": now_str(), "checker_role": "reception", "physical": "良好",
                                    "mental": "清醒", "outcome": "admitted"},
                   lambda ep: HealthCheck.objects.filter(episode=ep).exists()),
    "handover_add": (None, lambda c: {"escort_org": c.police.pk, "officers": "刘警官 012345",
                                      "handed_over_at": now_str(), "found_place": "火车站", "found_how": "巡逻发现",
                                      "condition": "清醒"},
                     lambda ep: PoliceHandover.objects.filter(episode=ep).exists()),
    "belonging_add": (None, lambda c: {"items-TOTAL_FORMS": "3", "items-INITIAL_FORMS": "0",
                                       "items-0-item": "手机", "items-0-quantity": "1",
                                       "items-1-item": "背包", "items-1-quantity": "2", "items-1-description": "黑色",
                                       "items-2-quantity": "1"},
                      lambda ep: Belonging.objects.filter(episode=ep).exists()),
    "belongings_return": (lambda c, ep: services.belonging_add(by=c.reception, episode=ep, item="背包"),
                          lambda c: {}, lambda ep: not Belonging.objects.filter(returned_at__isnull=True).exists()),
    "admit": (lambda c, ep: checks_done(c, ep), lambda c: {},
              lambda ep: Episode.objects.get(pk=ep.pk).status == "admitted"),
    "refuse": (None, lambda c: {"reason": "拒不提供真实信息", "ground": "refused_info"},
               lambda ep: Episode.objects.get(pk=ep.pk).status == "refused"),
    "terminate": (_prepare_admitted, lambda c: {"reason": "查实提供虚假信息"},
                  lambda ep: Episode.objects.get(pk=ep.pk).status == "terminated"),
}


def _setup(cast, name):
    ep = register(cast)
    setup, data, done = ACTIONS[name]
    if setup:
        setup(cast, ep)
    return ep, data(cast), done


@pytest.mark.parametrize("name", ACTIONS)
def test_it_requires_login_for_every_action(cast, client, name):
    ep, data, done = _setup(cast, name)
    response = client.post(reverse(f"intake:{name}", args=[ep.uuid]), data)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not done(ep)


@pytest.mark.parametrize("name", ACTIONS)
def test_it_hides_episodes_of_other_stations_from_every_action(cast, client_for, name):
    ep, data, done = _setup(cast, name)
    audits = audit_writes()
    assert client_for(cast.outsider).post(reverse(f"intake:{name}", args=[ep.uuid]), data).status_code == 404
    assert not done(ep) and audit_writes() == audits


@pytest.mark.parametrize("name", ACTIONS)
def test_supervisors_may_read_but_not_act(cast, client_for, name):
    ep, data, done = _setup(cast, name)
    audits = audit_writes()
    client = client_for(cast.county_supervisor)
    assert client.get(reverse("people:episode", args=[ep.uuid])).status_code == 200
    assert client.post(reverse(f"intake:{name}", args=[ep.uuid]), data).status_code == 403
    assert not done(ep) and audit_writes() == audits


@pytest.mark.parametrize("name", ACTIONS)
def test_the_station_reception_can_act(cast, client_for, name):
    ep, data, done = _setup(cast, name)
    response = client_for(cast.reception).post(reverse(f"intake:{name}", args=[ep.uuid]), data)
    assert response.status_code == 302, getattr(response, "context", None) and response.context.get("form").errors
    assert done(ep)


@pytest.mark.parametrize("name", ["safety_add", "health_add", "handover_add", "belonging_add", "refuse",
                                  "terminate"])
def test_action_forms_render_for_the_owner(cast, client_for, name):
    ep, _, _ = _setup(cast, name)
    assert client_for(cast.reception).get(reverse(f"intake:{name}", args=[ep.uuid])).status_code == 200


def test_n3_refusal_page_without_reason_shows_a_chinese_message_and_changes_nothing(cast, client_for, episode):
    response = client_for(cast.reception).post(reverse("intake:refuse", args=[episode.uuid]), {"reason": ""})
    assert response.status_code == 200 and "请填写不予救助的理由" in response.content.decode()
    assert Episode.objects.get(pk=episode.pk).status == "requested" and not Notice.objects.exists()


def test_i2_safety_page_rejects_a_dangerous_item_without_police_report(cast, client_for, episode):
    data = {**ACTIONS["safety_add"][1](cast), "items-0-kind": "knife", "items-0-description": "管制刀具一把",
            "items-0-handling": "暂扣"}
    response = client_for(cast.reception).post(reverse("intake:safety_add", args=[episode.uuid]), data)
    assert response.status_code == 200 and "未报告公安机关" in response.content.decode()
    assert not SafetyCheck.objects.exists()
    data |= {"items-0-reported_to": cast.police.pk, "items-0-reported_at": now_str()}
    assert client_for(cast.reception).post(reverse("intake:safety_add", args=[episode.uuid]), data).status_code == 302
    assert SafetyCheck.objects.get().items.count() == 1


# ---------- pages that read ----------
def test_it_requires_login_for_the_pages(cast, client, episode):
    for url in (reverse("intake:list"), reverse("intake:new"), reverse("intake:candidates"),
                reverse("intake:episode", args=[episode.uuid]),
                reverse("intake:print_registration", args=[episode.uuid])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_i1_the_list_shows_refused_requests_of_the_station_only(cast, client_for, episode):
    services.intake_refuse(by=cast.reception, episode=episode, reason="虚假信息")
    page = client_for(cast.reception).get(reverse("intake:list")).content.decode()
    assert episode.number in page and "不予救助" in page
    filtered = client_for(cast.reception).get(reverse("intake:list"), {"status": "requested"}).content.decode()
    assert episode.number not in filtered
    assert episode.number in client_for(cast.city_supervisor).get(reverse("intake:list")).content.decode()
    assert episode.number not in client_for(cast.outsider).get(reverse("intake:list")).content.decode()


def test_it_hides_the_episode_page_and_prints_from_other_stations(cast, client_for, episode):
    client = client_for(cast.outsider)
    assert client.get(reverse("intake:episode", args=[episode.uuid])).status_code == 404
    assert client.get(reverse("intake:print_registration", args=[episode.uuid])).status_code == 404


def test_supervisors_cannot_open_the_registration_form(cast, client_for):
    assert client_for(cast.county_supervisor).get(reverse("intake:new")).status_code == 403
    assert client_for(cast.county_supervisor).get(reverse("intake:candidates"), {"name": "张三"}).status_code == 403
    assert client_for(cast.panel_member).get(reverse("intake:new")).status_code == 403


def test_the_episode_panel_shows_actions_only_to_writers(cast, client_for, episode):
    url = reverse("people:episode", args=[episode.uuid])
    assert "安全检查</a>" in client_for(cast.reception).get(url).content.decode()
    assert "安全检查</a>" not in client_for(cast.city_supervisor).get(url).content.decode()


# ---------- registration: the two-step duplicate check ----------
def form_data(**overrides):
    data = {"channel": "walk_in", "requested_at": now_str(), "name": "张建国", "sex": "男", "id_number": "",
            "subsistence": "none", "reason": "no_work", "cannot_pay": "on", "no_relatives": "on",
            "not_on_subsistence": "on", "living_by_vagrancy": "on", "decision": "eligible"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_i1_registering_a_new_person_creates_file_episode_and_record(cast, client_for):
    response = client_for(cast.reception).post(reverse("intake:new"), form_data(id_number=MALE_ID))
    assert response.status_code == 302
    ep = Episode.objects.get()
    assert response["Location"] == reverse("people:episode", args=[ep.uuid]) + "#next-step"
    assert ep.person.name == "张建国" and IntakeRecord.objects.filter(episode=ep).exists()


def test_i4_registration_shows_earlier_files_before_saving(cast, client_for):
    earlier = register(cast, id_number=MALE_ID)
    services.intake_refuse(by=cast.reception, episode=earlier, reason="虚假信息")
    client = client_for(cast.reception)
    response = client.post(reverse("intake:new"), form_data(id_number=MALE_ID))
    page = response.content.decode()
    assert response.status_code == 200 and "是同一人，关联到此档案" in page and earlier.person.file_no in page
    assert Episode.objects.count() == 1
    response = client.post(reverse("intake:new"), form_data(id_number=MALE_ID, match=str(earlier.person.uuid)))
    assert response.status_code == 302
    assert Person.objects.count() == 1 and earlier.person.episodes.count() == 2


def test_i4_staff_can_decide_it_is_not_the_same_person(cast, client_for):
    register(cast, name="张建国", sex="男")
    response = client_for(cast.reception).post(reverse("intake:new"), form_data(match="new"))
    assert response.status_code == 302 and Person.objects.count() == 2


def test_hole2_an_earlier_file_at_another_station_is_attached_once_its_station_shares_it(cast, client_for):
    earlier = register(cast, by=cast.outsider, id_number=MALE_ID)
    services.intake_refuse(by=cast.outsider, episode=earlier, reason="虚假信息")
    client = client_for(cast.reception)
    page = client.post(reverse("intake:new"), form_data(id_number=MALE_ID)).content.decode()
    assert "外机构档案" in page and "申请共享" in page and earlier.person.file_no not in page
    # not in scope yet: attaching is refused, nothing written
    response = client.post(reverse("intake:new"), form_data(id_number=MALE_ID, match=str(earlier.person.uuid)))
    assert response.status_code == 200 and Episode.objects.count() == 1
    # ask, the holding station accepts, then the request attaches to the one file (rule E4)
    client.post(reverse("people:share_request_new", args=[earlier.person.uuid]), {"reason": "该人员现在本站求助"})
    share = ShareRequest.objects.get()
    client_for(cast.outsider).post(reverse("people:share_request_decide", args=[share.uuid]), {"accept": "1"})
    client = client_for(cast.reception)
    assert client.post(reverse("intake:new"), form_data(id_number=MALE_ID, match=str(earlier.person.uuid))
                       ).status_code == 302
    assert Person.objects.count() == 1 and earlier.person.episodes.filter(station=cast.station).exists()


def test_i4_an_unrelated_file_of_another_station_cannot_be_attached(cast, client_for):
    other = register(cast, by=cast.outsider, name="赵六")
    services.intake_refuse(by=cast.outsider, episode=other, reason="虚假信息")
    response = client_for(cast.reception).post(reverse("intake:new"), form_data(match=str(other.person.uuid)))
    assert response.status_code == 200 and "不可关联" in response.content.decode()
    assert Episode.objects.count() == 1


def test_i4_the_live_check_lists_candidates(cast, client_for):
    register(cast, id_number=MALE_ID)
    page = client_for(cast.reception).get(reverse("intake:candidates"), {"id_number": MALE_ID}).content.decode()
    assert "身份证号相同" in page


def test_i4_invalid_id_number_on_the_form_is_refused_with_nothing_saved(cast, client_for):
    response = client_for(cast.reception).post(reverse("intake:new"), form_data(id_number="441881198001011230"))
    assert response.status_code == 200 and response.context["form"].errors["id_number"]
    assert not Person.objects.exists() and not Episode.objects.exists()


def test_i1_future_request_time_on_the_form_is_refused(cast, client_for):
    future = (timezone.localtime() + timezone.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(cast.reception).post(reverse("intake:new"), form_data(requested_at=future))
    assert "求助时间不能晚于当前时间" in response.content.decode()
    assert not Person.objects.exists()


def test_i6_a_flagged_episode_shows_careful_screening_loudly(cast, client_for, episode):
    Episode.objects.filter(pk=episode.pk).update(flag_repeat_requests=True)
    page = client_for(cast.reception).get(reverse("people:episode", args=[episode.uuid])).content.decode()
    assert "重点甄别" in page and "alert danger" in page


# ---------- printables (rule N12) ----------
def test_n12_registration_form_prints_as_html_and_pdf(cast, client_for, episode):
    client = client_for(cast.county_supervisor)
    url = reverse("intake:print_registration", args=[episode.uuid])
    html = client.get(url).content.decode()
    assert "求助登记表" in html and "英德市救助管理站" in html and episode.number in html
    pdf = client.get(url, {"format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="export", person_uuid=episode.person.uuid).count() == 2


def test_n12_refusal_and_termination_notices_print(cast, client_for):
    refused = register(cast)
    notice = services.intake_refuse(by=cast.reception, episode=refused, reason="拒不提供真实信息")
    html = client_for(cast.reception).get(reverse("intake:print_notice", args=[notice.uuid])).content.decode()
    assert "不予救助通知书" in html and notice.number in html and "拒不提供真实信息" in html
    admitted = register(cast, name="王五")
    _prepare_admitted(cast, admitted)
    notice = services.intake_terminate(by=cast.reception, episode=admitted, reason="查实虚假身份")
    html = client_for(cast.reception).get(reverse("intake:print_notice", args=[notice.uuid])).content.decode()
    assert "终止救助通知书" in html
    assert client_for(cast.outsider).get(reverse("intake:print_notice", args=[notice.uuid])).status_code == 404


def test_i5_handover_form_prints(cast, client_for):
    from intake.tests.conftest import handover

    ep = register(cast, channel="police")
    assert client_for(cast.reception).get(reverse("intake:print_handover", args=[ep.uuid])).status_code == 404
    handover(cast, ep)
    html = client_for(cast.reception).get(reverse("intake:print_handover", args=[ep.uuid])).content.decode()
    assert "公安机关护送流浪乞讨人员交接表" in html and "清远市公安局清城分局" in html
    assert client_for(cast.outsider).get(reverse("intake:print_handover", args=[ep.uuid])).status_code == 404


def test_i4_a_number_failing_its_check_is_refused_then_kept_as_said_when_ticked(cast, client_for):
    said = MALE_ID[:10] + MALE_ID[11] + MALE_ID[10] + MALE_ID[12:]  # two digits swapped: 44188119801001123X
    client = client_for(cast.reception)
    page = client.post(reverse("intake:new"), form_data(id_number=said)).content.decode()
    assert "校验位错误" in page and "校验未通过仍按自述记录" in page and Person.objects.count() == 0
    response = client.post(reverse("intake:new"), form_data(id_number=said, keep_unchecked_id="on"))
    assert response.status_code == 302
    person = Person.objects.get()
    assert person.id_number_hash == "" and person.id_number_unchecked_masked == "441881********123X"
    assert person.birth_date is None and person.identity_status == "unidentified"
    assert not AuditEntry.objects.filter(changes__icontains=said).exists()
    detail = client.get(reverse("people:detail", args=[person.uuid])).content.decode()
    assert "自述号码（校验未通过）" in detail and said not in detail
