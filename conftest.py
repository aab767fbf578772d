"""Shared pytest fixtures: the fixed cast of organisations and users (STYLE habit 5)."""

import pytest


def pytest_configure(config):
    # Tasks run inline in tests (huey's immediate mode: same code path, in-memory storage).
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True


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
