"""Campaign objects for the every-URL scoping test: the city department's campaign with a declaration for the
county (with its document) and a submitted table, all seen by the county station's staff, never by 韶关."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from campaign import services
from core.models import Division


def extend_world(cast, ctx):
    today = timezone.localdate()
    campaign = services.campaign_create(
        by=cast.city_supervisor, department=cast.city_dept,
        data={"name": "世界专项行动", "starts_on": today - datetime.timedelta(days=60),
              "ends_on": today + datetime.timedelta(days=60)},
        reporting_dates=[(today - datetime.timedelta(days=1), "第一阶段")],
    )
    buf = io.BytesIO()
    Image.new("RGB", (30, 40), (240, 240, 240)).save(buf, "PNG")
    services.declaration_create(
        by=cast.city_supervisor, campaign=campaign, division=Division.objects.get(code="441881"),
        data={"declared_on": today, "patrol_duties": True},
        document=SimpleUploadedFile("纪要.png", buf.getvalue(), content_type="image/png"),
    )
    services.submission_create(by=cast.county_supervisor, reporting_date=campaign.dates.get())
    # Department-only pages (configure, declare) and a department's submitted table: the world's owner is station
    # staff, who may read the campaign and its declarations but not these; campaign/tests/test_views.py proves
    # the outsider gets 404 on each.
    return {
        "routes_without_fixture": {"/campaign/<uuid:uuid>/edit/", "/campaign/<uuid:uuid>/declarations/new/",
                                   "/campaign/submissions/<uuid:uuid>/"},
        "api_paths_without_fixture": {"/api/v1/campaign/submissions/{submission_uuid}"},
    }
