"""Settlement objects for the every-URL scoping test (tests/world.py): cases in several steps at the county
station (applied early with a recorded exception, since the world's people arrived 12 days ago)."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from deadlines.tests.conftest import admit
from settlement import services
from settlement.models import PlacementKind
from settlement.tests.helpers import make_facility


def _doc() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 40), (10, 90, 10)).save(buf, "PNG")
    return SimpleUploadedFile("doc.png", buf.getvalue(), content_type="image/png")


def extend_world(cast, ctx):
    today = timezone.localdate()
    services.settlement_apply(by=cast.head, episode=ctx.staying, document=_doc(),
                              exception_reason="重度精神障碍，需尽快长期照护", situation="安置世界甲")
    placed_ep = admit(cast, timezone.now() - datetime.timedelta(days=20), name="安置世界乙")
    placed = services.settlement_apply(by=cast.head, episode=placed_ep, document=_doc(),
                                       exception_reason="年老体弱，需长期照护")
    services.settlement_plan_submit(by=cast.county_supervisor, case=placed, on=today, government="英德市人民政府",
                                    plan_summary="安置到福利院", document=_doc())
    services.settlement_decide(by=cast.county_supervisor, case=placed, approved=True, on=today,
                               approval_ref="英府复〔2026〕1号", document=_doc())
    services.settlement_place(by=cast.head, case=placed, kind=PlacementKind.SETTLED, institution=make_facility(),
                              police=cast.police, receiver="李院长", document=_doc())
    return {
        "secrets": ["安置世界甲", "安置世界乙"],
        # The department's steps (plan, decision) and the police's (户口, cancellation) are not the station's:
        # the world's owner (a station user) gets 403 there; settlement/tests/test_views.py checks them with the
        # department, the police and an outsider.
        "routes_without_fixture": {"/settlement/<uuid:uuid>/plan/", "/settlement/<uuid:uuid>/decide/",
                                   "/settlement/<uuid:uuid>/hukou/", "/settlement/<uuid:uuid>/cancel-hukou/"},
    }
