"""``python -m workshop_utils check``: every part of the pre-workshop check, one line each, then each notebook.

The parts run in order and hand their results on (the tiny model to the conversion, the files to the
interpreters). A part prints OK, SKIPPED (nothing to do on this platform, with why) or FAILED (why and the
fix); the exit status is 1 when any part FAILED, so a script or a facilitator can tell at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..core.env import load_tensorflow_quietly
from ..core.native_output import capture_native_output
from . import resources, toolchain
from .environment import environment_part
from .notebooks import notebooks
from .result import FAILED, SKIPPED, PartResult

READY = "Ready for the workshop"


def _timed(run: Callable[[], PartResult], echo: Callable[[str], None]) -> PartResult:
    start = time.perf_counter()
    with capture_native_output((2,)):  # C++ INFO lines from TensorFlow, LiteRT, TFLM: nothing to act on
        result = run()
    result.seconds = time.perf_counter() - start
    echo(f"{result} ({result.seconds:.1f} s)")
    return result


def run_check(echo: Callable[[str], None] = print) -> dict[str, PartResult]:
    """Run every part, print one line per part and one per notebook; return the results by part name."""
    start = time.perf_counter()
    results: dict[str, PartResult] = {}

    def add(run: Callable[[], PartResult]) -> PartResult:
        result = _timed(run, echo)
        results[result.name] = result
        return result

    loading = time.perf_counter()
    try:
        load_tensorflow_quietly()  # TensorFlow's C++ start-up lines: nothing an attendee can act on
    except Exception:  # noqa: BLE001, S110 - the environment part reports a TensorFlow that does not import
        pass
    env = environment_part()  # its report (versions, machine) goes first: it is what attendees send back
    if env.value is not None:
        echo(str(env.value))
    env.seconds = time.perf_counter() - loading  # TensorFlow's import included: the first thing every notebook does
    echo("")
    echo(f"{env} ({env.seconds:.1f} s)")
    results[env.name] = env
    model = add(toolchain.tiny_model)
    blobs = add(lambda: toolchain.conversion(model))
    interpreter = add(lambda: toolchain.litert_interpreter(model, blobs))
    add(lambda: toolchain.compiled_model(model, blobs, interpreter))
    add(lambda: toolchain.micro(model, blobs))
    add(lambda: toolchain.quantizer(model, blobs))
    add(lambda: toolchain.tfmot_wrappers(model))
    add(toolchain.figure)
    add(resources.disk)
    add(resources.ram)
    found = add(lambda: notebooks(dict(results)))
    for verdict in found.value or []:
        echo(str(verdict))
    echo("")
    echo(closing_line(results, time.perf_counter() - start))
    return results


def exit_status(results: dict[str, PartResult]) -> int:
    """0 when no part FAILED, else 1."""
    return 1 if any(r.status == FAILED for r in results.values()) else 0


def closing_line(results: dict[str, PartResult], seconds: float) -> str:
    failed = [name for name, r in results.items() if r.status == FAILED]
    skipped = [name for name, r in results.items() if r.status == SKIPPED]
    if failed:
        return (f"NOT READY: {len(failed)} part(s) FAILED ({', '.join(failed)}); apply the fix on each FAILED line, "
                f"then run `python -m workshop_utils check` again ({seconds:.0f} s).")
    extra = f"; skipped here: {', '.join(skipped)} (see why above)" if skipped else ""
    return f"{READY}: every part works ({seconds:.0f} s){extra}."


def main() -> int:
    """The CLI's ``check`` command."""
    import atexit

    status = exit_status(run_check())
    atexit.register(_quiet_exit)  # last thing before the process ends
    return status


def _quiet_exit() -> None:
    """Send fd 2 to the null device: LiteRT's global environment says goodbye in C++ as the process exits."""
    import os
    import sys

    sys.stderr.flush()
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
