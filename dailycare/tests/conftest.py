import pytest


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # ID copies of departures in these tests are written under a throwaway MEDIA_ROOT.
    settings.MEDIA_ROOT = tmp_path
