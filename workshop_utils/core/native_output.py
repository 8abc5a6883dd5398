"""Capture what C++ libraries print: they write to file descriptors 1 and 2, which Python's redirects miss."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class NativeOutput:
    """The text written to the captured descriptors; filled in when the ``with`` block ends."""

    text: str = ""
    lines: list[str] = field(default_factory=list)


@contextlib.contextmanager
def capture_native_output(fds: tuple[int, ...] = (1, 2)) -> Iterator[NativeOutput]:
    """Send everything written to ``fds`` (C and Python alike) to a temporary file and keep it as text.

    Used for TensorFlow Lite Micro, whose only report of the tensor arena goes to C-level stderr, and to
    keep library log noise (progress bars, INFO lines, warnings) out of the notebooks.
    """
    captured = NativeOutput()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in fds}
    python_text = io.StringIO()  # in Jupyter, sys.stdout/stderr are not descriptors 1 and 2
    redirects = contextlib.ExitStack()
    if 1 in fds:
        redirects.enter_context(contextlib.redirect_stdout(python_text))
    if 2 in fds:
        redirects.enter_context(contextlib.redirect_stderr(python_text))
    with tempfile.TemporaryFile(mode="w+b") as sink, warnings.catch_warnings(), redirects:
        warnings.simplefilter("ignore")
        try:
            for fd in fds:
                os.dup2(sink.fileno(), fd)
            yield captured
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)
            sink.seek(0)
            captured.text = sink.read().decode(errors="replace") + python_text.getvalue()
            captured.lines = [line.strip() for line in captured.text.splitlines() if line.strip()]


# Lines C++ libraries print on every conversion or interpreter start, which no learner can act on.
NOISE_PATTERNS = (
    re.compile(r"^fully_quantize: \d+, inference_type: "),  # the TFLite converter's statistics
    re.compile(r"^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.$"),
    re.compile(r"^INFO: \[accelerator_registry\.cc:\d+\] "),  # LiteRT CompiledModel start-up and shut-down
)
_filter_started = False


def _is_noise(line: str) -> bool:
    return any(pattern.match(line.strip()) for pattern in NOISE_PATTERNS)


def _forward_without_noise(read_fd: int, write_fd: int) -> None:
    """Copy whole lines from ``read_fd`` to ``write_fd``, dropping the known noise lines."""
    pending = b""
    while chunk := os.read(read_fd, 65536):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        kept = [line for line in lines if not _is_noise(line.decode(errors="replace"))]
        if kept:
            os.write(write_fd, b"\n".join(kept) + b"\n")
    if pending:
        os.write(write_fd, pending)


def filter_native_noise(fd: int = 2) -> bool:
    """In a Jupyter kernel, drop the C++ noise lines (:data:`NOISE_PATTERNS`) written to ``fd``; keep the rest.

    Jupyter shows what C++ code writes to file descriptor 2 under the cell that ran it; the converter's
    "fully_quantize: ..." statistics and the XNNPACK "Created delegate" line would appear under every
    conversion. A pipe now sits in front of ``fd``: a thread forwards every other line unchanged. Only in
    an IPython kernel (scripts and the CLI keep their plain stderr); returns whether the filter runs.
    """
    global _filter_started
    if _filter_started or "ipykernel" not in sys.modules:
        return _filter_started
    read_fd, write_fd = os.pipe()
    downstream = os.dup(fd)
    os.dup2(write_fd, fd)
    os.close(write_fd)
    threading.Thread(target=_forward_without_noise, args=(read_fd, downstream), daemon=True,
                     name="native-noise-filter").start()
    _filter_started = True
    return True
