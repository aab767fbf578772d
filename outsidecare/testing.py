"""Helpers for tests of any app that places people in outside care (rule C5 needs an agreement)."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import Organisation, OrgKind

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "agreement.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def facility(name: str = "英德市福利院", code: str = "YDFLY", cast=None) -> Organisation:
    existing = Organisation.objects.filter(code=code).first()
    if existing:
        return existing
    from core.models import Division

    division = cast.station.division if cast is not None else Division.objects.get(code="441881")
    supervisor = cast.county_dept if cast is not None else None  # the department whose checklist applies there
    return Organisation.objects.create(name=name, code=code, kind=OrgKind.CARE_FACILITY, division=division,
                                       supervisor=supervisor)


def agreement(*, by, station, facility, capacity: int = 10, valid_from: datetime.date | None = None,
              valid_to: datetime.date | None = None, facility_type: str = "welfare", type_reason: str = ""):
    """A signed agreement in force from a year ago for a year ahead (through the service)."""
    from outsidecare.services import agreement_create

    today = timezone.localdate()
    return agreement_create(by=by, station=station, facility=facility, facility_type=facility_type,
                            type_reason=type_reason, signed_on=min(valid_from or today, today) - datetime.timedelta(days=1),
                            valid_from=valid_from or today - datetime.timedelta(days=365),
                            valid_to=valid_to or today + datetime.timedelta(days=365), capacity=capacity,
                            fee="1500.00", document=pdf())
