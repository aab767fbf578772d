"""Settings for the test suite (pyproject's DJANGO_SETTINGS_MODULE): production settings plus

- this machine's random test keys (var/dev-keys.json, never a published string; guitu/keys.py);
- the session rules that would get in the way of unrelated tests switched off — second factor,
  idle timeout, password expiry. Their own tests (core/tests/test_identification.py) switch each on.
"""

import os

os.environ.setdefault("GUITU_DEV_KEYS", "1")
# The test client and the browser tests' live server speak plain http.
os.environ.setdefault("GUITU_HTTPS", "0")

import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from guitu.settings import *  # noqa: E402,F403
from guitu.settings import DATABASES  # noqa: E402

GUITU_OTP_ENFORCED = False
# The retention purge's exports go to a directory of this run, not into the checkout's var/.
GUITU_AUDIT_ARCHIVE_DIR = Path(tempfile.mkdtemp(prefix="guitu-audit-archive-"))
GUITU_IDLE_TIMEOUT_MINUTES = 0
GUITU_PASSWORD_MAX_AGE_DAYS = 0

# A second database standing in for a read replica (core/tests/test_dbrouting.py): created only for the tests
# that ask for it (pytest-django sets up the databases its collected tests use), without migrations — tables
# from the models — and switched on per test with GUITU_REPORTING_DATABASE="replica".
if "replica" not in DATABASES:
    DATABASES["replica"] = {
        **DATABASES["default"],
        "TEST": {
            "NAME": (DATABASES["default"].get("TEST", {}).get("NAME") + "_replica")
            if DATABASES["default"]["ENGINE"].endswith("postgresql") else None,
            "MIGRATE": False,
        },
    }
