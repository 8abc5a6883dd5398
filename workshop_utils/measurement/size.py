"""Model size as it matters for shipping: raw bytes and zipped (DEFLATE) bytes."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .interpreter import as_blob


@dataclass(frozen=True)
class ModelSize:
    """Bytes on disk, and after DEFLATE compression (what a download or app bundle costs)."""

    raw_bytes: int
    zipped_bytes: int

    @property
    def raw_kb(self) -> float:
        return self.raw_bytes / 1024

    @property
    def zipped_kb(self) -> float:
        return self.zipped_bytes / 1024


def zipped_size(data: bytes) -> int:
    """Size of ``data`` inside a DEFLATE zip archive, as TFMOT's tutorials measure it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.tflite", data)
    return buffer.tell()


def model_size(model: bytes | str | Path) -> ModelSize:
    """Raw and zipped size of a TFLite model (bytes or a path)."""
    blob = as_blob(model)
    return ModelSize(raw_bytes=len(blob), zipped_bytes=zipped_size(blob))
