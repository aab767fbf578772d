"""Demo data for after-return work (rules A1–A3), created through the services: a township (英城街道) and a
village (和平社区) of 英德市 with their contacts, people of that village sent home by 英德站 months ago, the
village's family reports, visits, a hardship referral, the at-risk roster with visits, and one renewed-wandering
alert waiting for the station."""

import datetime

from django.utils import timezone

from core.demo import DEMO_PASSWORD
from core.models import Division, DivisionLevel, Organisation, OrgKind, Role, User, UserRole

# username, full name, org code, roles
USERS = (
    ("yc_lianluo", "何振华", "YCJDB", [Role.HEAD]),
    ("hp_wangge", "黄丽萍", "HPSQJ", []),
)
ORG_NAMES = {"YCJDB": "英德市英城街道办事处", "HPSQJ": "英城街道和平社区居委会"}

RETURNEES = (
    # name, sex, birth date, days since return, family report, visited
    (
        "罗志明",
        "男",
        datetime.date(1978, 4, 12),
        200,
        "与年迈母亲同住，无固定收入，曾多次外出务工流浪。",
        True,
    ),
    ("邓小军", "男", datetime.date(2006, 8, 3), 150, "父母在广州务工，与祖父母同住；已在县城找到工作。", False),
    ("朱秀英", "女", datetime.date(1956, 1, 20), 90, "独居，患阿尔茨海默病，儿子在县城，每周探望。", True),
    ("陈伟强", "男", datetime.date(1985, 11, 2), 20, "", False),
)


def _division(code: str, name: str, level: str, parent: Division) -> Division:
    division, _ = Division.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "level": level,
            "parent": parent,
            "full_name": f"{parent.full_name or parent.name}{name}",
        },
    )
    return division


def seed_network() -> dict[str, Organisation]:
    """The demo township and village with their users (idempotent)."""
    county = Division.objects.get(code="441881")
    t_div = _division("441881001", "英城街道", DivisionLevel.TOWNSHIP, county)
    v_div = _division("441881001001", "和平社区", DivisionLevel.VILLAGE, t_div)
    county_bureau = Organisation.objects.get(code="YDMZJ")
    township, _ = Organisation.objects.update_or_create(
        code="YCJDB",
        defaults={
            "name": ORG_NAMES["YCJDB"],
            "kind": OrgKind.TOWNSHIP,
            "division": t_div,
            "supervisor": county_bureau,
            "short_name": "英城街道",
            "address": "英德市英城街道和平中路8号",
            "phone": "0763-2221001",
        },
    )
    village, _ = Organisation.objects.update_or_create(
        code="HPSQJ",
        defaults={
            "name": ORG_NAMES["HPSQJ"],
            "kind": OrgKind.VILLAGE,
            "division": v_div,
            "supervisor": township,
            "short_name": "和平社区",
            "address": "英城街道和平社区1巷",
            "phone": "0763-2221002",
        },
    )
    orgs = {"YCJDB": township, "HPSQJ": village}
    for username, full_name, code, roles in USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"full_name": full_name, "organisation": orgs[code]}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        for role in roles:
            UserRole.objects.get_or_create(user=user, role=role)
    return orgs


def login_lines() -> list[str]:
    return [
        f"  {u:<13} {n:<5} {ORG_NAMES[c]:<16} {'、'.join(Role(r).label for r in roles) or '网格员（村/居）'}"
        for u, n, c, roles in USERS
    ]


def seed_aftercare(ctx, *, stdout=None) -> None:
    """Returnees of 和平社区 and the township's roster, through the services at their own moments."""
    from aftercare import services
    from aftercare.models import ReturnCase
    from guitu.demo import _do
    from intake import services as intake
    from leaving import services as leaving

    orgs = seed_network()
    township, village = orgs["YCJDB"], orgs["HPSQJ"]
    station = ctx.orgs["yd"]
    desk = ctx.staff["yd_jiedai"]
    contact = User.objects.get(username="hp_wangge")
    lead = User.objects.get(username="yc_lianluo")
    answers = {
        "cannot_pay": True,
        "no_relatives": True,
        "not_on_subsistence": True,
        "living_by_vagrancy": True,
        "decision": "eligible",
        "reason": "no_work",
    }
    cases = []
    for name, sex, birth, days, report, visited in RETURNEES:
        left = ctx.now - datetime.timedelta(days=days)
        admitted = left - datetime.timedelta(days=3)
        ep = _do(
            admitted,
            intake.intake_register,
            by=desk,
            station=station,
            channel="walk_in",
            requested_at=admitted,
            person_data={
                "name": name,
                "sex": sex,
                "birth_date": birth,
                "hukou_division": village.division,
                "hukou_text": "广东省英德市英城街道和平社区",
            },
            answers=answers,
        )
        _do(admitted, intake.safety_check_add, by=desk, episode=ep)
        _do(
            admitted,
            intake.health_check_add,
            by=desk,
            episode=ep,
            data={"physical": "良好", "mental": "清醒", "outcome": "admitted"},
        )
        _do(admitted, intake.intake_admit, by=desk, episode=ep, at=admitted)
        if birth.year >= 2009:
            _do(
                left,
                leaving.departure_create,
                by=desk,
                episode=ep,
                exit_type="home_escorted",
                left_at=left,
                data={
                    "escort_route": "英德站—英城街道（车辆护送）",
                    "handed_over_to": "family",
                    "handover_person": "祖父",
                    "handover_at": left,
                    "destination": "英城街道和平社区",
                    "witness_1": "谢文静",
                    "witness_2": "钟国平",
                },
                escort_staff=[desk],
            )
        else:
            _do(
                left,
                leaving.departure_create,
                by=desk,
                episode=ep,
                exit_type="home_ticket",
                left_at=left,
                data={
                    "ticket_no": f"B{days:05d}",
                    "travel_mode": "bus",
                    "destination": "英德市英城街道",
                    "is_direct": True,
                },
            )
        case = ReturnCase.objects.get(episode=ep)
        cases.append(case)
        if report:
            _do(
                left + datetime.timedelta(days=5),
                services.family_report_record,
                by=contact,
                case=case,
                report=report,
            )
        if visited:
            at = left + datetime.timedelta(days=30)
            _do(
                at,
                services.followup_visit_add,
                by=contact,
                case=case,
                visited_at=at,
                method="home",
                situation="本人在家，生活基本稳定。",
            )
    _do(
        cases[0].returned_at + datetime.timedelta(days=6),
        services.referral_create,
        by=contact,
        case=cases[0],
        kind="dibao",
        reason="无劳动收入，母亲年迈多病",
    )
    ref = cases[0].referrals.get()
    _do(
        cases[0].returned_at + datetime.timedelta(days=40),
        services.referral_decide,
        by=lead,
        referral=ref,
        status="granted",
        outcome="经审核纳入最低生活保障，每月发放。",
    )
    # the roster: the returnee with Alzheimer's, one repeated wanderer from the ledger, one local resident
    reg_at = cases[2].returned_at + datetime.timedelta(days=7)
    reg1 = _do(
        reg_at,
        services.registration_create,
        by=lead,
        case=cases[2],
        township=township,
        village=village,
        station=station,
        data={"alzheimers": True, "guardian_name": "朱建国（儿子）", "guardian_phone": "13902220033"},
        registered_at=reg_at,
    )
    for offset in (20, 75):
        at = reg_at + datetime.timedelta(days=offset)
        if at < ctx.now:
            _do(
                at,
                services.risk_visit_add,
                by=contact,
                registration=reg1,
                visited_at=at,
                method="home",
                situation="在家，儿子照看，已佩戴防走失手环。",
            )
    reg2_at = cases[0].returned_at + datetime.timedelta(days=10)
    reg2 = _do(
        reg2_at,
        services.registration_create,
        by=lead,
        case=cases[0],
        township=township,
        village=village,
        station=station,
        data={"repeated_wandering": True},
        registered_at=reg2_at,
    )
    reg3_at = ctx.now - datetime.timedelta(days=70)
    _do(
        reg3_at,
        services.registration_create,
        by=lead,
        township=township,
        village=village,
        station=station,
        registered_at=reg3_at,
        data={
            "name": "刘德福",
            "sex": "男",
            "birth_date": datetime.date(1969, 3, 8),
            "address": "和平社区5巷12号",
            "mental_disorder": True,
            "marks": "左眉有疤，说客家话",
            "guardian_name": "刘桂芳（妹妹）",
            "guardian_phone": "13822210088",
        },
    )
    # renewed wandering, reported this morning, not yet acknowledged by 英德站 (deadline A3w in its inbox)
    last_seen = timezone.localdate(ctx.now) - datetime.timedelta(days=1)
    _do(
        ctx.now - datetime.timedelta(hours=3),
        services.wandering_report,
        by=contact,
        registration=reg2,
        last_seen_on=last_seen,
        last_seen_place="英德汽车客运站",
        note="家属称其昨日早上出门后未归。",
    )
    seed_shared_list(ctx, desk)
    if stdout:
        stdout.write(
            "  回归后跟踪：英城街道、和平社区，返乡台账 4 人，人员库 3 人，再次流浪报告 1 条，共享低保名单 1 份"
        )


#: The county civil-affairs bureau's 低保 list as it arrives: a title row, then its own column names (rule A4).
DIBAO_ROWS = (
    ("序号", "户主姓名", "性别", "出生日期", "家庭住址", "保障类别"),
    (1, "罗志明", "男", "1978-04-12", "英城街道和平社区", "农村低保"),
    (2, "刘德福", "男", "1969-03-08", "英城街道和平社区5巷", "农村低保"),
    (3, "温秀兰", "女", "1948-10-30", "英城街道城南社区", "农村特困"),
    (4, "钟亚东", "男", "1991-06-15", "英城街道新华社区", "城市低保"),
)


def seed_shared_list(ctx, desk) -> None:
    """One 低保 list sent by 英德市民政局, imported by 英德站 through the services and matched in batch: the
    returnee 罗志明 and the registered 刘德福 come up for attention (rule A4)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from aftercare import services
    from core.excel import ExcelBook
    from guitu.demo import _do

    sender = _do(
        ctx.now - datetime.timedelta(days=10),
        services.sender_save,
        by=desk,
        name="英德市民政局（城乡低保）",
        list_kind="dibao",
        header_row=2,
        mapping={"name": "户主姓名", "sex": "性别", "birth_date": "出生日期", "address": "家庭住址",
                 "category": "保障类别"},
    )
    book = ExcelBook()  # the department's file, written by the project's one (formula-safe) Excel writer
    sheet = book.sheet("名册")
    sheet.row(["英德市英城街道2026年城乡低保、特困人员名册"])
    sheet.rows(list(row) for row in DIBAO_ROWS)
    shared = _do(
        ctx.now - datetime.timedelta(days=2),
        services.shared_list_import,
        by=desk,
        sender=sender,
        upload=SimpleUploadedFile("英城街道低保名册.xlsx", book.to_bytes()),
    )
    shared.refresh_from_db()
    if shared.matched_at is None:  # the queue runs it when the seed is not in immediate mode
        _do(ctx.now - datetime.timedelta(days=2), services.shared_list_match, shared=shared)
