import pytest


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Inspection photos are written under a throwaway MEDIA_ROOT, never the checkout's var/private.
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def checklist(cast):
    from oversight.tests.world import make_checklist

    return make_checklist(cast)
