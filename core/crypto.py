"""ID-card numbers at rest: encrypted (Fernet) and searchable through a keyed hash (HMAC-SHA256)."""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def cipher() -> Fernet:
    """The Fernet cipher of ``GUITU_ID_ENCRYPTION_KEY``; never derived from anything else (issue 8, hole 6)."""
    key = settings.GUITU_ID_ENCRYPTION_KEY
    if not key:
        from guitu.keys import missing_keys_message

        raise ImproperlyConfigured(missing_keys_message(["GUITU_ID_ENCRYPTION_KEY"]))
    return _fernet(key)


def normalise_id(number: str) -> str:
    return (number or "").strip().upper().replace(" ", "")


def encrypt_id(number: str) -> str:
    number = normalise_id(number)
    return cipher().encrypt(number.encode()).decode() if number else ""


def decrypt_id(token: str) -> str:
    if not token:
        return ""
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        # Never pretend the number was not registered: a wrong key is a configuration error (core/keycheck.py).
        raise ImproperlyConfigured("身份证号无法用当前的 GUITU_ID_ENCRYPTION_KEY 解密：密钥与加密数据时所用的不同。"
                                   " / GUITU_ID_ENCRYPTION_KEY cannot decrypt stored ID numbers.") from exc


def hash_id(number: str) -> str:
    number = normalise_id(number)
    if not number:
        return ""
    key = settings.GUITU_ID_HASH_KEY
    if not key:
        from guitu.keys import missing_keys_message

        raise ImproperlyConfigured(missing_keys_message(["GUITU_ID_HASH_KEY"]))
    return hmac.new(key.encode(), number.encode(), hashlib.sha256).hexdigest()


def mask_id(number: str) -> str:
    """110105********123X — region and last four visible, birth date hidden."""
    number = normalise_id(number)
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
