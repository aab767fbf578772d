"""Refuse to start with the wrong keys (issue 8, hole 6).

A wrong ``GUITU_ID_ENCRYPTION_KEY`` used to make every file answer "该档案没有登记身份证号"; a wrong
``GUITU_ID_HASH_KEY`` silently stops duplicate detection by ID number. So the database keeps a
fingerprint of each key (an HMAC of a fixed label under the key: it identifies the key and reveals
nothing about it). The first start records them — after checking that an ID number already in the
database decrypts — and every later start compares: a mismatch stops the web server (guitu/wsgi.py),
``migrate`` and ``check --database default`` (a system check), and the task worker, with a clear message.
"""

import hashlib
import hmac
import logging

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, transaction

logger = logging.getLogger("guitu.security")

_LABEL = b"guitu key fingerprint v1"
_verified = False


def fingerprint(key: str) -> str:
    return hmac.new(key.encode(), _LABEL, hashlib.sha256).hexdigest()[:32]


def current_fingerprints() -> dict[str, str]:
    return {
        "GUITU_ID_ENCRYPTION_KEY": fingerprint(settings.GUITU_ID_ENCRYPTION_KEY),
        "GUITU_ID_HASH_KEY": fingerprint(settings.GUITU_ID_HASH_KEY),
    }


def _sample_decrypts() -> bool:
    """True when no encrypted ID number is stored yet or one of them decrypts with the current key."""
    from cryptography.fernet import InvalidToken
    from django.apps import apps

    from core.crypto import cipher

    try:
        person_model = apps.get_model("people", "Person")
    except LookupError:
        return True
    token = person_model.objects.exclude(id_number_enc="").values_list("id_number_enc", flat=True).first()
    if not token:
        return True
    try:
        cipher().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def problems(using: str = "default") -> list[str]:
    """What is wrong with the configured keys for the database ``using`` (empty when all is well).

    Records the fingerprints on first use (fresh database, or one restored without them)."""
    from core.models import KeyFingerprint

    missing = list(getattr(settings, "GUITU_MISSING_KEYS", []))
    if missing:
        from guitu.keys import missing_keys_message

        return [missing_keys_message(missing)]
    found = []
    expected = current_fingerprints()
    stored = dict(KeyFingerprint.objects.using(using).values_list("name", "fingerprint"))
    for name, value in expected.items():
        if name in stored and stored[name] != value:
            found.append(
                f"{name} 与数据库中登记的密钥指纹不符：当前密钥不是加密这些数据时用的密钥。请恢复原密钥后再启动；"
                f"切勿在此状态下使用系统（身份证号无法解密、查重失效）。 / {name} does not match the key fingerprint "
                "stored in the database: restore the key the data was written with."
            )
    unrecorded = [name for name in expected if name not in stored]
    if unrecorded and not found:
        if "GUITU_ID_ENCRYPTION_KEY" in unrecorded and not _sample_decrypts():
            return [
                "GUITU_ID_ENCRYPTION_KEY 无法解密数据库中已有的身份证号：当前密钥不是加密这些数据时用的密钥。"
                " / GUITU_ID_ENCRYPTION_KEY cannot decrypt the ID numbers already stored."
            ]
        with transaction.atomic(using=using):
            for name in unrecorded:
                KeyFingerprint.objects.using(using).get_or_create(
                    name=name, defaults={"fingerprint": expected[name]}
                )
    return found


def verify_keys_or_stop() -> None:
    """Raise ImproperlyConfigured (stopping the process) when a key is missing or wrong; once per process."""
    global _verified
    if _verified:
        return
    try:
        found = problems()
    except DatabaseError as exc:  # no database yet (before migrate) or unreachable: nothing to compare with
        logger.warning("key fingerprints not checked: %s", exc)
        return
    if found:
        raise ImproperlyConfigured("\n".join(found))
    _verified = True


@register("guitu_keys")
def check_keys(app_configs=None, databases=None, **kwargs):
    """System check run by ``migrate`` and ``check --database default`` (skipped without a database)."""
    if not databases:
        return []
    errors = []
    for alias in databases:
        try:
            errors += [Error(message, id="guitu.E001") for message in problems(alias)]
        except DatabaseError:
            continue
    return errors
