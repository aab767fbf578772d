"""Rule N12: the standard forms checked against the regulations (issue 15): grounds cited, what was recorded
at intake, no internal rule IDs, one date format, the issuing body's own name."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from intake import services as intake
from intake.tests.conftest import ELIGIBLE, checks_done
from leaving.services import departure_create
from stay.tests.factories import admitted_episode

pytestmark = pytest.mark.django_db
RULE_ID = re.compile(r"规则\s*[A-Z]\d")


def _get(client, url) -> str:
    body = client.get(url).content.decode()
    assert not RULE_ID.search(body), RULE_ID.search(body)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", body.split("</style>")[-1]), "one date format: 2026年3月5日"
    return body


def _register(cast, **answers):
    return intake.intake_register(by=cast.reception, station=cast.station, channel="phone",
                                  person_data={"name": "陈国强", "sex": "男", "hukou_text": "湖南省邵阳市"},
                                  answers={**ELIGIBLE, "recording_ref": "LY-001", "caller": "路人 13900001111",
                                           **answers})


def test_n12_the_refusal_notice_cites_its_ground_and_says_how_to_ask_again(cast, client_for):
    cast.station.phone, cast.station.address = "0763-2222110", "英德市英城街道救助路1号"
    cast.station.save()
    client = client_for(cast.head)
    for ground, words in (("refused_info", "拒不如实提供个人情况"), ("not_eligible", "不属于城市生活无着的流浪乞讨人员救助对象")):
        episode = _register(cast)
        notice = intake.intake_refuse(by=cast.head, episode=episode, reason="询问时拒绝说明身份", ground=ground)
        body = _get(client, reverse("intake:print_notice", args=[notice.uuid]))
        assert words in body and "实施细则》第五条" in body and "你的情况不符合救助条件" not in body
        assert "求助人员（签收）" in body and "受助人员（签收）" not in body
        assert "0763-2222110" in body and "英德市英城街道救助路1号" in body and "可以随时再次" in body
        assert "本站" not in body and "英德市救助管理站" in body


def test_n12_the_termination_notice_cites_its_basis_and_the_register_shows_the_termination(cast, client_for):
    episode = admitted_episode(cast)
    notice = intake.intake_terminate(by=cast.head, episode=episode, reason="冒用他人身份骗取车票")
    client = client_for(cast.head)
    body = _get(client, reverse("intake:print_notice", args=[notice.uuid]))
    assert "故意提供虚假个人情况" in body and "实施细则" in body
    register = _get(client, reverse("leaving:print_register", args=[episode.uuid]))
    assert "尚未离站" not in register and "终止救助" in register and notice.number in register


def test_n12_the_declaration_has_the_id_number_hukou_and_returned_belongings_and_no_paraphrase(cast, client_for):
    from intake.services import belonging_add

    episode = admitted_episode(cast, hukou_text="湖南省邵阳市邵东县")
    belonging_add(by=cast.reception, episode=episode, item="手机", quantity=1, description="黑色")
    departure_create(by=cast.reception, episode=episode, exit_type="self", data={"declaration_signed": True})
    body = _get(client_for(cast.head), reverse("leaving:print_declaration", args=[episode.uuid]))
    assert "湖南省邵阳市邵东县" in body and "手机×1（黑色）" in body and "身份证号" in body
    assert "依据《生活无着的流浪乞讨人员救助管理机构工作规程》" not in body


def test_n12_the_register_lists_age_hukou_help_given_tracing_and_the_departure_table(cast, client_for):
    episode = admitted_episode(cast, age=40, hukou_text="湖南省邵阳市")
    intake.help_add(by=cast.carer, episode=episode, kind="clothing", description="棉衣一件")
    departure_create(by=cast.reception, episode=episode, exit_type="home_ticket",
                     data={"ticket_no": "G1", "travel_mode": "train", "destination": "湖南省邵阳市"})
    body = _get(client_for(cast.head), reverse("leaving:print_register", args=[episode.uuid]))
    assert "40" in body and "湖南省邵阳市" in body and "衣物（棉衣一件）" in body and "甄别谈话 0 次" in body
    assert "<th>离站方式</th><td>返乡（购票）</td>" in body and "经办人（签字）" in body


def test_n12_the_registration_form_prints_what_was_recorded_at_intake(cast, client_for):
    from people.services import person_update

    episode = _register(cast, needs=["food_lodging", "ticket"], other_id_document="户口簿 4305210001",
                        self_reported_health="自述胃痛", filled_by_staff=True)
    checks_done(cast, episode)
    person_update(by=cast.head, person=episode.person, data={"name": "陈国强（改）", "hukou_text": "后来改的地址"})
    body = _get(client_for(cast.head), reverse("intake:print_registration", args=[episode.uuid]))
    assert "陈国强" in body and "陈国强（改）" not in body and "后来改的地址" not in body
    assert "☑ 食宿" in body and "☑ 返乡车票" in body and "户口簿 4305210001" in body and "自述胃痛" in body
    assert "（代填）" in body and "路人 13900001111" in body and "人像照片未采集" in body


def test_n12_the_police_handover_form_has_when_found_the_description_and_the_identity_check(cast, client_for):
    episode = intake.intake_register(by=cast.reception, station=cast.station, channel="police",
                                     person_data={"name": "无名", "sex": "男"}, answers=ELIGIBLE)
    now = timezone.now()
    intake.handover_add(by=cast.reception, episode=episode, data={
        "escort_org": cast.police, "officers": "刘警官 041235", "handed_over_at": now,
        "found_at": now - datetime.timedelta(hours=3), "found_place": "火车站", "found_how": "巡逻发现",
        "appearance": "身高约170厘米，偏瘦，穿灰色外套", "condition": "清醒",
        "identity_checked": "已比对人口信息库，未发现走失、被拐报案"})
    body = _get(client_for(cast.head), reverse("intake:print_handover", args=[episode.uuid]))
    assert "发现时间" in body and "穿灰色外套" in body and "未发现走失、被拐报案" in body
