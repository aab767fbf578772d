"""The demo city: 清远市 with its civil-affairs bureau, a city station that is the regional centre,
three county stations, an outside-care facility, a designated hospital, police, 城管 and a panel;
a user per role. People and episodes are added by ``people.demo`` through the apps' services."""

from dataclasses import dataclass

from core.models import Division, Organisation, OrgKind, Role, User, UserRole

DEMO_PASSWORD = "guitu2026"


@dataclass(frozen=True)
class OrgSpec:
    key: str
    name: str
    code: str
    kind: str
    division: str
    supervisor: str | None = None
    short: str = ""
    beds: int | None = None
    address: str = ""


ORGS = (
    OrgSpec("bureau", "清远市民政局", "QYMZJ", OrgKind.CIVIL_AFFAIRS, "441800", address="清远市清城区北江二路"),
    OrgSpec("city", "清远市救助管理站", "QYZ", OrgKind.REGIONAL_CENTRE, "441802", "bureau", "清远站", 120,
            "清远市清城区东城街道"),
    OrgSpec("yd_bureau", "英德市民政局", "YDMZJ", OrgKind.CIVIL_AFFAIRS, "441881", "bureau"),
    OrgSpec("lz_bureau", "连州市民政局", "LZMZJ", OrgKind.CIVIL_AFFAIRS, "441882", "bureau"),
    OrgSpec("fg_bureau", "佛冈县民政局", "FGMZJ", OrgKind.CIVIL_AFFAIRS, "441821", "bureau"),
    OrgSpec("yd", "英德市救助管理站", "YDZ", OrgKind.STATION, "441881", "yd_bureau", "英德站", 40),
    OrgSpec("lz", "连州市救助管理站", "LZZ", OrgKind.STATION, "441882", "lz_bureau", "连州站", 30),
    OrgSpec("fg", "佛冈县救助管理站", "FGZ", OrgKind.STATION, "441821", "fg_bureau", "佛冈站", 24),
    OrgSpec("care", "清远市福康托养中心", "QYFK", OrgKind.CARE_FACILITY, "441803", "bureau", "福康托养", 80),
    OrgSpec("hospital", "清远市第三人民医院", "QYSY3", OrgKind.HOSPITAL, "441802", "bureau", "市三院"),
    OrgSpec("police", "清远市公安局清城分局", "QCGA", OrgKind.POLICE, "441802", None, "清城分局"),
    OrgSpec("chengguan", "清远市城市管理和综合执法局", "QYCG", OrgKind.CHENGGUAN, "441800"),
    OrgSpec("panel", "清远市救助管理第三方监督组", "QYJDZ", OrgKind.SUPERVISION, "441800", "bureau"),
)

# username, full name, org key, roles
USERS = (
    ("admin", "林建华", "bureau", [Role.ADMIN]),
    ("jianguan", "黄慧敏", "bureau", [Role.SUPERVISOR]),
    ("tongji", "梁晓燕", "bureau", [Role.STATISTICIAN]),
    ("shenji", "冯志远", "bureau", [Role.AUDITOR]),
    ("zhanzhang", "陈国强", "city", [Role.HEAD]),
    ("jiedai", "李秀兰", "city", [Role.RECEPTION]),
    ("xunqin", "张卫东", "city", [Role.TRACER]),
    ("zhaoliao", "何桂英", "city", [Role.CARER]),
    ("yihu", "吴医生", "city", [Role.MEDICAL]),
    ("yd_jiedai", "罗春梅", "yd", [Role.RECEPTION, Role.TRACER]),
    ("yd_zhanzhang", "邓志刚", "yd", [Role.HEAD]),
    ("lz_jiedai", "欧阳丽", "lz", [Role.RECEPTION, Role.TRACER]),
    ("fg_jiedai", "朱海峰", "fg", [Role.RECEPTION, Role.TRACER]),
    ("yd_jianguan", "曾德明", "yd_bureau", [Role.SUPERVISOR]),
    ("gongan", "赵警官", "police", [Role.POLICE]),
    ("jiandu", "谢文静", "panel", [Role.PANEL]),
    # issue 11: a designated hospital's doctor and an outside-care facility's carer see only the people placed there
    ("yiyuan", "刘医生", "hospital", [Role.MEDICAL]),
    ("tuoyang", "孙护理", "care", [Role.CARER]),
)

DEMO_USERNAMES = frozenset(username for username, *_ in USERS)


def seed_organisations() -> dict[str, Organisation]:
    orgs: dict[str, Organisation] = {}
    for index, spec in enumerate(ORGS):
        org, _ = Organisation.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name, "kind": spec.kind, "division": Division.objects.get(code=spec.division),
                "supervisor": orgs.get(spec.supervisor) if spec.supervisor else None, "short_name": spec.short,
                "bed_capacity": spec.beds, "address": spec.address, "phone": f"0763-33{index:02d}{index * 7 % 100:02d}",
            },
        )
        orgs[spec.key] = org
    orgs["city"].region.set([Division.objects.get(code="441800")])
    return orgs


def seed_users(orgs: dict[str, Organisation]) -> list[User]:
    users = []
    for username, full_name, org_key, roles in USERS:
        user, created = User.objects.get_or_create(username=username, defaults={
            "full_name": full_name, "organisation": orgs[org_key]})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        for role in roles:
            UserRole.objects.get_or_create(user=user, role=role)
        users.append(user)
    return users


def login_lines() -> list[str]:
    lines = [f"演示账号（密码均为 {DEMO_PASSWORD}）/ demo logins (password {DEMO_PASSWORD}):"]
    for username, full_name, org_key, roles in USERS:
        org = next(s.name for s in ORGS if s.key == org_key)
        lines.append(f"  {username:<13} {full_name:<5} {org:<16} {'、'.join(Role(r).label for r in roles)}")
    return lines
