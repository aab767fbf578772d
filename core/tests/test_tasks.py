"""The task queue is real: huey runs our tasks (immediately in tests)."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from core.tasks import clear_expired_sessions

pytestmark = pytest.mark.django_db


def test_huey_runs_in_immediate_mode_in_tests():
    assert HUEY.immediate


def test_the_nightly_job_clears_expired_sessions():
    Session.objects.create(session_key="old", session_data="x", expire_date=timezone.now() - datetime.timedelta(days=1))
    Session.objects.create(session_key="new", session_data="x", expire_date=timezone.now() + datetime.timedelta(days=1))
    clear_expired_sessions.call_local()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]
