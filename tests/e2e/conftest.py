"""Browser tests: Playwright driving Debian's /usr/bin/chromium (never `playwright install`)."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls in fixtures are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("GUITU_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("GUITU_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (make sysdeps)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-gpu", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
            "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def login(live_server):
    def do_login(page, username: str, password: str):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    return do_login



#: Reference data that data migrations load; browser tests commit for real and are flushed afterwards.
MIGRATION_DATA = ("core.Division", "deadlines.HolidayCalendar", "dailycare.BasicService")


_SAVED: dict[str, str] = {}


@pytest.fixture(scope="session")
def _migration_data(django_db_setup, django_db_blocker) -> str:
    """The divisions and the statutory calendar, taken once before any browser test changes them."""
    from django.apps import apps
    from django.core import serializers

    with django_db_blocker.unblock():
        objects = [obj for label in MIGRATION_DATA for obj in apps.get_model(label).objects.order_by("pk")]
        _SAVED["data"] = serializers.serialize("json", objects)
        return _SAVED["data"]


def _reload(data: str) -> None:
    from django.core import serializers

    from core.models import Division

    if not Division.objects.exists():
        for item in serializers.deserialize("json", data):
            item.save()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a browser test's flush, the reference data is back before any other kind of test runs on this
    worker: the tests that follow (in whatever order xdist hands them out) rely on the divisions that the
    migrations loaded."""
    yield
    if item.get_closest_marker("e2e") is None or "data" not in _SAVED:
        return
    if nextitem is not None and nextitem.get_closest_marker("e2e") is not None:
        return  # the next browser test restores them itself
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        _reload(_SAVED["data"])


@pytest.fixture(autouse=True)
def _restore_migration_data(_migration_data, transactional_db):
    """Bring the reference data back after an earlier browser test's flush.

    (Django's serialized_rollback is not used: Playwright's event loop gives the test a different
    connection object from the one the serialized copy was stored on.)
    """
    _reload(_migration_data)
