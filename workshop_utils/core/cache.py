"""On-disk cache plumbing: where it lives, stable keys, atomic writes and cross-process locks."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock

CACHE_VAR = "WORKSHOP_CACHE_DIR"


def cache_dir() -> Path:
    """The cache folder: ``$WORKSHOP_CACHE_DIR`` or ``~/.cache/workshop_utils`` (safe to delete)."""
    path = Path(os.environ.get(CACHE_VAR) or Path.home() / ".cache" / "workshop_utils")
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_key(parts: dict[str, Any]) -> str:
    """A short stable hash of JSON-serialisable inputs."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def lock(path: Path, timeout_s: float = 1800) -> FileLock:
    """A lock file beside ``path`` so two notebooks never build the same cache entry at once."""
    return FileLock(str(path) + ".lock", timeout=timeout_s)


@contextlib.contextmanager
def atomic_path(target: Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path in the target's folder; move it onto ``target`` only on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def write_bytes_atomic(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_json_atomic(target: Path, payload: dict[str, Any]) -> None:
    write_bytes_atomic(target, json.dumps(payload, indent=2, sort_keys=True, default=str).encode())


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object at ``path``, or None when it is missing or unreadable (treated as a cache miss)."""
    try:
        payload = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def clear_cache() -> Path:
    """Delete every cached model and result; returns the folder that was emptied."""
    path = cache_dir()
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path
