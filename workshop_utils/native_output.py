"""Capture what C++ libraries print: they write to file descriptors 1 and 2, which Python's redirects miss."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
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
