"""Secret keys: validated at startup, never derived from a string published in the repository.

Production (the default) takes every key from the environment. Demo mode (``GUITU_DEMO=1``, set by
``make demo``) and the test settings use keys generated at random on first use and kept in
``var/dev-keys.json`` (mode 0600) on this machine only, so even a demo database cannot be decrypted
with anything printed in the repository.
"""

import base64
import binascii
import hashlib
import json
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KEY_NAMES = ("GUITU_SECRET_KEY", "GUITU_ID_ENCRYPTION_KEY", "GUITU_ID_HASH_KEY", "GUITU_FILES_KEY", "GUITU_AUDIT_KEY")
#: Keys a ``dev-keys.json`` written before them lacks. They are added on first read with the values the old
#: code derived from the secret key, so a demo database made then still opens its files and verifies its audit.
_ADDED_LATER = {
    "GUITU_FILES_KEY": lambda secret: base64.urlsafe_b64encode(hashlib.sha256(("files:" + secret).encode()).digest())
    .decode(),
    "GUITU_AUDIT_KEY": lambda secret: hashlib.sha256(("audit:" + secret).encode()).hexdigest(),
}


def new_fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _generate() -> dict[str, str]:
    return {
        "GUITU_SECRET_KEY": secrets.token_urlsafe(50),
        "GUITU_ID_ENCRYPTION_KEY": new_fernet_key(),
        "GUITU_ID_HASH_KEY": secrets.token_hex(32),
        "GUITU_FILES_KEY": new_fernet_key(),
        "GUITU_AUDIT_KEY": secrets.token_hex(32),
    }


def local_dev_keys(path: Path) -> dict[str, str]:
    """This machine's demo/test keys: read ``path``, or create it (0600) with random keys.

    Created with O_EXCL so parallel test workers starting together end up with the same keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            try:
                data = json.loads(path.read_text())
            except ValueError:  # another worker is still writing it
                import time

                time.sleep(0.05)
                continue
            if all(data.get(name) for name in KEY_NAMES):
                return data
            if data.get("GUITU_SECRET_KEY") and all(data.get(n) for n in KEY_NAMES if n not in _ADDED_LATER):
                return _add_later_keys(path, data)
            break
        raise ImproperlyConfigured(
            f"{path} is damaged: delete it to generate new demo keys "
            f"(demo data encrypted with the old keys becomes unreadable)"
        ) from None
    data = _generate()
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    return data


def _add_later_keys(path: Path, data: dict[str, str]) -> dict[str, str]:
    for name, derive in _ADDED_LATER.items():
        data.setdefault(name, derive(data["GUITU_SECRET_KEY"]))
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)
    return data


def validate_fernet_key(value: str, name: str = "GUITU_ID_ENCRYPTION_KEY") -> str:
    """A Fernet key is 32 bytes in URL-safe base64 (44 characters); anything else stops startup."""
    try:
        raw = base64.urlsafe_b64decode(value.encode())
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ImproperlyConfigured(
            f"{name} 格式不正确：应为 32 字节的 URL 安全 Base64 编码（44 个字符），"
            f'可用 `python -c "import guitu.keys as k; print(k.new_fernet_key())"` 生成。'
            f" / {name} is malformed: expected 32 bytes of URL-safe base64 (44 characters)."
        )
    return value


def validate_hash_key(value: str, name: str = "GUITU_ID_HASH_KEY") -> str:
    if len(value) < 32:
        raise ImproperlyConfigured(
            f"{name} 太短：至少 32 个字符（建议 64 位十六进制随机数）。"
            f" / {name} is too short: at least 32 characters."
        )
    return value


def missing_keys_message(missing: list[str]) -> str:
    names = "、".join(missing)
    return (
        f"缺少密钥 {names}：生产模式（默认）必须在环境变量中设置，见 docs/deployment.md；"
        f"演示请用 `make demo`（GUITU_DEMO=1）。 / Missing {', '.join(missing)}: production (the default) "
        "needs them in the environment (docs/deployment.md); for a demo run `make demo` (GUITU_DEMO=1)."
    )
