"""The fixed cast used by every app's tests (and the scoping tests of every URL).

清远市民政局 (city department)
 ├── 清远市救助管理站 (city station, regional centre for 清远市)
 ├── 英德市民政局 (county department) ── 英德市救助管理站 (county station)
 └── 清远市第三人民医院 (designated hospital), 清远市公安局清城分局 (police), 清远市救助监督组 (panel)
韶关市民政局 ── 乳源瑶族自治县救助管理站 (unrelated: must see nothing of 清远)
"""

from types import SimpleNamespace

from core.models import Division, Organisation, OrgKind, Role, User, UserRole

PASSWORD = "guitu-test-pass"


def _org(name, code, kind, division_code, supervisor=None, short=""):
    return Organisation.objects.create(
        name=name,
        code=code,
        kind=kind,
        division=Division.objects.get(code=division_code),
        supervisor=supervisor,
        short_name=short,
    )


def _user(username, full_name, org, *roles):
    user = User.objects.create_user(
        username=username, password=PASSWORD, full_name=full_name, organisation=org
    )
    for role in roles:
        UserRole.objects.create(user=user, role=role)
    return user


def make_cast() -> SimpleNamespace:
    c = SimpleNamespace()
    c.city_dept = _org("清远市民政局", "QYMZ", OrgKind.CIVIL_AFFAIRS, "441800")
    c.city_station = _org("清远市救助管理站", "QYZ", OrgKind.REGIONAL_CENTRE, "441802", c.city_dept, "清远站")
    c.city_station.region.add(Division.objects.get(code="441800"))
    c.county_dept = _org("英德市民政局", "YDMZ", OrgKind.CIVIL_AFFAIRS, "441881", c.city_dept)
    c.station = _org("英德市救助管理站", "YDZ", OrgKind.STATION, "441881", c.county_dept, "英德站")
    c.hospital = _org("清远市第三人民医院", "QYY3", OrgKind.HOSPITAL, "441802", c.city_dept)
    c.police = _org("清远市公安局清城分局", "QCGA", OrgKind.POLICE, "441802")
    c.panel = _org("清远市救助监督组", "QYJD", OrgKind.SUPERVISION, "441800", c.city_dept)
    c.other_dept = _org("韶关市民政局", "SGMZ", OrgKind.CIVIL_AFFAIRS, "440200")
    c.other_station = _org(
        "乳源瑶族自治县救助管理站", "RYZ", OrgKind.STATION, "440232", c.other_dept, "乳源站"
    )

    c.reception = _user("reception", "李接待", c.station, Role.RECEPTION)
    c.head = _user("head", "王站长", c.station, Role.HEAD)
    c.carer = _user("carer", "赵照料", c.station, Role.CARER)
    c.tracer = _user("tracer", "钱寻亲", c.station, Role.TRACER)
    c.county_supervisor = _user("county_sup", "孙监管", c.county_dept, Role.SUPERVISOR)
    c.city_supervisor = _user("city_sup", "周监管", c.city_dept, Role.SUPERVISOR)
    c.admin = _user("admin", "吴管理", c.city_dept, Role.ADMIN)
    c.city_reception = _user("city_reception", "郑接待", c.city_station, Role.RECEPTION)
    c.police_officer = _user("police", "冯警官", c.police, Role.POLICE)
    c.panel_member = _user("panel", "陈监督", c.panel, Role.PANEL)
    c.outsider = _user("outsider", "褚接待", c.other_station, Role.RECEPTION, Role.HEAD)
    c.password = PASSWORD
    return c


def audit_writes() -> int:
    """Audit entries that record changes (reads and denied attempts excluded): "nothing changed" checks."""
    from core.models import AuditAction, AuditEntry

    return AuditEntry.objects.exclude(action__in=[AuditAction.READ, AuditAction.DENIED]).count()
