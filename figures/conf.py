"""Settings of the figures app, read from the environment (kept here so guitu/settings.py stays shared).

- ``GUITU_FIGURES_REFRESH_MINUTES``: how often the summary tables are refreshed (default every 30 minutes;
  a full rebuild also runs nightly). The rule O4 due dates are in ``settings.GUITU_RULES``
  (``O4_STATION_REPORT_DAYS``, ``O4_DEPARTMENT_REPORT_DAYS``).
"""

from django.core.exceptions import ImproperlyConfigured

from guitu.env import env_int


def refresh_minutes() -> int:
    value = env_int("GUITU_FIGURES_REFRESH_MINUTES", 30)
    if not 1 <= value <= 60:
        raise ImproperlyConfigured("GUITU_FIGURES_REFRESH_MINUTES must be between 1 and 60")
    return value
