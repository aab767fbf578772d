import pytest


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Photos and clue photos go to a throwaway MEDIA_ROOT, never the checkout's var/private.
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
