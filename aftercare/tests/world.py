"""Aftercare in the every-URL test world: a township and village under the cast's county, a person sent
home by ticket (a ledger entry with a visit and a referral), a registration with a visit and an alert."""

import datetime

from django.utils import timezone

from aftercare import services
from aftercare.models import ReturnCase
from core.models import Division, DivisionLevel, Organisation, OrgKind, Role, User, UserRole

REG_NAME = "世界库中人"


def extend_world(cast, ctx) -> dict:
    from leaving import services as leaving
    from tests.world import _admitted

    county = Division.objects.get(code="441881")
    t_div = Division.objects.create(
        code="441881009", name="世界街道", level=DivisionLevel.TOWNSHIP, parent=county
    )
    v_div = Division.objects.create(
        code="441881009001", name="世界社区", level=DivisionLevel.VILLAGE, parent=t_div
    )
    township = Organisation.objects.create(
        name="世界街道办事处", code="SJJD", kind=OrgKind.TOWNSHIP, division=t_div, supervisor=cast.county_dept
    )
    village = Organisation.objects.create(
        name="世界社区居委会", code="SJSQ", kind=OrgKind.VILLAGE, division=v_div, supervisor=township
    )
    head = User.objects.create_user(username="world_township", password="x", organisation=township)
    UserRole.objects.create(user=head, role=Role.HEAD)
    now = timezone.now()
    episode = _admitted(cast, "己世界", at=now - datetime.timedelta(days=5), hukou_division=v_div)
    leaving.departure_create(
        by=cast.reception,
        episode=episode,
        exit_type="home_ticket",
        left_at=now - datetime.timedelta(days=3),
        data={"ticket_no": "K99", "travel_mode": "train", "destination": "世界社区"},
    )
    case = ReturnCase.objects.get(episode=episode)
    services.followup_visit_add(
        by=head,
        case=case,
        visited_at=now - datetime.timedelta(days=1),
        method="phone",
        situation="世界回访情况",
    )
    services.referral_create(by=head, case=case, kind="dibao", reason="世界困难情况")
    reg = services.registration_create(
        by=head,
        township=township,
        village=village,
        station=cast.station,
        data={"name": REG_NAME, "address": "世界社区1号", "mental_disorder": True},
    )
    services.risk_visit_add(
        by=head, registration=reg, visited_at=timezone.now(), method="home", situation="世界走访"
    )
    services.wandering_report(by=head, case=case, last_seen_on=timezone.localdate())
    # rule A4: a sender of the station, an imported list with the returnee on it, matched in batch
    shared_list_world(cast)
    return {
        "secrets": ["己世界", REG_NAME, "世界回访情况", "世界困难情况", SHARED_NAME],
        # township-only actions: the station owner of the every-URL test may not do them (403)
        "routes_without_fixture": {
            "/aftercare/referrals/<uuid:uuid>/decide/",
            "/aftercare/registry/<uuid:uuid>/visit/",
        },
    }


SHARED_NAME = "世界低保户"


def shared_list_world(cast):
    """A sender, one imported list (the returnee 己世界 and one more), and its attention items (rule A4)."""
    import io

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    from matching import engine

    settings.GUITU_MATCH_FACES = False
    engine.reset_cache()
    sender = services.sender_save(
        by=cast.head,
        name="世界民政局（低保）",
        list_kind="dibao",
        mapping={"name": "姓名", "sex": "性别", "birth_date": "出生日期", "address": "住址"},
    )
    wb = Workbook()
    for row in (
        ["姓名", "性别", "出生日期", "住址"],
        ["己世界", "男", "1980-01-01", "世界社区"],
        [SHARED_NAME, "女", "1950-02-02", "世界社区9号"],
    ):
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    shared = services.shared_list_import(
        by=cast.head, sender=sender, upload=SimpleUploadedFile("世界低保.xlsx", buf.getvalue())
    )
    services.shared_list_match(shared=shared)
    engine.reset_cache()
    return shared
