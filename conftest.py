"""Shared pytest fixtures: the fixed cast of organisations and users (STYLE habit 5)."""

import pytest


def pytest_configure(config):
    # Tasks run inline in tests (huey's immediate mode: same code path, in-memory storage).
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    if not hasattr(config, "workerinput"):  # pytest's main process: name the run before the workers start
        from core.testdb import start_run

        start_run()


def pytest_collection_modifyitems(config, items):
    """The order the parallel workers (`make test`: ``-n 2 --maxschedchunk 1``, one test handed out at a time)
    take the tests in, so that they finish together (docs/testing.md):

    - one test that needs the database, then the tests that need none: the first worker migrates the run's
      database (core/testdb.py) while the other runs those, and then copies it instead of migrating too;
    - then the longest (``@pytest.mark.heavy(seconds)``), so they are shared out at the start instead of one
      worker running a 40-second test alone at the end.
    """

    def order(item) -> tuple[bool, float]:
        uses_db = item.get_closest_marker("django_db") is not None or bool(
            {"db", "transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
        )
        mark = item.get_closest_marker("heavy")
        return uses_db, -(mark.args[0] if mark and mark.args else 1 if mark else 0)

    items.sort(key=order)  # stable: the rest keeps its collection order
    first_with_db = next((i for i, item in enumerate(items) if order(item)[0]), 0)
    items.insert(0, items.pop(first_with_db))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request):
    """In an xdist worker: migrate once per run and copy (core/testdb.py)."""
    if hasattr(request.config, "workerinput"):
        from django.db import connections

        from core.testdb import share_migrations

        share_migrations(connections["default"])


def pytest_sessionfinish(session):
    if hasattr(session.config, "workerinput"):
        return
    from django.db import connections
    from pytest_django.plugin import blocking_manager_key

    from core.testdb import end_run

    with session.config.stash[blocking_manager_key].unblock():
        end_run(connections["default"])


@pytest.fixture
def cast(db):
    from core.testing import make_cast

    return make_cast()


@pytest.fixture
def client_for(client):
    """``client_for(user)`` → a test client logged in as ``user``."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 costs ~0.5 s a user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    # Each test starts with an empty cache: cached counts are keyed on audit ids, which a rolled-back test's
    # database hands out again (SQLite), so a count kept by an earlier test could otherwise be read as current.
    from django.core.cache import cache

    cache.clear()
