import pytest


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Documents are written under a throwaway MEDIA_ROOT, never the checkout's var/private.
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def facility(db):
    from settlement.tests.helpers import make_facility

    return make_facility()
