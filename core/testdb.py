"""One migrated test database per test run, copied by each parallel worker (`make test`: ``pytest -n 2``).

Migrating an empty database costs about 25 s on SQLite and more on PostgreSQL, nearly all of it Django rendering
the models' states between ~100 migrations. Without this, every xdist worker migrated its own database at the
same time. Now the first worker that needs a database migrates it as before and leaves a copy (a file for
SQLite's in-memory database, a ``<test name>_template`` database for PostgreSQL); the other workers copy it —
under a second — and, while the first one migrates, run the tests that need no database (Spark, the key checks).
The copy is the migrated database itself, data migrations included; nothing is built from the models.

Only for xdist workers creating fresh databases; ``--reuse-db`` and single-process runs migrate as before.
"""

import fcntl
import os
import shutil
import sqlite3
import tempfile
import uuid
from pathlib import Path

RUN_VARIABLE = "GUITU_TEST_RUN"


def start_run() -> None:
    """In pytest's main process, before the workers start: name this run (the workers inherit the variable)."""
    os.environ.setdefault(RUN_VARIABLE, uuid.uuid4().hex[:12])


def _run_dir() -> Path:
    path = Path(tempfile.gettempdir()) / f"guitu-testdb-{os.environ[RUN_VARIABLE]}"
    path.mkdir(exist_ok=True)
    return path


def _template_name(test_name: str) -> str:
    base = test_name.rsplit("_gw", 1)[0]  # pytest-django's per-worker suffix
    return f"{base}_template_{os.environ[RUN_VARIABLE]}"


def share_migrations(connection) -> None:
    """Make ``connection``'s test database creation migrate once per run and copy afterwards."""
    if RUN_VARIABLE not in os.environ or connection.vendor not in ("sqlite", "postgresql"):
        return
    creation = connection.creation
    original = creation.create_test_db

    def create_test_db(verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        if keepdb:
            return original(verbosity, autoclobber, serialize, keepdb)
        run = _run_dir()
        with open(run / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # the second worker waits here while the first migrates
            if (run / "ready").exists():
                return _copy(connection, verbosity, autoclobber, serialize, run)
            name = original(verbosity, autoclobber, serialize, keepdb)
            _keep(connection, run)
            (run / "ready").touch()
            return name

    creation.create_test_db = create_test_db


def _keep(connection, run: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(run / "template.sqlite3")
        connection.connection.backup(target)
        target.close()
        return
    # CREATE DATABASE … TEMPLATE needs nobody connected to the source: this worker reconnects afterwards.
    connection.close()
    template = _template_name(connection.settings_dict["NAME"])
    with connection.creation._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(template)}")
        cursor.execute(
            f"CREATE DATABASE {connection.ops.quote_name(template)} "
            f"TEMPLATE {connection.ops.quote_name(connection.settings_dict['NAME'])}"
        )
    connection.ensure_connection()


def _copy(connection, verbosity, autoclobber, serialize, run: Path) -> str:
    """What ``create_test_db`` does, with a copy of the migrated database in place of ``migrate``."""
    from django.conf import settings
    from django.core.management import call_command

    creation = connection.creation
    name = creation._get_test_db_name()
    if connection.vendor == "postgresql":
        template = _template_name(name)
        with creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}")
            cursor.execute(
                f"CREATE DATABASE {connection.ops.quote_name(name)} TEMPLATE {connection.ops.quote_name(template)}"
            )
    else:
        creation._create_test_db(verbosity, autoclobber, False)
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        source = sqlite3.connect(run / "template.sqlite3")
        source.backup(connection.connection)
        source.close()
    if serialize:
        connection._test_serialized_contents = creation.serialize_db_to_string()
    call_command("createcachetable", database=connection.alias)
    return name


def end_run(connection) -> None:
    """In pytest's main process, after the workers have finished: drop the run's copy."""
    if RUN_VARIABLE not in os.environ:
        return
    run = Path(tempfile.gettempdir()) / f"guitu-testdb-{os.environ[RUN_VARIABLE]}"
    if run.exists() and connection.vendor == "postgresql":
        test_name = (
            connection.settings_dict.get("TEST", {}).get("NAME") or "test_" + connection.settings_dict["NAME"]
        )
        with connection.creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(_template_name(test_name))}")
    shutil.rmtree(run, ignore_errors=True)
