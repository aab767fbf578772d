"""Helpers for settlement tests: a welfare institution, documents, and a case walked to any step through
the services (each at its own moment, so dates and deadlines read true)."""

import datetime
import io

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from core.models import Division, Organisation, OrgKind
from deadlines.tests.conftest import admit, local
from settlement import services
from settlement.models import PlacementKind


def make_facility(name="清远市社会福利院", code="QYFLY") -> Organisation:
    org, _ = Organisation.objects.get_or_create(
        code=code, defaults={"name": name, "kind": OrgKind.CARE_FACILITY, "address": "清远市清城区福利路1号",
                             "division": Division.objects.get(code="441802")})
    return org


def doc(name="doc.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 50), (20, 90, 160)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def pdf(name="doc.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%test\n", content_type="application/pdf")


def at(moment, service, **kwargs):
    with time_machine.travel(moment, tick=False):
        return service(**kwargs)


ADMITTED = local(2026, 1, 5, 10)


def walk(cast, upto: str, *, admitted=ADMITTED, name="无名氏甲", facility=None):
    """Admit someone and walk a case to ``upto``: applied, plan, approved, placed, long_term, registered."""
    ep = admit(cast, admitted, name=name)
    applied = admitted + datetime.timedelta(days=100)
    case = at(applied, services.settlement_apply, by=cast.head, episode=ep, document=doc(),
              situation="滞留三个多月，多方寻亲未果")
    if upto == "applied":
        return case
    plan = applied + datetime.timedelta(days=10)
    case = at(plan, services.settlement_plan_submit, by=cast.county_supervisor, case=case,
              on=timezone.localtime(plan).date(), government="英德市人民政府",
              plan_summary="安置到市社会福利院，办理集体户口，纳入特困供养", document=pdf())
    if upto == "plan":
        return case
    approved = plan + datetime.timedelta(days=20)
    case = at(approved, services.settlement_decide, by=cast.county_supervisor, case=case, approved=True,
              on=timezone.localtime(approved).date(), approval_ref="英府复〔2026〕12号", document=pdf())
    if upto == "approved":
        return case
    placed = approved + datetime.timedelta(days=5)
    kind = PlacementKind.LONG_TERM if upto == "long_term" else PlacementKind.SETTLED
    case = at(placed, services.settlement_place, by=cast.head, case=case, kind=kind,
              institution=facility or make_facility(), police=cast.police, receiver="福利院李院长",
              placed_at=placed, reason="无法采集到有效身份信息，暂不能登记户口" if kind == PlacementKind.LONG_TERM else "",
              document=doc())
    if upto in ("placed", "long_term"):
        return case
    registered = placed + datetime.timedelta(days=15)
    return at(registered, services.settlement_register_hukou, by=cast.police_officer, case=case,
              on=timezone.localtime(registered).date(), number="441802202600123", document=doc())
