import io

import pytest
from PIL import Image

from people.services import episode_open, episode_transition, person_create

VALID_ID = "11010519491231002X"  # GB 11643 sample: female, born 1949-12-31


def png_bytes(size=(8, 8), fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(buf, format=fmt)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def person(cast):
    return person_create(by=cast.reception, station=cast.station, data={"name": "张三", "sex": "女"},
                         id_number=VALID_ID)


@pytest.fixture
def episode(cast, person):
    ep = episode_open(by=cast.reception, person=person, station=cast.station, channel="walk_in")
    episode_transition(by=cast.reception, episode=ep, to="admitted")
    ep.refresh_from_db()
    return ep
