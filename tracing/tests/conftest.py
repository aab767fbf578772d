import pytest


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Photos and attachments are written under a throwaway MEDIA_ROOT, never the checkout's var/private.
    settings.MEDIA_ROOT = tmp_path
