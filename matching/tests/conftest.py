import pytest


@pytest.fixture(autouse=True)
def _engine_sandbox(settings, tmp_path):
    """Each test gets its own engine directory and a cold in-memory cache; faces off (no dlib) unless asked."""
    from matching import engine

    settings.GUITU_MATCH_DIR = str(tmp_path / "matching")
    settings.GUITU_MATCH_FACES = False
    settings.MEDIA_ROOT = str(tmp_path / "media")
    engine.reset_cache()
    yield
    engine.reset_cache()
