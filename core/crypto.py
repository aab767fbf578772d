"""ID-card numbers at rest: encrypted (Fernet) and searchable through a keyed hash (HMAC-SHA256)."""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(key: str, secret: str) -> Fernet:
    if key:
        return Fernet(key.encode())
    # Development only (settings refuse an empty key when DEBUG is off): derive from SECRET_KEY.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(("enc:" + secret).encode()).digest()))


def _cipher() -> Fernet:
    return _fernet(settings.GUITU_ID_ENCRYPTION_KEY, settings.SECRET_KEY)


def normalise_id(number: str) -> str:
    return (number or "").strip().upper().replace(" ", "")


def encrypt_id(number: str) -> str:
    number = normalise_id(number)
    return _cipher().encrypt(number.encode()).decode() if number else ""


def decrypt_id(token: str) -> str:
    if not token:
        return ""
    try:
        return _cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def hash_id(number: str) -> str:
    number = normalise_id(number)
    if not number:
        return ""
    return hmac.new(settings.GUITU_ID_HASH_KEY.encode(), number.encode(), hashlib.sha256).hexdigest()


def mask_id(number: str) -> str:
    """110105********123X — region and last four visible, birth date hidden."""
    number = normalise_id(number)
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
