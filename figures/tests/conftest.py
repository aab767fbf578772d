import pytest


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _no_cached_figures():
    """Page figures are cached until the next refresh (selectors._cached): no test sees another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def quarter(cast):
    """The hand-counted 2025 Q1 (figures/tests/fixture.py), with the summary tables refreshed."""
    from figures.models import RefreshTrigger
    from figures.refresh import refresh
    from figures.tests.fixture import build_quarter

    made = build_quarter(cast)
    refresh(trigger=RefreshTrigger.COMMAND, full=True)
    return made


@pytest.fixture
def statistician(cast):
    from core.models import Role, User, UserRole

    user = User.objects.create_user(username="stat_city", password=cast.password, organisation=cast.city_dept)
    UserRole.objects.create(user=user, role=Role.STATISTICIAN)
    return user
