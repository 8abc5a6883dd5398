"""For the tests that need PyPI (the support matrix, the wheelhouse): opting in, finding uv, skipping when offline."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from workshop_utils.core.support import load_matrix
from workshop_utils.publishing.wheelhouse import WheelhouseError, uv_command

PROBE_TIMEOUT_S = 120


def opted_in(config: pytest.Config, marker: str, env_var: str) -> bool:
    """True with ``pytest -m <marker>`` (not ``-m 'not <marker>'``) or ``<env_var>=1``."""
    markexpr = config.getoption("markexpr") or ""
    chosen = re.search(rf"(?<!not )\b{marker}\b", markexpr) is not None
    return chosen or os.environ.get(env_var, "").strip().lower() in {"1", "true", "yes"}


def uv_or_skip() -> list[str]:
    try:
        return uv_command()
    except WheelhouseError as error:
        pytest.skip(f"{error}: pip install -r requirements-dev.txt")


def registry_or_skip(uv: list[str], tmp_path) -> None:
    """Skip, saying why, when uv cannot reach PyPI (one tiny resolution, refreshed from the index)."""
    probe = tmp_path / "probe.in"
    probe.write_text("tabulate==0.10.0\n")
    platform = load_matrix()["platforms"]["linux-x86_64"]["uv"]
    try:
        done = subprocess.run([*uv, "pip", "compile", str(probe), "--python-version", "3.11", "--python-platform",
                               platform, "--refresh-package", "tabulate", "--quiet"],
                              capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.skip(f"PyPI cannot be reached (uv pip compile timed out after {PROBE_TIMEOUT_S} s)")
    if done.returncode != 0:
        pytest.skip(f"PyPI cannot be reached (uv pip compile tabulate: {done.stderr.strip()[-300:]})")
