"""The demo city's settlement cases (issue 11, rules S1–S4, E1): people stranded for months with identity unknown
at the city station, each case walked to a different step through the services at its own moment — applied,
plan at the government, approved, placed in the welfare home awaiting 户口, registered with 特困供养 and
insurance, long-term placement without 户口 (S3), and one settled person identified later whose duplicate
户口 the police are still to cancel (S4).

Everything goes through the services (``demo._do`` travels in time), so the case pages, the deadline inbox
(S1, S1P, S1A, S1I, S4) and the campaign figures read true.
"""

from __future__ import annotations

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from core.models import Organisation, User
from intake import services as intake
from settlement import services as settlement
from settlement.models import PlacementKind, SettlementCase

D = datetime.timedelta(days=1)
ELIGIBLE = {"cannot_pay": True, "no_relatives": True, "not_on_subsistence": True, "living_by_vagrancy": True,
            "decision": "eligible", "reason": "no_work"}

#: (temporary name, sex, birth year, mental disorder, days since admission, the step the case reaches)
PEOPLE = (
    ("清远站无名氏男A", "男", 1968, False, 105, "applied"),
    ("清远站无名氏女B", "女", 1959, True, 130, "plan"),
    ("清远站无名氏男C", "男", 1955, False, 160, "approved"),
    ("清远站无名氏男D", "男", 1962, True, 200, "placed"),
    ("清远站无名氏女E", "女", 1950, False, 260, "registered"),
    ("清远站无名氏男F", "男", 1971, True, 230, "long_term"),
    ("清远站无名氏男G", "男", 1964, False, 300, "identified"),
)


def _day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _document(title: str) -> SimpleUploadedFile:
    """A small scanned-looking page with the document's title (a real image through core.images)."""
    image = Image.new("RGB", (420, 594), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 390, 564), outline=(60, 60, 60), width=2)
    draw.text((60, 60), title.encode("ascii", "ignore").decode() or "document", fill=(0, 0, 0))
    for y in range(120, 540, 24):
        draw.line((60, y, 360, y), fill=(180, 180, 180))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return SimpleUploadedFile(f"{title}.png", buf.getvalue(), content_type="image/png")


def _admit(do, station: Organisation, by: User, name: str, sex: str, year: int, mental: bool,
           at: datetime.datetime):
    ep = do(at, intake.intake_register, by=by, station=station, channel="walk_in", requested_at=at,
            person_data={"name": name, "sex": sex, "birth_date": datetime.date(year, 6, 1),
                         "has_mental_disorder": mental}, answers=ELIGIBLE)
    do(at, intake.safety_check_add, by=by, episode=ep)
    do(at, intake.health_check_add, by=by, episode=ep,
       data={"physical": "体弱", "mental": "言语不清" if mental else "清楚", "outcome": "admitted"})
    return do(at, intake.intake_admit, by=by, episode=ep, at=at)


def seed_settlement(orgs: dict[str, Organisation], staff: dict[str, User], now: datetime.datetime, *,
                    stdout=None) -> list[SettlementCase]:
    """Seven cases at the city station in seven steps; does nothing when the city station has cases."""
    from guitu.demo import _do

    station, facility, police = orgs["city"], orgs["care"], orgs["police"]
    if SettlementCase.objects.filter(station=station).exists():
        return []
    head, reception, supervisor, officer = (staff["zhanzhang"], staff["jiedai"], staff["jianguan"], staff["gongan"])
    cases = []
    for name, sex, year, mental, days, upto in PEOPLE:
        admitted = now - days * D
        ep = _admit(_do, station, reception, name, sex, year, mental, admitted)
        applied = admitted + 95 * D
        case = _do(applied, settlement.settlement_apply, by=head, episode=ep, document=_document("application"),
                   situation="入站后经公安核查、DNA比对、寻亲公告，滞留超过3个月仍身份不明。")
        if upto != "applied":
            plan = min(applied + 12 * D, now - 2 * D)
            case = _do(plan, settlement.settlement_plan_submit, by=supervisor, case=case, on=_day(plan),
                       government="清远市人民政府", plan_summary="安置到清远市福康托养中心，办理集体户口，纳入特困人员供养",
                       document=_document("plan"))
        if upto not in ("applied", "plan"):
            approved = min(applied + 30 * D, now - 2 * D)
            case = _do(approved, settlement.settlement_decide, by=supervisor, case=case, approved=True,
                       on=_day(approved), approval_ref=f"清府复〔{approved.year}〕{len(cases) + 11}号",
                       document=_document("approval"))
        if upto in ("placed", "registered", "long_term", "identified"):
            placed = min(applied + 40 * D, now - D)
            kind = PlacementKind.LONG_TERM if upto == "long_term" else PlacementKind.SETTLED
            case = _do(placed, settlement.settlement_place, by=head, case=case, kind=kind, institution=facility,
                       police=police, receiver="福康托养中心 刘院长", receiver_phone="0763-3336688", placed_at=placed,
                       reason="无法采集有效身份信息，暂不能登记户口，需长期照护" if kind == PlacementKind.LONG_TERM else "",
                       document=_document("handover"))
        if upto in ("registered", "identified"):
            registered = min(applied + 60 * D, now - D)
            case = _do(registered, settlement.settlement_register_hukou, by=officer, case=case, on=_day(registered),
                       number=f"4418022{registered.year}{len(cases):05d}", address=facility.address or "清远市福康托养中心集体户",
                       document=_document("hukou"))
            case = _do(registered + 3 * D, settlement.settlement_enrol, by=supervisor, case=case,
                       organisation=orgs["bureau"], tekun_on=_day(registered + 3 * D),
                       insurance_on=_day(registered + 3 * D), insurance_note="城乡居民基本医疗保险")
        if upto == "identified":
            from tracing import services as tracing

            _do(now - 5 * D, tracing.identity_confirm, by=staff["xunqin"], person=case.person, method="dna",
                evidence="DNA比对与亲属比中", name="黄建国")
            case.refresh_from_db()
            _do(now - 3 * D, settlement.settlement_return_home, by=head, case=case, on=_day(now - 3 * D),
                destination="广东省韶关市曲江区", note="由其弟接回")
        cases.append(case)
    if stdout:
        stdout.write(f"  落户安置：{len(cases)} 件（申请、报批、批准、安置、落户、长期安置、身份查明待注销户口）")
    return cases
