"""Database connection settings the application relies on."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_the_application_connections_run_postgresql_without_jit(db):
    """Issue 9: JIT compilation cost more than the queries it compiled in the province benchmark."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW plan_cache_mode")  # for the audit-log reads prepared by core.prepared
        assert cursor.fetchone()[0] == "force_generic_plan"


def _settings_with(env: dict) -> subprocess.CompletedProcess:
    code = ("import guitu.settings as s; import json; "
            "print(json.dumps([s.DATABASES.get('replica', {}).get('HOST'), s.GUITU_REPORTING_DATABASE, "
            "s.DATABASES.get('replica', {}).get('OPTIONS')]))")
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GUITU_REPLICA_DATABASE_URL")}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                          cwd=settings.BASE_DIR, timeout=60)


def test_i9_a_replica_url_configures_the_reporting_database():
    run = _settings_with({"DATABASE_URL": "postgres://guitu@primary/guitu",
                          "GUITU_REPLICA_DATABASE_URL": "postgres://guitu@replica/guitu"})
    assert run.returncode == 0, run.stderr
    host, alias, options = json.loads(run.stdout.strip().splitlines()[-1])
    assert (host, alias) == ("replica", "replica")
    # the same connection options as the primary
    assert options == {"options": "-c jit=off -c plan_cache_mode=force_generic_plan"}


def test_i9_without_a_replica_url_statistics_read_the_primary():
    run = _settings_with({"DATABASE_URL": "postgres://guitu@primary/guitu"})
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == [None, None, None]


@pytest.mark.parametrize("env", [
    {"GUITU_REPLICA_DATABASE_URL": "postgres://guitu@replica/guitu"},  # a replica of the SQLite file
    {"DATABASE_URL": "postgres://guitu@primary/guitu", "GUITU_REPLICA_DATABASE_URL": "sqlite:///copy.db"},
])
def test_i9_a_replica_must_be_postgresql_next_to_postgresql(env):
    run = _settings_with(env)
    assert run.returncode != 0 and "GUITU_REPLICA_DATABASE_URL" in run.stderr
