"""Province-scale bench data (issue 9): one province's organisations, staff and N episodes, by bulk COPY.

Bench data only — NOT for the demo or real use. The application writes through its services (one row at a
time, audited); this writes the rows those services would have left, straight into PostgreSQL with
``COPY … FROM STDIN`` in streaming chunks (bounded memory), so that 10,000,000 episodes fill in an hour.

What a row needs to be valid is respected *by construction*:
- every episode's story is planned first (request → decision → stays, beds, hospital, outside care → leaving
  or termination), with increasing times, then cut at ``now``: only what already happened is written, the
  status is the last transition before ``now``, an open bed / placement is one that started and has not
  ended — so ``left_at ≥ admitted_at``, one open episode per person, one person per open bed, one open
  placement per episode hold without any clamping (the lists bench clamped a departure to ``now`` and
  broke ``episode_left_after_admitted``);
- the episodes of a chunk are in time order and a person returns only after their previous episode ended;
- ID numbers pass the GB 11643 checksum, are unique (a permutation per county, no set of issued numbers),
  and are stored encrypted, hashed and masked with the project's helpers (``core.crypto``), so the file
  pages decrypt them; sex and birth date agree with the number;
- the audit rows look like the services' (``create`` / ``transition`` / ``view`` / ``read`` rows with the
  same object types and summaries), dated at the events they record; their ``hash`` / ``prev_hash`` have the
  right width but are NOT a valid HMAC chain (``manage.py audit_verify`` reports the first bench row).

Usage: :func:`build_world` (ORM, idempotent) then :class:`Filler` (``fill(n)``). ``bench/province.py`` drives
both and times the pages; ``tests/test_province_bench.py`` fills 2,000 episodes and checks the invariants.
"""

from __future__ import annotations

import bisect
import datetime
import json
import math
import random
import time
import zlib
from dataclasses import dataclass, field

from core.demo_names import FEMALE_CHARS, MALE_CHARS, SURNAMES

PROVINCE_CODE = "440000"
PROVINCE_DEPT = ("广东省民政厅", "GDMZT")
#: Regional centres (rule R1): the city station of these cities serves these cities.
REGIONS = {"440100": ("440100", "440600", "441900", "442000"), "440800": ("440800", "440900", "441700"),
           "441400": ("441400", "445100", "445200"), "441800": ("441800",)}
#: Busier city stations take more episodes (relative weight; a county station weighs 1).
CITY_WEIGHTS = {"440100": 9, "440300": 9, "441900": 6, "440600": 5, "441300": 3, "440400": 3, "442000": 3}
TARGET_STATIONS = 100
#: Home provinces of the people (first two digits of the county code) with weights; Guangdong itself first.
HOME_PROVINCES = (("44", 40), ("43", 12), ("45", 10), ("51", 8), ("41", 8), ("36", 6), ("52", 5), ("42", 5),
                  ("35", 3), ("50", 3))
REASONS = ("no_work", "family_not_found", "robbed", "family_conflict", "illness", "mental", "vagrancy", "stranded",
           "other")
REASON_LABELS = {"no_work": "务工不着", "family_not_found": "寻亲不遇", "robbed": "钱物被盗", "family_conflict": "离家出走",
                 "illness": "疾病", "mental": "疑似精神障碍", "vagrancy": "长期流浪", "stranded": "临时遇困", "other": "其他"}
CHANNELS = (("walk_in", 45), ("police", 25), ("public_report", 12), ("phone", 8), ("chengguan", 7), ("transfer_in", 3))
CHANNEL_LABELS = {"walk_in": "主动求助（来站）", "phone": "电话求助", "police": "公安护送", "chengguan": "城管护送",
                  "public_report": "群众报告/街面发现", "transfer_in": "其他机构转入"}
EXITS = (("home_ticket", 35), ("self", 25), ("family", 15), ("home_escorted", 10), ("transfer", 8),
         ("no_formalities", 7))
EXIT_LABELS = {"home_ticket": "返乡（购票）", "home_escorted": "返乡（护送）", "family": "亲属接领",
               "transfer": "转送其他机构", "self": "自行离站", "no_formalities": "未办手续离站"}
METHODS = ("system_match", "dna", "face", "announcement", "talks", "police", "self_report")
METHOD_LABELS = {"system_match": "系统比对", "dna": "DNA比对", "face": "人像比对", "announcement": "寻亲公告线索",
                 "talks": "甄别谈话", "police": "公安核查", "self_report": "本人自述经核实"}
LABELS = {"requested": "求助登记", "admitted": "已入站", "in_station": "在站", "in_hospital": "送医",
          "outside_care": "站外托养", "left": "已离站", "refused": "不予救助", "terminated": "终止救助", "": "—"}
ZONES = (("men", "男区", "男"), ("women", "女区", "女"), ("minors", "未成年人区", "any"), ("elderly", "老年区", "any"),
         ("medical", "医疗观察区", "any"))
FLAGS = ("is_minor", "is_elderly", "has_disability", "has_mental_disorder", "has_intellectual_disability",
         "limited_mobility", "is_pregnant", "suspected_foreign")
LIST_PAGES = ("/people/", "/stay/", "/intake/")
DAY = 86_400
HOUR = 3_600
NULL = "\\N"
#: Bench users' logins (the demo's password) that bench/province.py times; the demo's own users are kept.
PROVINCE_USERS = (("sheng_jianguan", "周建国", ["supervisor"]), ("sheng_shenji", "钱文华", ["auditor"]),
                  ("sheng_tongji", "孙丽娟", ["statistician"]), ("sheng_admin", "吴海涛", ["admin"]))


def _weighted(pairs):
    values = [v for v, _ in pairs]
    cum, total = [], 0
    for _, w in pairs:
        total += w
        cum.append(total)
    return values, cum, total


def _pick(rng: random.Random, table) -> str:
    values, cum, total = table
    return values[bisect.bisect_right(cum, rng.random() * total)]


# --- the organisations and staff (ORM; a few hundred rows) -----------------------------------------------------


@dataclass
class Station:
    id: int
    code: str
    short: str
    name: str
    city: str
    weight: float
    hospital_id: int
    care_id: int
    staff: list = field(default_factory=list)  # (user id, full name)
    readers: list = field(default_factory=list)  # supervisors above: (user id, full name, organisation id)
    zones: dict = field(default_factory=dict)  # category → zone id
    beds: dict = field(default_factory=dict)  # category → [bed id]
    open_beds: set = field(default_factory=set)
    ip: str = ""


@dataclass
class World:
    stations: list
    province_readers: list  # (user id, full name, organisation id)
    hukou: dict  # county code → (division id, full name)


def _org(Organisation, Division, *, code, name, kind, division, supervisor=None, short="", beds=None):
    org, _ = Organisation.objects.update_or_create(code=code, defaults={
        "name": name, "kind": kind, "division": division if not isinstance(division, str)
        else Division.objects.get(code=division), "supervisor": supervisor, "short_name": short,
        "bed_capacity": beds, "phone": f"020-8{zlib.crc32(code.encode()) % 10_000_000:07d}"})
    return org


def build_world(*, cities: tuple[str, ...] | None = None, target_stations: int = TARGET_STATIONS) -> World:
    """The province (idempotent): its civil-affairs department, every city's bureau, station, hospital and
    care facility, county stations with their bureaus (the 县 and 县级市 first, then districts, up to
    ``target_stations``), zones and beds, five staff per station and a supervisor per department.

    Built around the demo city (``core.demo``): 清远市民政局 reports to the province, so the demo logins
    (``jiedai``, ``yd_jiedai``, ``yd_jianguan``, ``jianguan``, ``tongji``) work on the bench database too.
    ``cities`` limits the province to some cities (the quick test)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from core.demo import DEMO_PASSWORD, seed_organisations, seed_users
    from core.models import Division, Organisation, OrgKind, User, UserRole
    from stay.models import Bed, Zone

    with transaction.atomic():
        demo = seed_organisations()
        seed_users(demo)
        province = _org(Organisation, Division, code=PROVINCE_DEPT[1], name=PROVINCE_DEPT[0],
                        kind=OrgKind.CIVIL_AFFAIRS, division=PROVINCE_CODE)
        demo_by_division = {"441800": demo["bureau"], "441881": demo["yd_bureau"], "441882": demo["lz_bureau"],
                            "441821": demo["fg_bureau"]}
        demo_station = {"441800": demo["city"], "441881": demo["yd"], "441882": demo["lz"], "441821": demo["fg"]}
        city_divs = list(Division.objects.filter(code__startswith=PROVINCE_CODE[:2], level="city").order_by("code"))
        if cities:
            city_divs = [d for d in city_divs if d.code in cities]
        counties = {d.code: list(Division.objects.filter(parent=d, level="county").order_by("code")) for d in city_divs}
        # Which counties get a station: every 县 and 县级市, then districts (not the city seat's) up to the target.
        chosen = [c for d in city_divs for c in counties[d.code] if c.name[-1] in "县市"]
        districts = [c for d in city_divs for c in counties[d.code][1:] if c.name[-1] == "区"]
        room = max(0, target_stations - len(city_divs) - len(chosen))
        chosen += districts[:room]
        chosen_codes = {c.code for c in chosen} | {"441881", "441882", "441821"} & {
            c.code for d in city_divs for c in counties[d.code]}
        stations: list[tuple] = []  # (org, city code, weight, hospital, care)
        bureaus: list[tuple] = []  # (org, [station orgs it oversees, directly or below])
        for city in city_divs:
            cname = city.name
            bureau = demo_by_division.get(city.code) or _org(
                Organisation, Division, code=f"MZ{city.code}", name=f"{cname}民政局", kind=OrgKind.CIVIL_AFFAIRS,
                division=city)
            if bureau.supervisor_id != province.pk:
                bureau.supervisor = province
                bureau.save(update_fields=["supervisor"])
            kind = OrgKind.REGIONAL_CENTRE if city.code in REGIONS else OrgKind.STATION
            station = demo_station.get(city.code) or _org(
                Organisation, Division, code=f"JZ{city.code}", name=f"{cname}救助管理站", kind=kind, division=city,
                supervisor=bureau, short=f"{cname[:-1]}站"[:20], beds=60 + 20 * CITY_WEIGHTS.get(city.code, 1))
            if city.code in REGIONS:
                station.region.set(Division.objects.filter(code__in=REGIONS[city.code]))
            hospital = demo["hospital"] if city.code == "441800" else _org(
                Organisation, Division, code=f"YY{city.code}", name=f"{cname}第三人民医院", kind=OrgKind.HOSPITAL,
                division=city, supervisor=bureau, short=f"{cname[:-1]}三院")
            care = demo["care"] if city.code == "441800" else _org(
                Organisation, Division, code=f"TY{city.code}", name=f"{cname}福康托养中心", kind=OrgKind.CARE_FACILITY,
                division=city, supervisor=bureau, short=f"{cname[:-1]}托养", beds=80)
            city_stations = [station]
            stations.append((station, city.code, CITY_WEIGHTS.get(city.code, 2), hospital, care))
            for county in counties[city.code]:
                if county.code not in chosen_codes:
                    continue
                full = county.name if county.name[-1] in "县市" else f"{cname}{county.name}"
                cbureau = demo_by_division.get(county.code) or _org(
                    Organisation, Division, code=f"MZ{county.code}", name=f"{full}民政局", kind=OrgKind.CIVIL_AFFAIRS,
                    division=county, supervisor=bureau)
                cstation = demo_station.get(county.code) or _org(
                    Organisation, Division, code=f"JZ{county.code}", name=f"{full}救助管理站", kind=OrgKind.STATION,
                    division=county, supervisor=cbureau, short=f"{county.name[:-1][:6]}站", beds=30)
                stations.append((cstation, city.code, 1, hospital, care))
                bureaus.append((cbureau, [cstation]))
                city_stations.append(cstation)
            bureaus.append((bureau, city_stations))
        bureaus.append((province, [s for s, *_ in stations]))

        # Staff: five per station, a supervisor per department (the demo's users are kept as they are).
        password = make_password(DEMO_PASSWORD)
        wanted: list[tuple[str, str, object, list[str]]] = []
        surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
        given = "建华秀英志强丽娟国平海燕明军桂兰文静永红春梅晓东玉兰德明淑珍"
        n = 0

        def person_name() -> str:
            nonlocal n
            n += 1
            return surnames[n % len(surnames)] + given[(n * 7) % len(given)] + given[(n * 3 + 1) % len(given)]

        for station, *_ in stations:
            login = station.code.lower()
            for suffix, roles in (("jiedai", ["reception"]), ("jiedai2", ["reception"]), ("zhanzhang", ["head"]),
                                  ("xunqin", ["tracer"]), ("zhaoliao", ["carer"])):
                wanted.append((f"{login}_{suffix}", person_name(), station, roles))
        for bureau, _ in bureaus:
            if bureau.pk != province.pk:
                wanted.append((f"{bureau.code.lower()}_jianguan", person_name(), bureau, ["supervisor"]))
        for username, full_name, roles in PROVINCE_USERS:
            wanted.append((username, full_name, province, roles))
        existing = set(User.objects.filter(username__in=[w[0] for w in wanted]).values_list("username", flat=True))
        new = [User(username=u, full_name=f, organisation=o, password=password) for u, f, o, _ in wanted
               if u not in existing]
        User.objects.bulk_create(new, batch_size=500)
        ids = dict(User.objects.filter(username__in=[w[0] for w in wanted]).values_list("username", "id"))
        UserRole.objects.bulk_create([UserRole(user_id=ids[u], role=r) for u, _, _, roles in wanted for r in roles],
                                     ignore_conflicts=True, batch_size=1000)

        # Zones and beds (the capacity, split over the five zones); more beds are added by the fill when needed.
        have_zones = set(Zone.objects.values_list("station_id", "category"))
        Zone.objects.bulk_create([Zone(station=s, name=label, category=cat, sex_restriction=sex)
                                  for s, *_ in stations for cat, label, sex in ZONES if (s.pk, cat) not in have_zones])
        zones = {(z.station_id, z.category): z.pk for z in Zone.objects.filter(station__in=[s for s, *_ in stations])}
        have_beds = set(Bed.objects.values_list("zone_id", flat=True).distinct())
        share = {"men": 0.5, "women": 0.2, "minors": 0.1, "elderly": 0.1, "medical": 0.1}
        Bed.objects.bulk_create([Bed(zone_id=zones[(s.pk, cat)], code=f"{cat[0].upper()}{k + 1:03d}")
                                 for s, *_ in stations for cat, _, _ in ZONES if zones[(s.pk, cat)] not in have_beds
                                 for k in range(max(2, int((s.bed_capacity or 30) * share[cat])))], batch_size=2000)
        beds: dict[tuple[int, str], list[int]] = {}
        for bed_id, zone_id in Bed.objects.filter(zone_id__in=zones.values()).order_by("id").values_list("id", "zone_id"):
            beds.setdefault(zone_id, []).append(bed_id)

    # The World the filler needs: plain ids and names.
    users = {u.username: u for u in User.objects.filter(organisation__isnull=False).select_related("organisation")}
    by_org: dict[int, list] = {}
    for u in users.values():
        by_org.setdefault(u.organisation_id, []).append(u)
    supervisors_of: dict[int, list] = {}
    for bureau, covered in bureaus:
        readers = [(u.pk, u.full_name or u.username, bureau.pk) for u in sorted(by_org.get(bureau.pk, []),
                                                                                 key=lambda u: u.username)]
        for s in covered:
            supervisors_of.setdefault(s.pk, []).extend(readers)
    result = []
    for index, (station, city, weight, hospital, care) in enumerate(stations):
        staff = [(u.pk, u.full_name or u.username) for u in sorted(by_org.get(station.pk, []), key=lambda u: u.username)]
        st = Station(id=station.pk, code=station.code, short=station.display_short, name=station.name, city=city,
                     weight=weight, hospital_id=hospital.pk, care_id=care.pk, staff=staff,
                     readers=supervisors_of.get(station.pk, []), ip=f"10.{44 + index // 250}.{index % 250}.")
        for cat, _, _ in ZONES:
            st.zones[cat] = zones[(station.pk, cat)]
            st.beds[cat] = beds.get(zones[(station.pk, cat)], [])
        result.append(st)
    province_readers = [(u.pk, u.full_name, province.pk) for u in sorted(by_org.get(province.pk, []),
                                                                        key=lambda u: u.username)]
    homes = [code for code, _ in HOME_PROVINCES]
    hukou = {d.code: (d.pk, d.full_name or d.name) for d in Division.objects.filter(level="county").only(
        "id", "code", "name", "full_name") if d.code[:2] in homes}
    return World(stations=result, province_readers=province_readers, hukou=hukou)


# --- COPY helpers -------------------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class Table:
    """Rows of one model's table for ``COPY``: the columns a row gives (in order), the rest constant.

    Constants are the model fields' defaults (Django's defaults are Python-side, not in the database, so
    COPY must send them); a NOT NULL column with no usable default must be given — checked here, once."""

    def __init__(self, model, columns: list[str], **fixed):
        self.model = model
        self.name = model._meta.db_table
        fields = {f.column: f for f in model._meta.concrete_fields}
        unknown = [c for c in [*columns, *fixed] if c not in fields]
        if unknown:
            raise ValueError(f"{self.name}: unknown columns {unknown}")
        constants = {}
        for column, f in fields.items():
            if column in columns:
                continue
            if column in fixed:
                constants[column] = fixed[column]
                continue
            if f.has_default() and callable(f.default) and f.default not in (dict, list):
                raise ValueError(f"{self.name}.{column} defaults to a call ({f.default.__name__}): give it per row")
            value = f.get_default()  # the default, or "" for text fields, or None
            if value is None and not f.null:
                raise ValueError(f"{self.name}.{column} is NOT NULL without a default: give it per row")
            constants[column] = value
        self.columns = [*columns, *constants]
        self.width = len(columns)
        self.suffix = "".join("\t" + _text(v) for v in constants.values()) + "\n"
        self.lines: list[str] = []

    def add(self, *values: str) -> None:
        self.lines.append("\t".join(values) + self.suffix)

    def flush(self, cursor) -> int:
        if not self.lines:
            return 0
        count = len(self.lines)
        with cursor.copy(f'COPY {self.name} ({", ".join(self.columns)}) FROM STDIN') as copy:
            for start in range(0, count, 20_000):
                copy.write("".join(self.lines[start:start + 20_000]))
        self.lines.clear()
        return count


class Clock:
    """Epoch seconds → PostgreSQL timestamptz text, fast (dates cached, times of day precomputed)."""

    def __init__(self):
        self.days: dict[int, str] = {}
        self.hms = [f" {h:02d}:{m:02d}:{s:02d}+00" for h in range(24) for m in range(60) for s in range(60)]

    def __call__(self, t: int) -> str:
        d, s = divmod(t, DAY)
        day = self.days.get(d)
        if day is None:
            day = self.days[d] = (datetime.date(1970, 1, 1) + datetime.timedelta(days=d)).isoformat()
        return day + self.hms[s]


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


# --- the episodes -------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Person:
    id: int
    uuid: str
    sex: str
    birth_year: int
    identified: bool  # known by the end of the first episode (or from the start)
    found_in_stay: bool  # identified during the first stay (tracing.Identification), not at the door
    flags: tuple  # FLAGS, in order
    station: int  # index of the current station
    stations: set
    number: str = ""  # ID number when one is on file
    birth_date: str = ""
    hukou: tuple = ("\\N", "")  # (division id, text)
    name: str = ""
    provisional: str = ""
    file_no: str = ""
    masked: str = ""
    end: int = 0  # when the last episode ended (far in the future while one is open)
    requests: list = field(default_factory=list)


@dataclass
class FillStats:
    episodes: int = 0
    people: int = 0
    rows: dict = field(default_factory=dict)
    seconds: float = 0.0
    phases: dict = field(default_factory=lambda: {"plan": 0.0, "copy": 0.0, "audit": 0.0})


BIG_MODELS = ("people.Person", "people.PersonStation", "people.Episode", "people.EpisodeTransition",
              "intake.IntakeRecord", "intake.SafetyCheck", "intake.HealthCheck", "intake.Notice",
              "stay.BedAssignment", "stay.Placement", "leaving.Departure", "tracing.Identification",
              "core.AuditEntry")


class Filler:
    """Writes ``count`` episodes over ``years`` up to ``now`` into the database behind ``connection``.

    Chunks of ``chunk`` episodes in time order; each chunk is one transaction of COPYs (the chunk's audit rows
    sorted by time). ``reads`` and ``list_reads`` are the expected read-audit rows per episode (the write rows
    follow from the records: about nine per episode); ``id_share`` the share of identified people whose ID
    number is on file. (Deriving the audit rows in PostgreSQL with one INSERT … SELECT per chunk was tried: four
    times slower here than formatting them in Python, because of the per-row key lookups and the sort.)"""

    def __init__(self, world: World, *, connection, now: datetime.datetime, years: float = 10.0, seed: int = 9,
                 chunk: int = 10_000, reads: float = 5.0, list_reads: float = 1.0, id_share: float = 0.5,
                 return_rate: float = 0.28, stations: list[int] | None = None, stride: int = 1, offset: int = 0,
                 bases: dict[str, int] | None = None, log=None):
        from core.crypto import encrypt_id, hash_id, mask_id
        from guitu_match.idcard import checksum_char
        from people.services import name_pinyin

        self.w = world
        self.conn = connection
        self.rng = random.Random(seed * 1000 + offset)
        self.stride, self.offset, self.bases = stride, offset, bases
        self.now = int(now.timestamp())
        self.start = self.now - int(years * 365 * DAY)
        self.chunk = chunk
        self.reads, self.list_reads, self.id_share, self.return_rate = reads, list_reads, id_share, return_rate
        self.log = log or (lambda msg: None)
        self.encrypt_id, self.hash_id, self.mask_id, self.checksum = encrypt_id, hash_id, mask_id, checksum_char
        self._pinyin = name_pinyin
        from people.models import search_columns

        self._search_columns = search_columns  # the search columns Person.save() derives (issue 9)
        self.pinyin_cache: dict[str, tuple[str, str]] = {}
        self.clock = Clock()
        mine = stations if stations is not None else list(range(len(world.stations)))
        weights = [world.stations[i].weight for i in mine]
        self.station_table = (mine, list(_cumsum(weights)), sum(weights))
        self.channels, self.exits = _weighted(CHANNELS), _weighted(EXITS)
        # ID numbers: a counter per home county, spread by a permutation over (birth day, sequence) — unique.
        by_province: dict[str, list[str]] = {}
        for code in sorted(world.hukou):
            by_province.setdefault(code[:2], []).append(code)
        self.home_table = _weighted([(p, w) for p, w in HOME_PROVINCES if p in by_province])
        self.counties = by_province
        self.id_counter: dict[str, int] = {}
        self.birth_days = (datetime.date(2011, 12, 31) - datetime.date(1946, 1, 1)).days
        self.id_space = self.birth_days * 500
        self.reservoir: list[Person] = []
        self.recent: list[str] = []
        self.provisional: dict[tuple[int, int], int] = {}
        self.stats = FillStats()
        self.next_id: dict[str, int] = {}
        self.moves: list[tuple] = []
        self.audit: list[tuple[int, str]] = []  # (time, the row's columns after ``at`` up to ``ip``)
        self.list_ids = "[]"
        self.staff = {i: [(str(u), n) for u, n in s.staff] for i, s in enumerate(world.stations)}
        self.readers = {i: [(str(u), n) for u, n, _ in s.readers] for i, s in enumerate(world.stations)}
        self.province_readers = [(str(u), n) for u, n, _ in world.province_readers]

    # -- ids and tables --------------------------------------------------------------------------------------
    def _tables(self):
        from core.models import AuditEntry
        from intake.models import HealthCheck, IntakeRecord, Notice, SafetyCheck
        from leaving.models import Departure
        from people.models import Episode, EpisodeTransition, PersonStation
        from people.models import Person as PersonModel
        from stay.models import Bed, BedAssignment, Placement
        from tracing.models import Identification

        t = {}
        t["bed"] = Table(Bed, ["id", "uuid", "zone_id", "code", "created_at", "updated_at"])
        t["person"] = Table(PersonModel, [
            "id", "uuid", "file_no", "name", "name_is_provisional", "name_pinyin", "name_initials", "name_pinyin_flat",
            "name_grams", "sex", "birth_date", "birth_year_est", "age_min", "age_max", "id_number_enc", "id_number_hash",
            "id_number_masked", "hukou_division_id", "hukou_text", "height_cm", *FLAGS, "identity_status",
            "registered_by_id", "current_station_id", "created_at", "updated_at"], dialect="普通话", build="medium")
        t["ps"] = Table(PersonStation, ["id", "person_id", "station_id", "since"])
        t["episode"] = Table(Episode, [
            "id", "uuid", "number", "person_id", "station_id", "status", "channel", "requested_at", "admitted_at",
            "left_at", "closed_reason", "created_by_id", "flag_repeat_requests", "flag_foreign", "created_at",
            "updated_at"])
        t["transition"] = Table(EpisodeTransition, ["id", "episode_id", "from_status", "to_status", "at", "by_id",
                                                    "note"])
        t["intake"] = Table(IntakeRecord, [
            "id", "uuid", "episode_id", "reason", "reason_text", "living_by_vagrancy", "decision", "person_at_intake",
            "received_by_id", "created_at", "updated_at"],
            subsistence="none", cannot_pay=True, no_relatives=True, not_on_subsistence=True, fingerprint_taken=True,
            photo_taken=True, needs=["food_lodging"])
        t["safety"] = Table(SafetyCheck, ["id", "uuid", "episode_id", "checked_at", "checked_by_id", "created_at",
                                          "updated_at"])
        t["health"] = Table(HealthCheck, ["id", "uuid", "episode_id", "checked_at", "checked_by_id", "created_at",
                                          "updated_at"], physical="基本正常", mental="清醒", outcome="admitted")
        t["notice"] = Table(Notice, ["id", "uuid", "episode_id", "kind", "number", "ground", "issued_at",
                                     "issued_by_id", "created_at", "updated_at"], reason="经甄别不符合救助条件")
        t["bedassign"] = Table(BedAssignment, ["id", "uuid", "episode_id", "bed_id", "assigned_at", "released_at",
                                               "assigned_by_id", "released_by_id", "housed_as", "created_at",
                                               "updated_at"])
        t["placement"] = Table(Placement, ["id", "uuid", "episode_id", "kind", "organisation_id", "started_at",
                                           "ended_at", "agreement_ref", "started_by_id", "ended_by_id", "created_at",
                                           "updated_at"])
        t["departure"] = Table(Departure, [
            "id", "uuid", "episode_id", "exit_type", "left_at", "recorded_by_id", "destination", "ticket_no",
            "travel_mode", "claimant_name", "claimant_relationship", "transfer_person", "declaration_signed",
            "written_record", "created_at", "updated_at"])
        t["ident"] = Table(Identification, [
            "id", "uuid", "person_id", "episode_id", "station_id", "method", "name", "previous_name",
            "id_number_masked", "hukou_division_id", "hukou_text", "confirmed_at", "confirmed_by_id", "created_at",
            "updated_at"], evidence="比对结果经核实")
        t["audit"] = Table(AuditEntry, ["id", "at", "actor_id", "actor_name", "organisation_id", "action",
                                        "object_type", "object_id", "person_uuid", "summary", "changes", "ip",
                                        "prev_hash", "hash"])
        return t

    def _id(self, key: str) -> int:
        """Ids interleave between parallel fillers: ``base + 1 + offset``, then every ``stride``-th."""
        value = self.next_id[key]
        self.next_id[key] = value + self.stride
        return value

    # -- the run ---------------------------------------------------------------------------------------------
    def fill(self, count: int, *, commit_each_chunk: bool = True) -> FillStats:
        """Write ``count`` episodes; each chunk in its own transaction unless inside an outer one (tests)."""
        from django.db import transaction

        t0 = time.perf_counter()
        self.t = self._tables()
        if self.bases is None:
            with self.conn.cursor() as cursor:
                self.bases = start_ids(cursor)
        self.next_id = {key: self.bases[table.name] + 1 + self.offset for key, table in self.t.items()}
        chunks = max(1, math.ceil(count / self.chunk))
        # the last requests two hours before now: their intake rows and first steps are in the past too
        span = (self.now - 2 * HOUR - self.start) / chunks
        for k in range(chunks):
            n = min(self.chunk, count - k * self.chunk)
            lo = int(self.start + k * span)
            times = sorted(self.rng.randrange(lo, max(lo + 1, int(self.start + (k + 1) * span))) for _ in range(n))
            t1 = time.perf_counter()
            for req in times:
                self._episode(req)
            self.stats.phases["plan"] += time.perf_counter() - t1
            if commit_each_chunk:
                with transaction.atomic(using=self.conn.alias):
                    self._flush()
            else:
                self._flush()
            self.stats.episodes += n
            if k % 10 == 9 or k == chunks - 1:
                rate = self.stats.episodes / (time.perf_counter() - t0)
                self.log(f"  {self.stats.episodes:,} episodes, {self.stats.people:,} people, "
                         f"{self.stats.rows.get('core_auditentry', 0):,} audit rows — {rate:,.0f} episodes/s ("
                         + ", ".join(f"{name} {secs:.0f} s" for name, secs in self.stats.phases.items()) + ")")
        self.stats.seconds = time.perf_counter() - t0
        return self.stats

    def _flush(self) -> None:
        t0 = time.perf_counter()
        audit = self.audit
        audit.sort(key=_first)
        lines = self.t["audit"].lines
        clock = self.clock
        for at, rest in audit:
            i = self._id("audit")
            lines.append(f"{i}\t{clock(at)}\t{rest}\t{i - self.stride:064x}\t{i:064x}\n")
        audit.clear()
        with self.conn.cursor() as wrapper:
            cursor = wrapper.cursor
            t1 = time.perf_counter()
            for table in self.t.values():
                written = table.flush(cursor)
                self.stats.rows[table.name] = self.stats.rows.get(table.name, 0) + written
            if self.moves:
                with cursor.copy("COPY bench_person_move (person_id, station_id, at) FROM STDIN") as copy:
                    copy.write("".join(f"{p}\t{s}\t{a}\n" for p, s, a in self.moves))
                self.moves.clear()
            self.stats.phases["copy"] += time.perf_counter() - t1
            self.stats.phases["audit"] += t1 - t0

    # -- one episode -----------------------------------------------------------------------------------------
    def _episode(self, req: int) -> None:
        rng = self.rng
        stations = self.w.stations
        si = _pick(rng, self.station_table)
        person = None
        if self.reservoir and rng.random() < self.return_rate:
            candidate = self.reservoir[rng.randrange(len(self.reservoir))]
            if candidate.end + DAY < req:
                person = candidate
                if rng.random() < 0.75:
                    si = person.station
        new = person is None
        if new:
            person = self._new_person(si, req)
        st = stations[si]
        plan = self._plan(req, person, new)
        eid = self._id("episode")
        euuid = _uuid(rng)
        clock = self.clock
        year = clock(req)[:4]
        number = f"{st.code}-J{year}-{eid:07d}"
        staff = self.staff[si]
        by = staff[rng.randrange(len(staff))]
        byid = by[0]
        now = self.now
        org = str(st.id)
        puuid = person.uuid
        audit = self.audit
        tail = f"\t{st.ip}{10 + int(byid) % 200}"
        head = f"{byid}\t{by[1]}\t{org}\t"

        def write(at: int, action: str, what: str) -> None:  # what: object_type, object_id, person, summary, changes
            audit.append((at, head + action + "\t" + what + tail))

        # The story, cut at now: what already happened.
        transitions = [tr for tr in plan["transitions"] if tr[0] <= now]
        last = transitions[-1]
        status = last[2]
        admitted = next((tr[0] for tr in transitions if tr[2] in ("admitted", "in_hospital")), None)
        left = last[0] if status in ("left", "terminated") else None
        identified_at = plan["identified_at"] if plan["identified_at"] and plan["identified_at"] <= now else None
        if new:
            self._write_person(person, si, req, identified_at, head, tail)
        else:
            if si not in person.stations:
                person.stations.add(si)
                self.t["ps"].add(str(self._id("ps")), str(person.id), org, clock(req))
            if si != person.station:
                self.moves.append((person.id, st.id, clock(req)))
                person.station = si
        # rule I6: three requests within six months
        recent = [r for r in person.requests if r > req - 183 * DAY]
        person.requests = [*recent[-2:], req]
        person.end = left or (last[0] if status == "refused" else 4 * now)
        if new:
            if len(self.reservoir) < 300_000:
                self.reservoir.append(person)
            else:
                self.reservoir[rng.randrange(len(self.reservoir))] = person
        channel = _pick(rng, self.channels)
        closed = {"left": EXIT_LABELS.get(plan["exit"], ""), "refused": "不予救助", "terminated": "终止救助"}.get(status, "")
        seid = str(eid)
        self.t["episode"].add(
            seid, euuid, number, str(person.id), org, status, channel, clock(req),
            clock(admitted) if admitted else NULL, clock(left) if left else NULL, closed, byid,
            "t" if len(recent) >= 2 else "f", "t" if person.flags[7] else "f", clock(req), clock(last[0]))
        write(req, "create", f'people.Episode\t{euuid}\t{puuid}\t求助登记 {number}\t{{"number": [null, "{number}"], '
              f'"channel": [null, "{channel}"], "status": [null, "requested"]}}')
        trans = self.t["transition"]
        for at, frm, to, note in transitions:
            trans.add(str(self._id("transition")), seid, frm, to, clock(at), byid, note)
            if frm:
                write(at, "transition", f'people.Episode\t{euuid}\t{puuid}\t{number}：{LABELS[frm]} → {LABELS[to]}\t'
                                        f'{{"status": ["{frm}", "{to}"]}}')
        # intake record (rules N1, N2, N12)
        reason = REASONS[rng.randrange(len(REASONS))]
        refused = status == "refused"
        at_intake = clock(req + 60)
        iuuid = _uuid(rng)
        decision = "not_eligible" if refused else "eligible"
        write(req + 60, "create", f'intake.IntakeRecord\t{iuuid}\t{puuid}\t求助登记 {number}（{CHANNEL_LABELS[channel]}）\t'
                                  f'{{"reason": [null, "{reason}"], "decision": [null, "{decision}"]}}')
        self.t["intake"].add(
            str(self._id("intake")), iuuid, seid, reason, REASON_LABELS[reason],
            "t" if reason == "vagrancy" else "f", "not_eligible" if refused else "eligible",
            f'{{"name": "{person.name}", "sex": "{person.sex}", "file_no": "{person.file_no}", '
            f'"birth_year_est": {person.birth_year}}}', byid, at_intake, at_intake)
        if admitted:
            stamp = clock(admitted)
            suuid = _uuid(rng)
            self.t["safety"].add(str(self._id("safety")), suuid, seid, stamp, byid, stamp, stamp)
            write(admitted, "create", f'intake.SafetyCheck\t{suuid}\t{puuid}\t安全检查 {number}：未发现危险物品\t'
                                      '{"result": [null, "clear"]}')
            self.t["health"].add(str(self._id("health")), _uuid(rng), seid, stamp, byid, stamp, stamp)
        # beds, hospital, outside care
        for start, stop, in_bed in plan["stretches"]:
            if start > now:
                continue
            open_ = stop > now
            begun = clock(start)
            ended = NULL if open_ else clock(stop)
            if in_bed:
                bed = self._bed(st, self._zone(person, req), open_)
                buuid = _uuid(rng)
                write(start, "create", f'stay.BedAssignment\t{buuid}\t{puuid}\t安排床位 {number}\t{{"bed": [null, {bed}]}}')
                self.t["bedassign"].add(str(self._id("bedassign")), buuid, seid, str(bed), begun, ended, byid,
                                        NULL if open_ else byid, "" if person.sex else "男", begun,
                                        begun if open_ else ended)
            else:
                kind = "hospital" if in_bed is None else "outside_care"
                where = st.hospital_id if kind == "hospital" else st.care_id
                puid = _uuid(rng)
                write(start, "create", f'stay.Placement\t{puid}\t{puuid}\t{"送医" if kind == "hospital" else "站外托养"} '
                                       f'{number}\t{{"kind": [null, "{kind}"]}}')
                self.t["placement"].add(str(self._id("placement")), puid, seid, kind, str(where), begun, ended,
                                        "" if kind == "hospital" else f"TY-{year}-{st.code}", byid,
                                        NULL if open_ else byid, begun, begun if open_ else ended)
        if status == "left":
            exit_type = plan["exit"]
            stamp = clock(left)
            duuid = _uuid(rng)
            write(left, "create", f'leaving.Departure\t{duuid}\t{puuid}\t离站登记 {number}（{EXIT_LABELS[exit_type]}）\t'
                                  f'{{"exit_type": [null, "{exit_type}"]}}')
            self.t["departure"].add(
                str(self._id("departure")), duuid, seid, exit_type, stamp, byid,
                "户籍地" if exit_type.startswith("home") else "",
                f"G{eid % 10_000:04d}" if exit_type == "home_ticket" else "",
                "train" if exit_type == "home_ticket" else "", "亲属" if exit_type == "family" else "",
                "子女" if exit_type == "family" else "", "接收人" if exit_type == "transfer" else "",
                "t" if exit_type == "self" else "f", "本人要求离站" if exit_type in ("self", "no_formalities") else "",
                stamp, stamp)
        elif status in ("refused", "terminated"):
            kind = "refusal" if refused else "termination"
            stamp = clock(last[0])
            nid = self._id("notice")
            nuuid = _uuid(rng)
            notice_no = f"{st.code}-{kind[0].upper()}{year}-{nid:07d}"
            self.t["notice"].add(str(nid), nuuid, seid, kind, notice_no, "not_eligible" if refused else "false_info",
                                 stamp, byid, stamp, stamp)
            write(last[0], "create", f'intake.Notice\t{nuuid}\t{puuid}\t出具{"不予救助" if refused else "终止救助"}通知书 '
                                     f'{notice_no}\t{{"kind": [null, "{kind}"]}}')
        if identified_at and new:
            stamp = clock(identified_at)
            method = METHODS[rng.randrange(len(METHODS))]
            uid = _uuid(rng)
            self.t["ident"].add(str(self._id("ident")), uid, str(person.id), seid, org, method, person.name,
                                person.provisional, person.masked, *person.hukou, stamp, byid, stamp, stamp)
            write(identified_at, "create", f'tracing.Identification\t{uid}\t{puuid}\t身份确认 {person.name}'
                                           f'（{METHOD_LABELS[method]}）\t{{"method": [null, "{method}"]}}')
        # reads: the file page (view) and the episode page (read), by the station's staff, now and then by a
        # supervisor above or the province (so "who looked at this file" has several kinds of readers)
        end = left or (last[0] if status == "refused" else now)
        span = max(1, min(end + 7 * DAY, now) - req)
        readers, province = self.readers[si] or staff, self.province_readers or staff
        view = f"people.Person\t{puuid}\t{puuid}\t查阅人员档案 {person.file_no}（页面）\t{{}}"
        read = (f"/people/episodes/<uuid:uuid>/\t{euuid}\t{puuid}\t查阅救助过程\t"
                f'{{"path": "/people/episodes/{euuid}/", "count": 0}}')
        for _ in range(int(self.reads + rng.random())):
            roll = rng.random()
            who = (readers[int(roll * 1000) % len(readers)] if roll < 0.12 else
                   province[int(roll * 1000) % len(province)] if roll < 0.14 else staff[int(roll * 1000) % len(staff)])
            audit.append((req + int(rng.random() * span), f"{who[0]}\t{who[1]}\t{org}\t" + (
                "view\t" + view if roll < 0.57 else "read\t" + read) + f"\t{st.ip}{10 + int(who[0]) % 200}"))
        # list reads: a page of 50 files (the page's ids change as new files arrive)
        self.recent.append(puuid)
        if len(self.recent) >= 50:
            self.list_ids = json.dumps(self.recent)
            self.recent = []
        for _ in range(int(self.list_reads + rng.random())):
            who = staff[rng.randrange(len(staff))]
            page = LIST_PAGES[rng.randrange(3)]
            audit.append((req + rng.randrange(min(DAY, now - req)), f"{who[0]}\t{who[1]}\t{org}\tread\t{page}\t\t\\N\t"
                          f'查阅{page}（10001 条）\t{{"path": "{page}", "count": 10001, "ids": {self.list_ids}}}'
                          f"\t{st.ip}{10 + int(who[0]) % 200}"))

    def _plan(self, req: int, person: Person, new: bool) -> dict:
        """The episode's whole story with increasing times (not yet cut at now)."""
        rng = self.rng
        tr = [(req, "", "requested", "求助登记")]
        stretches: list[tuple[int, int, object]] = []  # (start, end, True = bed / None = hospital / False = care)
        plan = {"transitions": tr, "stretches": stretches, "exit": "", "identified_at": None}
        r = rng.random()
        if r < 0.05:  # rule N3: refused
            tr.append((req + rng.randrange(1200, 4 * HOUR), "requested", "refused", "不予救助"))
            return plan
        ta = req + rng.randrange(600, 3 * HOUR)
        long_stay = rng.random() < (0.05 if not person.identified else 0.01)
        if long_stay:
            stay = rng.randrange(60 * DAY, 900 * DAY)
        else:
            x = rng.random()
            stay = rng.randrange(HOUR * 12, 4 * DAY) if x < 0.7 else (
                rng.randrange(4 * DAY, 20 * DAY) if x < 0.95 else rng.randrange(20 * DAY, 60 * DAY))
        if r < 0.09:  # rule I3: emergency care first, then the station
            t = ta + rng.randrange(DAY, 10 * DAY)
            tr.append((ta, "requested", "in_hospital", "初步检视：送医"))
            stretches.append((ta, t, None))
            tr.append((t, "in_hospital", "in_station", "出院返站，安排床位"))
        else:
            tr.append((ta, "requested", "admitted", "办理入站"))
            if r < 0.10:  # left the same day without a bed
                tr.append((ta + rng.randrange(HOUR, 12 * HOUR), "admitted", "left", "离站登记"))
                plan["exit"] = "self"
                return plan
            t = ta + rng.randrange(300, HOUR)
            tr.append((t, "admitted", "in_station", "安排床位"))
        state = "in_station"
        end = t + stay
        if rng.random() < 0.05:  # a stay in hospital in the middle
            h0 = t + int(stay * rng.uniform(0.2, 0.6))
            h1 = h0 + rng.randrange(2 * DAY, 15 * DAY)
            stretches.append((t, h0, True))
            tr.append((h0, "in_station", "in_hospital", "送医"))
            stretches.append((h0, h1, None))
            tr.append((h1, "in_hospital", "in_station", "出院返站"))
            end += h1 - h0
            t = h1
        if long_stay and rng.random() < 0.6:  # rule C4: long stays go to outside care
            o0 = t + rng.randrange(3 * DAY, 30 * DAY)
            end = max(end, o0 + DAY)
            stretches.append((t, o0, True))
            tr.append((o0, "in_station", "outside_care", "站外托养"))
            stretches.append((o0, end, False))
            state = "outside_care"
        else:
            stretches.append((t, end, True))
        if rng.random() < 0.02:
            tr.append((end, state, "terminated", "终止救助"))
        else:
            tr.append((end, state, "left", "离站登记"))
            plan["exit"] = _pick(rng, self.exits)
        if new and person.found_in_stay:  # identified during this (first) stay
            plan["identified_at"] = ta + int((end - ta) * rng.uniform(0.1, 0.9))
        return plan

    def _zone(self, person: Person, req: int) -> str:
        age = int(self.clock(req)[:4]) - person.birth_year
        if age < 18:
            return "minors"
        if age >= 60:
            return "elderly"
        return "women" if person.sex == "女" else "men"

    def _bed(self, st: Station, zone: str, open_: bool) -> int:
        beds = st.beds[zone]
        if not open_:
            return beds[self.rng.randrange(len(beds))]
        for bed in beds:
            if bed not in st.open_beds:
                st.open_beds.add(bed)
                return bed
        bed = self._id("bed")  # a full zone gets one more bed (one person per bed)
        stamp = self.clock(self.now - DAY)
        self.t["bed"].add(str(bed), _uuid(self.rng), str(st.zones[zone]), f"X{bed}", stamp, stamp)
        beds.append(bed)
        st.open_beds.add(bed)
        return bed

    # -- people ----------------------------------------------------------------------------------------------
    def _new_person(self, si: int, req: int) -> Person:
        """A new file's fixed facts: sex, birth (from the ID number when one will be on file), groups."""
        rng = self.rng
        sex = "男" if rng.random() < 0.78 else "女"
        identified = rng.random() < 0.72
        person = Person(id=self._id("person"), uuid=_uuid(rng), sex=sex, birth_year=rng.randrange(1946, 2012),
                        identified=identified, found_in_stay=identified and rng.random() < 0.35, flags=(),
                        station=si, stations={si})
        if identified and rng.random() < self.id_share:
            person.number, person.birth_date, person.hukou = self._id_number(sex)
            person.birth_year = int(person.birth_date[:4])
        age = int(self.clock(req)[:4]) - person.birth_year
        flags = [age < 18, age >= 60] + [rng.random() < (0.08 if k in (3, 4) else 0.03) for k in range(2, 8)]
        flags[6] = flags[6] and sex == "女" and 18 <= age < 50
        person.flags = tuple(flags)
        self.stats.people += 1
        return person

    def _id_number(self, sex: str) -> tuple[str, str, tuple]:
        """A valid, unused ID number of a home county: the county's n-th number under a fixed permutation of
        (birth day, sequence), so no set of issued numbers is kept. Sex agrees with the sequence's parity."""
        rng = self.rng
        province = _pick(rng, self.home_table)
        counties = self.counties[province]
        county = counties[rng.randrange(len(counties))]
        k = self.id_counter.get(county, self.offset)  # parallel fillers take every stride-th number
        self.id_counter[county] = k + self.stride
        mixed = (k * 2_654_435_761 + 12_345) % self.id_space
        day, half = mixed % self.birth_days, mixed // self.birth_days
        birth = datetime.date(1946, 1, 1) + datetime.timedelta(days=day)
        seq = half * 2 + (1 if sex == "男" else 0)
        first17 = f"{county}{birth:%Y%m%d}{seq:03d}"
        division_id, text = self.w.hukou[county]
        return first17 + self.checksum(first17), birth.isoformat(), (str(division_id), text)

    def _write_person(self, person: Person, si: int, req: int, identified_at, head: str, tail: str) -> None:
        """The file as it stands now: identified at the door, identified during the stay (if that already
        happened), or still under its provisional name (rule: 无名氏-站-年-序号)."""
        rng = self.rng
        st = self.w.stations[si]
        clock = self.clock
        year = int(clock(req)[:4])
        key = (si, year)
        seq = self.provisional[key] = self.provisional.get(key, 0) + 1
        person.provisional = f"无名氏-{st.short}-{year}-{seq:03d}"
        person.file_no = f"{st.code}-{year}-{person.id:08d}"
        known = person.identified and (not person.found_in_stay or identified_at is not None)
        enc = hsh = masked = ""
        hukou_id, hukou_text = NULL, ""
        if known:
            chars = MALE_CHARS if person.sex == "男" else FEMALE_CHARS
            name = SURNAMES[rng.randrange(len(SURNAMES))] + chars[rng.randrange(len(chars))] + (
                chars[rng.randrange(len(chars))] if rng.random() < 0.7 else "")
            status = "identified"
            if person.number:
                enc, hsh, masked = (self.encrypt_id(person.number), self.hash_id(person.number),
                                    self.mask_id(person.number))
                hukou_id, hukou_text = person.hukou
        else:
            name = person.provisional
            status = "pending" if rng.random() < 0.03 else "unidentified"
        person.name, person.masked = name, masked
        cache_key = name if known else st.short  # a provisional name's pinyin is its station's
        pinyin = self.pinyin_cache.get(cache_key)
        if pinyin is None:
            pinyin = self.pinyin_cache[cache_key] = self._pinyin(name)
        flat, grams = self._search_columns(name, "", pinyin[0])
        self.t["person"].add(
            str(person.id), person.uuid, person.file_no, name, "f" if known else "t", pinyin[0], pinyin[1],
            flat, grams, person.sex, person.birth_date if known and person.birth_date else NULL, str(person.birth_year),
            NULL if known else str(max(0, year - person.birth_year - 5)), NULL if known else str(year - person.birth_year + 5),
            enc, hsh, masked, hukou_id, hukou_text, str(150 + rng.randrange(35)),
            *("t" if f else "f" for f in person.flags), status, str(st.id), str(st.id), clock(req),
            clock(identified_at or req))
        self.t["ps"].add(str(self._id("ps")), str(person.id), str(st.id), clock(req))
        first = person.provisional if person.found_in_stay or not known else name
        self.audit.append((req, f'{head}create\tpeople.Person\t{person.uuid}\t{person.uuid}\t建立人员档案 {person.file_no} '
                                f'{first}\t{{"name": [null, "{first}"], "sex": [null, "{person.sex}"], '
                                f'"file_no": [null, "{person.file_no}"]}}{tail}'))
        if identified_at:
            self.audit.append((identified_at, f'{head}update\tpeople.Person\t{person.uuid}\t{person.uuid}\t修改人员档案 '
                                              f'{person.file_no}\t{{"name": ["{person.provisional}", "{name}"], '
                                              f'"identity_status": ["unidentified", "identified"]}}{tail}'))


def _first(pair):
    return pair[0]


def _cumsum(values):
    total = 0
    for v in values:
        total += v
        yield total


# --- the database around the fill: move table, secondary indexes and constraints, sequences ---------------------


def start_ids(cursor) -> dict[str, int]:
    """The highest id of each table the fill writes (the fill continues after them)."""
    from django.apps import apps

    bases = {}
    for label in (*BIG_MODELS, "stay.Bed"):
        table = apps.get_model(label)._meta.db_table
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
        bases[table] = cursor.fetchone()[0]
    return bases


def partition(stations: list[Station], parts: int) -> list[list[int]]:
    """Stations in ``parts`` groups of about equal weight (heaviest first into the lightest group)."""
    groups: list[list[int]] = [[] for _ in range(parts)]
    loads = [0.0] * parts
    for i in sorted(range(len(stations)), key=lambda i: (-stations[i].weight, i)):
        g = loads.index(min(loads))
        groups[g].append(i)
        loads[g] += stations[i].weight
    return [sorted(g) for g in groups]


def fill_parallel(world: World, *, count: int, workers: int, now: datetime.datetime, log, **options) -> FillStats:
    """``workers`` processes, each filling its group of stations (people return within their group) with
    interleaved ids; each has its own connection and commits per chunk. One worker runs in this process."""
    import multiprocessing

    from django.db import connection, connections

    with connection.cursor() as cursor:
        bases = start_ids(cursor)
    groups = partition(world.stations, workers)
    total = sum(s.weight for s in world.stations)
    shares = [round(count * sum(world.stations[i].weight for i in g) / total) for g in groups]
    shares[-1] = count - sum(shares[:-1])
    if workers == 1:
        return Filler(world, connection=connection, now=now, bases=bases, log=log, **options).fill(count)
    connections.close_all()  # no connection may cross the fork
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(world, groups[p], p, workers, shares[p], bases, now, options, queue, log))
             for p in range(workers)]
    t0 = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    errors = [r[2] for r in results if r[0] == "error"]
    if errors:
        raise RuntimeError("a fill worker failed:\n" + "\n".join(errors))
    stats = FillStats(seconds=time.perf_counter() - t0)
    for _, _, part in results:
        stats.episodes += part.episodes
        stats.people += part.people
        for table, n in part.rows.items():
            stats.rows[table] = stats.rows.get(table, 0) + n
    return stats


def _worker(world, group, p, stride, count, bases, now, options, queue, log) -> None:
    import traceback

    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
        filler = Filler(world, connection=connection, now=now, stations=group, stride=stride, offset=p, bases=bases,
                        log=lambda message: log(f"[worker {p}]{message}"), **options)
        queue.put(("ok", p, filler.fill(count)))
    except Exception:  # noqa: BLE001 — reported to the parent, which stops the fill
        queue.put(("error", p, traceback.format_exc()))
    finally:
        connection.close()


def big_tables() -> list[str]:
    from django.apps import apps

    return [apps.get_model(label)._meta.db_table for label in BIG_MODELS]


def prepare(cursor) -> None:
    """A work table for the files whose current station changes when a person comes back elsewhere; the audit
    chain head's per-row trigger off while the bench rows are copied (:func:`finish` sets the head once)."""
    from core.auditchain import set_head_trigger

    cursor.execute("CREATE TABLE IF NOT EXISTS bench_person_move (person_id bigint, station_id bigint, at timestamptz)")
    set_head_trigger(cursor, enabled=False)


def finish(cursor, *, tables: list[str] | None = None) -> None:
    """After the last chunk: each moved file's current station is its latest episode's; sequences continue
    after the bench rows so the application's own inserts get fresh ids."""
    cursor.execute("""
        UPDATE people_person p SET current_station_id = m.station_id
        FROM (SELECT DISTINCT ON (person_id) person_id, station_id FROM bench_person_move
              ORDER BY person_id, at DESC) m
        WHERE p.id = m.person_id""")
    cursor.execute("DROP TABLE bench_person_move")
    for table in [*(tables or big_tables()), "stay_bed", "core_auditentry"]:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"greatest((SELECT max(id) FROM {table}), 1))")
    from core.auditchain import set_head_trigger

    set_head_trigger(cursor, enabled=True)


def drop_secondary(cursor, tables: list[str]) -> list[str]:
    """Drop the foreign keys, unique constraints and indexes of ``tables`` (primary keys and CHECK constraints
    stay: the checks vet every row as it arrives). Returns the statements that put them back, in order, and
    keeps them in ``bench_province_restore`` so an interrupted fill can still be repaired (:func:`restore`)."""
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_province_restore (seq serial PRIMARY KEY, stmt text NOT NULL)")
    cursor.execute("""
        SELECT c.conrelid::regclass::text, quote_ident(c.conname), c.contype, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u')
        ORDER BY c.contype DESC, 1, 2""", [tables])
    constraints = cursor.fetchall()
    cursor.execute("""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                          WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
        ORDER BY 1""", [tables])
    indexes = cursor.fetchall()
    uniques = [(t, n, d) for t, n, kind, d in constraints if kind == "u"]
    foreign = [(t, n, d) for t, n, kind, d in constraints if kind == "f"]
    statements = ([f"ALTER TABLE {t} ADD CONSTRAINT {n} {d}" for t, n, d in uniques]
                  + [d.replace(" ON ONLY ", " ON ") for _, d in indexes]
                  + [f"ALTER TABLE {t} ADD CONSTRAINT {n} {d}" for t, n, d in foreign])
    for statement in statements:
        cursor.execute("INSERT INTO bench_province_restore (stmt) VALUES (%s)", [statement])
    for t, n, _ in foreign + uniques:
        cursor.execute(f"ALTER TABLE {t} DROP CONSTRAINT {n}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return statements


def restore(cursor, log=None) -> list[tuple[str, float]]:
    """Put back what :func:`drop_secondary` dropped (unique constraints and indexes, then foreign keys — which
    validates every reference once); returns (statement, seconds)."""
    cursor.execute("SELECT to_regclass('bench_province_restore')")
    if cursor.fetchone()[0] is None:
        return []
    cursor.execute("SELECT seq, stmt FROM bench_province_restore ORDER BY seq")
    done = []
    for seq, statement in cursor.fetchall():
        t0 = time.perf_counter()
        cursor.execute(statement)
        cursor.execute("DELETE FROM bench_province_restore WHERE seq = %s", [seq])
        done.append((statement, time.perf_counter() - t0))
        if log:
            log(f"  {time.perf_counter() - t0:6.1f} s  {statement[:110]}")
    cursor.execute("DROP TABLE bench_province_restore")
    return done
