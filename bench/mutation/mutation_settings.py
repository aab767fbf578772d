"""Test settings for the mutation run: the suite's settings with the SQLite test database kept in a file, so
that pytest's ``--reuse-db`` builds it (all migrations, ~20 s here) once instead of once per mutant."""

import os

from guitu.settings_test import *  # noqa: F403

DATABASES["default"]["TEST"] = {"NAME": os.environ.get("GUITU_MUTATION_DB", "/tmp/guitu-mutation-test.sqlite3")}  # noqa: F405
