"""Rule A4: the 低保 / poverty / disability lists other departments send — a column mapping per sender, per-row
errors with nothing half-imported, batch matching through the engine (exact ID number and fuzzy name + birth
year), the attention list scoped by organisation and township, its review and Excel export."""

import datetime
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from aftercare import selectors, services
from aftercare.models import (
    AttentionItem,
    AttentionStatus,
    DataSender,
    ReturnCase,
    RiskRegistration,
    SharedList,
    SharedListRow,
)
from aftercare.tests.conftest import local
from core.crypto import decrypt_id, hash_id
from core.models import AuditEntry
from guitu_match.idcard import checksum_char
from intake import services as intake
from leaving import services as leaving

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _engine_sandbox(settings, tmp_path):
    from matching import engine

    settings.GUITU_MATCH_DIR = str(tmp_path / "matching")
    settings.GUITU_MATCH_FACES = False
    engine.reset_cache()
    yield
    engine.reset_cache()


def idn(first17: str) -> str:
    return first17 + checksum_char(first17)


LUO_ID = idn("44188119780412001")  # 1978-04-12, male (the 17th digit 1 is odd)
ELIGIBLE = {
    "cannot_pay": True,
    "no_relatives": True,
    "not_on_subsistence": True,
    "living_by_vagrancy": True,
    "decision": "eligible",
    "reason": "robbed",
}


def returnee(cast, net, name, *, birth, id_number="", days_ago=60):
    """Admitted at the cast's station and sent home by ticket (the ledger entry comes from the departure)."""
    at = local(2026, 3, 1, 9) - datetime.timedelta(days=days_ago)
    with time_machine.travel(at, tick=False):
        ep = intake.intake_register(
            by=cast.reception,
            station=cast.station,
            channel="walk_in",
            requested_at=at,
            person_data={
                "name": name,
                "sex": "男",
                "birth_date": birth,
                "hukou_division": net.v_div,
                "hukou_text": "广东省英德市英城街道和平社区",
            },
            id_number=id_number,
            answers=ELIGIBLE,
        )
        intake.safety_check_add(by=cast.reception, episode=ep)
        intake.health_check_add(
            by=cast.reception, episode=ep, data={"physical": "良好", "mental": "清醒", "outcome": "admitted"}
        )
        intake.intake_admit(by=cast.reception, episode=ep, at=at)
    left = at + datetime.timedelta(days=2)
    with time_machine.travel(left, tick=False):
        leaving.departure_create(
            by=cast.reception,
            episode=ep,
            exit_type="home_ticket",
            left_at=left,
            data={"ticket_no": "G1", "travel_mode": "train", "destination": "英城街道", "is_direct": True},
        )
    return ReturnCase.objects.get(episode=ep)


def xlsx(rows, *, title_row=None, name="低保名单.xlsx") -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    if title_row:
        ws.append([title_row])
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile(name, buf.getvalue())


DIBAO_MAPPING = {
    "name": "户主姓名",
    "id_number": "公民身份号码",
    "sex": "性别",
    "address": "家庭住址",
    "category": "保障类别",
}
HEADERS = ["序号", "户主姓名", "性别", "公民身份号码", "家庭住址", "保障类别"]


@pytest.fixture
def dibao(cast):
    return services.sender_save(
        by=cast.head, name="英德市民政局（低保）", list_kind="dibao", mapping=DIBAO_MAPPING, header_row=2
    )


def import_and_match(django_capture_on_commit_callbacks, **kw):
    with django_capture_on_commit_callbacks(execute=True):
        shared = services.shared_list_import(**kw)
    shared.refresh_from_db()
    return shared


# --- the mapping ------------------------------------------------------------------------------------------


def test_a4_a_sender_keeps_its_column_mapping_per_organisation(cast, dibao):
    assert dibao.mapping["id_number"] == "公民身份号码" and dibao.organisation == cast.station
    assert AuditEntry.objects.filter(object_id=str(dibao.uuid)).exists()
    with pytest.raises(ValidationError) as err:
        services.sender_save(
            by=cast.head, name="英德市民政局（低保）", list_kind="dibao", mapping=DIBAO_MAPPING
        )
    assert "已有来源部门" in str(err.value)
    with pytest.raises(ValidationError) as err:
        services.sender_save(by=cast.head, name="残联", list_kind="disability", mapping={"sex": "性别"})
    assert "姓名" in str(err.value)
    with pytest.raises(ValidationError) as err:
        services.sender_save(by=cast.head, name="残联", list_kind="disability", mapping={"name": "姓名"})
    assert "身份证号" in str(err.value)
    # another organisation has its own senders and cannot change this one
    other = services.sender_save(
        by=cast.outsider, name="英德市民政局（低保）", list_kind="dibao", mapping=DIBAO_MAPPING
    )
    assert other.organisation == cast.other_station
    with pytest.raises(PermissionDenied):
        services.sender_save(
            by=cast.outsider, sender=dibao, name="x", list_kind="dibao", mapping=DIBAO_MAPPING
        )
    assert list(selectors.sender_list(user=cast.outsider)) == [other]


def test_a4_a_file_missing_a_mapped_column_is_refused_as_a_whole(
    cast, dibao, django_capture_on_commit_callbacks
):
    upload = xlsx([["序号", "姓名", "性别"], [1, "罗志明", "男"]], title_row="2026年低保名册")
    with pytest.raises(ValidationError) as err:
        services.shared_list_import(by=cast.reception, sender=dibao, upload=upload)
    assert "户主姓名" in str(err.value) and "整份文件未导入" in str(err.value)
    assert not SharedList.objects.exists()
    with pytest.raises(ValidationError) as err:
        services.shared_list_import(
            by=cast.reception, sender=dibao, upload=SimpleUploadedFile("a.xlsx", b"nope")
        )
    assert "无法读取" in str(err.value)


def test_a4_every_bad_row_is_reported_in_chinese_and_nothing_is_half_imported(cast, dibao):
    bad_checksum = LUO_ID[:-1] + ("0" if LUO_ID[-1] != "0" else "1")
    upload = xlsx(
        [
            HEADERS,
            [1, "罗志明", "男", LUO_ID, "和平社区", "城市低保"],  # good
            [2, "", "女", idn("44188119560120002"), "和平社区", "城市低保"],  # no name
            [3, "朱秀英", "女", bad_checksum, "和平社区", "城市低保"],  # checksum
            [4, "邓小军", "女", idn("44188120060803001"), "", ""],  # the ID number says male
            [5, "黄某", "未知性别", idn("44188119900101002"), "", ""],  # sex
            [6, "罗志明", "男", LUO_ID, "和平社区", ""],  # duplicate
            [7, "无证人", "男", "", "", ""],  # neither ID nor birth date
        ],
        title_row="英德市2026年第一季度城乡低保名册",
    )
    with pytest.raises(ValidationError) as err:
        services.shared_list_import(by=cast.reception, sender=dibao, upload=upload)
    messages = err.value.messages
    assert any(m.startswith("第4行：缺少“姓名”") for m in messages)
    assert any(m.startswith("第5行：") and "校验" in m for m in messages), messages
    assert any(m.startswith("第6行：") and "性别" in m for m in messages)
    assert any(m.startswith("第7行：") and "性别" in m for m in messages)
    assert any(m.startswith("第8行：身份证号与第3行重复") for m in messages)
    assert any(m.startswith("第9行：") and "至少填写一项" in m for m in messages)
    assert not any(m.startswith("第3行") for m in messages)
    assert not SharedList.objects.exists() and not SharedListRow.objects.exists()


def test_a4_a_good_file_is_stored_encrypted_and_audited(cast, dibao, django_capture_on_commit_callbacks):
    upload = xlsx([HEADERS, [1, "罗志明", "", LUO_ID, "和平社区", "城市低保"]], title_row="名册")
    shared = import_and_match(
        django_capture_on_commit_callbacks, by=cast.reception, sender=dibao, upload=upload
    )
    row = shared.rows.get()
    assert row.row_no == 3 and row.sex == "男" and row.birth_date == datetime.date(1978, 4, 12)
    assert LUO_ID not in row.id_number_enc and decrypt_id(row.id_number_enc) == LUO_ID
    assert row.id_number_hash == hash_id(LUO_ID) and LUO_ID not in row.id_number_masked
    assert shared.matched_at is not None and shared.match_count == 0
    assert AuditEntry.objects.filter(object_id=str(shared.uuid), summary__contains="导入共享名单").exists()


# --- batch matching -----------------------------------------------------------------------------------------


def test_a4_an_identical_id_number_is_certain(cast, local_net, dibao, django_capture_on_commit_callbacks):
    case = returnee(cast, local_net, "罗志明", birth=datetime.date(1978, 4, 12), id_number=LUO_ID)
    returnee(cast, local_net, "陈伟强", birth=datetime.date(1985, 11, 2))
    upload = xlsx([HEADERS, [1, "罗智明", "男", LUO_ID, "英城街道和平社区", "农村低保"]], title_row="名册")
    shared = import_and_match(
        django_capture_on_commit_callbacks, by=cast.reception, sender=dibao, upload=upload
    )
    item = AttentionItem.objects.get()
    assert item.person == case.person and item.exact_id and item.probability == 1.0
    assert item.case == case and item.township == local_net.township and item.village == local_net.village
    assert "返乡人员" in item.reason and "低保" in item.reason
    assert shared.match_count == 1
    # a rerun of the batch updates, never duplicates
    services.shared_list_match(shared=shared)
    assert AttentionItem.objects.count() == 1


def test_a4_name_and_birth_year_match_through_the_engine(cast, local_net, django_capture_on_commit_callbacks):
    case = returnee(cast, local_net, "邓国华", birth=datetime.date(1962, 5, 6))
    for i, name in enumerate(["李明", "王芳", "张伟", "刘洋", "陈静"]):
        returnee(cast, local_net, name, birth=datetime.date(1970 + i, 1, 1))
    disabled = services.sender_save(
        by=cast.head,
        name="英德市残联",
        list_kind="disability",
        mapping={
            "name": "姓名",
            "sex": "性别",
            "birth_date": "出生年月日",
            "disability": "残疾类别等级",
            "address": "户籍地",
        },
    )
    upload = xlsx(
        [
            ["姓名", "性别", "出生年月日", "残疾类别等级", "户籍地"],
            ["邓国华", "男", datetime.datetime(1962, 5, 6), "精神二级", "广东省英德市英城街道和平社区"],
            ["马不相干", "女", "1999-09-09", "视力一级", "湖南省长沙市"],
        ]
    )
    import_and_match(django_capture_on_commit_callbacks, by=cast.reception, sender=disabled, upload=upload)
    items = list(AttentionItem.objects.all())
    assert [i.person for i in items] == [case.person]
    item = items[0]
    assert not item.exact_id and 0 < item.probability <= 1
    assert "尚未纳入易流浪走失人员库" in item.reason


def test_a4_a_registered_person_without_a_file_is_matched(
    cast, local_net, django_capture_on_commit_callbacks
):
    reg = services.registration_create(
        by=local_net.township_head,
        township=local_net.township,
        village=local_net.village,
        station=cast.station,
        data={
            "name": "刘德福",
            "sex": "男",
            "birth_date": datetime.date(1969, 3, 8),
            "address": "和平社区5巷12号",
            "mental_disorder": True,
        },
    )
    sender = services.sender_save(
        by=local_net.township_head,
        name="乡村振兴办",
        list_kind="poverty",
        mapping={"name": "姓名", "birth_date": "出生日期", "sex": "性别", "address": "住址"},
    )
    upload = xlsx([["姓名", "性别", "出生日期", "住址"], ["刘德福", "男", "1969-03-08", "和平社区5巷12号"]])
    import_and_match(
        django_capture_on_commit_callbacks, by=local_net.township_head, sender=sender, upload=upload
    )
    item = AttentionItem.objects.get()
    assert item.registration == reg and item.person is None and "易流浪走失人员库" in item.reason


# --- the attention list: scope, review, registry ----------------------------------------------------------


@pytest.fixture
def matched(cast, local_net, dibao, django_capture_on_commit_callbacks):
    case = returnee(cast, local_net, "罗志明", birth=datetime.date(1978, 4, 12), id_number=LUO_ID)
    upload = xlsx([HEADERS, [1, "罗志明", "男", LUO_ID, "和平社区", "农村低保"]], title_row="名册")
    import_and_match(django_capture_on_commit_callbacks, by=cast.reception, sender=dibao, upload=upload)
    return AttentionItem.objects.get(), case


def test_a4_the_attention_list_is_scoped(cast, local_net, matched):
    item, _ = matched
    assert list(selectors.attention_list(user=cast.reception)) == [item]
    assert list(selectors.attention_list(user=local_net.township_head)) == [item]  # its own area
    assert list(selectors.attention_list(user=local_net.village_contact)) == [item]
    assert not selectors.attention_list(user=local_net.other_township_head).exists()
    assert not selectors.attention_list(user=cast.outsider).exists()
    assert not selectors.shared_list_list(user=cast.outsider).exists()
    assert not selectors.shared_list_list(user=local_net.township_head).exists()  # the list itself stays


def test_a4_staff_confirm_or_reject_and_confirmed_people_go_on_the_roster(cast, local_net, matched):
    item, case = matched
    with pytest.raises(PermissionDenied):
        services.attention_decide(by=cast.outsider, item=item, status="confirmed")
    with pytest.raises(ValidationError) as err:
        services.attention_register(
            by=local_net.township_head,
            item=item,
            township=local_net.township,
            station=cast.station,
            categories={"repeated_wandering": True},
        )
    assert "先核实" in str(err.value)
    with pytest.raises(ValidationError) as err:
        services.attention_decide(by=local_net.township_head, item=item, status="rejected")
    assert "依据" in str(err.value)
    services.attention_decide(by=local_net.township_head, item=item, status="confirmed", note="身份证号一致")
    with pytest.raises(ValidationError):
        services.attention_decide(by=cast.reception, item=item, status="rejected", note="x")
    reg = services.attention_register(
        by=local_net.township_head,
        item=item,
        township=local_net.township,
        village=local_net.village,
        station=cast.station,
        categories={"repeated_wandering": True},
    )
    item.refresh_from_db()
    assert item.status == AttentionStatus.CONFIRMED and item.added_registration == reg
    assert reg.person == case.person and reg.case == case and reg.repeated_wandering
    with pytest.raises(ValidationError):
        services.attention_register(
            by=local_net.township_head,
            item=item,
            township=local_net.township,
            station=cast.station,
            categories={"repeated_wandering": True},
        )
    assert RiskRegistration.objects.count() == 1
    assert AuditEntry.objects.filter(
        object_id=str(item.uuid), summary__contains="纳入易流浪走失人员库"
    ).exists()


def test_a4_pages_export_and_outsider(cast, local_net, matched, client_for):
    item, case = matched
    c = client_for(local_net.township_head)
    page = c.get("/aftercare/shared/")
    body = page.content.decode()
    assert (
        page.status_code == 200 and "罗志明" in body and f"/aftercare/shared/attention/{item.uuid}/" in body
    )
    assert AuditEntry.objects.filter(
        actor=local_net.township_head, object_type="aftercare.共享名单需关注人员"
    ).exists()
    xl = c.get("/aftercare/shared/?format=xlsx&status=pending")
    ws = load_workbook(io.BytesIO(xl.content)).active
    values = [[cell for cell in row] for row in ws.iter_rows(values_only=True)]
    assert any("罗志明" in (r[0] or "") for r in values[2:])
    assert AuditEntry.objects.filter(actor=local_net.township_head, action="export").exists()
    detail = c.get(f"/aftercare/shared/attention/{item.uuid}/").content.decode()
    assert f"/aftercare/cases/{case.uuid}/" in detail and "返乡人员" in detail  # a link to the ledger entry
    response = c.post(
        f"/aftercare/shared/attention/{item.uuid}/decide/", {"status": "confirmed", "note": "核实"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == AttentionStatus.CONFIRMED
    assert c.get(f"/aftercare/shared/attention/{item.uuid}/register/").status_code == 200
    out = client_for(cast.outsider)
    assert "罗志明" not in out.get("/aftercare/shared/").content.decode()
    assert out.get(f"/aftercare/shared/attention/{item.uuid}/").status_code == 404
    assert (
        out.post(f"/aftercare/shared/attention/{item.uuid}/decide/", {"status": "confirmed"}).status_code
        == 404
    )
    assert "罗志明" not in out.get("/api/v1/aftercare/shared/attention").content.decode()
    assert DataSender.objects.count() == 1


def test_a4_the_api_imports_matches_and_reviews_within_scope(
    cast, local_net, dibao, client_for, django_capture_on_commit_callbacks
):
    case = returnee(cast, local_net, "罗志明", birth=datetime.date(1978, 4, 12), id_number=LUO_ID)
    api = client_for(cast.reception)
    too_long = api.post(
        "/api/v1/aftercare/shared/senders",
        {"name": "长" * 101, "list_kind": "dibao", "mapping": {"name": "姓名"}},
        content_type="application/json",
    )
    assert too_long.status_code == 422 and not DataSender.objects.exclude(pk=dibao.pk).exists()
    bad = xlsx([HEADERS, [1, "罗志明", "男", LUO_ID[:-1] + "X", "和平社区", ""]], title_row="名册")
    response = api.post("/api/v1/aftercare/shared/lists", {"sender": str(dibao.uuid), "file": bad})
    assert response.status_code == 400 and response.json()["message"].startswith("第3行")
    assert not SharedList.objects.exists()
    good = xlsx([HEADERS, [1, "罗志明", "男", LUO_ID, "和平社区", "农村低保"]], title_row="名册")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/aftercare/shared/lists", {"sender": str(dibao.uuid), "file": good})
    assert response.status_code == 201, response.content
    items = api.get("/api/v1/aftercare/shared/attention").json()
    assert len(items) == 1 and items[0]["person"] == str(case.person.uuid) and items[0]["exact_id"]
    assert LUO_ID not in str(items)
    outsider = client_for(cast.outsider)
    assert outsider.get("/api/v1/aftercare/shared/attention").json() == []
    url = f"/api/v1/aftercare/shared/attention/{items[0]['uuid']}/decision"
    assert outsider.post(url, {"status": "confirmed"}, content_type="application/json").status_code == 404
    api = client_for(cast.reception)
    done = api.post(url, {"status": "confirmed", "note": "身份证号一致"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
