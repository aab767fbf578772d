"""Outreach in the every-URL test world: a hot spot, a sighting taken by the station (with a photo), a campaign
with a weather alert, a patrol covering the hot spot with an encounter."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from core.models import Division
from outreach import services

SIGHTING_PLACE = "世界发现地点桥洞"


def _png():
    buf = io.BytesIO()
    Image.new("RGB", (40, 50), (10, 90, 60)).save(buf, "PNG")
    return SimpleUploadedFile("s.png", buf.getvalue(), content_type="image/png")


def extend_world(cast, ctx) -> dict:
    by, head = cast.reception, cast.head
    spot = services.hot_spot_save(
        by=head,
        organisation=cast.station,
        data={"county": Division.objects.get(code="441881"), "kind": "bridge", "name": "世界大桥桥洞"},
    )
    services.sighting_create(
        by=by,
        station=cast.station,
        source="110",
        photo=_png(),
        data={"place": SIGHTING_PLACE, "description": "世界发现描述"},
    )
    year = timezone.localdate().year - 1  # last winter: campaigns and alerts may lie in the past
    campaign = services.campaign_create(
        by=head,
        organisation=cast.station,
        kind="winter",
        starts_on=datetime.date(year, 12, 1),
        ends_on=datetime.date(year + 1, 1, 31),
    )
    services.weather_alert_issue(
        by=head,
        campaign=campaign,
        weather="世界寒潮预警",
        issued_at=datetime.datetime(year, 12, 15, 9, tzinfo=timezone.get_current_timezone()),
    )
    patrol = services.patrol_record(
        by=by, organisation=cast.station, data={"team": "世界巡查组"}, hot_spots=[spot]
    )
    services.encounter_record(
        by=by,
        patrol=patrol,
        data={"place": "世界桥下", "description": "世界巡查发现", "group": "able", "outcome": "guided"},
    )
    return {
        "secrets": [SIGHTING_PLACE, "世界发现描述", "世界巡查发现"],
    }
