"""The feedback tokens' HMAC key: from the environment, or a key file made once and kept.

Every worker and replica must sign with the same key, and the key must outlive a
restart, or tokens handed out before it stop working. SENTIMON_FEEDBACK_KEY gives it
explicitly (Compose and Kubernetes pass a secret). Without it the key lives in
SENTIMON_FEEDBACK_KEY_FILE: the first process to start writes 32 random bytes there,
mode 0600, and every later one, or a sibling worker starting at the same moment, reads
them. The file is published with link(2), which fails when the name exists, so two
workers racing never see half a key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

MIN_KEY_BYTES = 32


class FeedbackKeyError(RuntimeError):
    """No usable key: feedback is off until it is fixed."""


def _checked(key: bytes, source: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise FeedbackKeyError(
            f"the feedback key from {source} is {len(key)} bytes; it needs at least "
            f"{MIN_KEY_BYTES} (make one with: openssl rand -hex 32)"
        )
    return key


def _read(path: Path) -> bytes:
    return _checked(path.read_text(encoding="ascii").strip().encode(), str(path))


def _create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(MIN_KEY_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(key + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(tmp, path)  # atomic, and refuses an existing name
        except FileExistsError:
            return _read(path)  # a sibling worker won the race: use its key
    finally:
        tmp.unlink(missing_ok=True)
    return key.encode()


def load_key(secret: str | None, key_file: Path) -> bytes:
    """The key given in `secret`, else the one in `key_file`, created there if missing."""
    if secret:
        return _checked(secret.encode(), "SENTIMON_FEEDBACK_KEY")
    try:
        return _read(key_file)
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as error:
        raise FeedbackKeyError(
            f"cannot read the feedback key file {key_file}: {error}; fix it, or set "
            "SENTIMON_FEEDBACK_KEY"
        ) from None
    try:
        return _create(key_file)
    except OSError as error:
        raise FeedbackKeyError(
            f"cannot create the feedback key file {key_file}: {error}; set "
            "SENTIMON_FEEDBACK_KEY or a writable SENTIMON_FEEDBACK_KEY_FILE"
        ) from None
