"""Settings of the deadlines app, read from the environment (kept here so guitu/settings.py stays shared).

- ``GUITU_NOTIFY_SENDERS``: comma list of senders for new overdue items: ``console`` (default, the log),
  ``email`` (Django's e-mail backend, to the users' addresses), ``sms`` (an HTTP SMS gateway at
  ``GUITU_SMS_URL``), or a dotted path to a class with ``send(message: Message) -> None``.
- ``GUITU_DEADLINE_SCAN_MINUTES``: how often the periodic scan runs (default every 15 minutes).
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from guitu.env import env_int, env_list, env_str

KNOWN_SENDERS = {
    "console": "deadlines.senders.ConsoleSender",
    "email": "deadlines.senders.EmailSender",
    "sms": "deadlines.senders.SmsSender",
}


def sender_paths() -> list[str]:
    names = getattr(settings, "GUITU_NOTIFY_SENDERS", None) or env_list("GUITU_NOTIFY_SENDERS", ["console"])
    paths = []
    for name in names:
        path = KNOWN_SENDERS.get(name, name)
        if "." not in path:
            raise ImproperlyConfigured(f"GUITU_NOTIFY_SENDERS: unknown sender {name!r} (console, email, sms or a dotted path)")
        paths.append(path)
    return paths


def scan_minutes() -> int:
    value = env_int("GUITU_DEADLINE_SCAN_MINUTES", 15)
    if not 1 <= value <= 60:
        raise ImproperlyConfigured("GUITU_DEADLINE_SCAN_MINUTES must be between 1 and 60")
    return value


def sms_url() -> str:
    return env_str("GUITU_SMS_URL", "")
