"""Raw mail on disk, named by the SHA-256 of its bytes: writing twice is harmless."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings


def path_for(sha256: str) -> Path:
    return Path(settings.DATA_DIR) / "raw" / sha256[:2] / f"{sha256}.eml"


def save(raw: bytes) -> str:
    """Write the bytes durably (fsync, then an atomic rename) and return their SHA-256."""
    sha = hashlib.sha256(raw).hexdigest()
    path = path_for(sha)
    if path.exists():
        return sha
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha


def load(sha256: str) -> bytes:
    return path_for(sha256).read_bytes()
