"""Test-session defaults: offline data, fast mode and a repository-local cache (each can be overridden)."""

import os
from pathlib import Path

os.environ.setdefault("WORKSHOP_OFFLINE", "1")
os.environ.setdefault("WORKSHOP_FAST", "1")
os.environ.setdefault("WORKSHOP_CACHE_DIR", str(Path(__file__).parent / ".cache" / "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

# The deep dives and their solutions run with `pytest -m slow` (CI runs it), which keeps the README's `pytest`
# (unit tests, the core notebooks and their solutions) within ~15 minutes on 2 cores.
SLOW_NOTEBOOK_PREFIXES = ("notebooks/deep_dives/",)
DEEP_DIVE_SOLUTION = "notebooks/solutions/"


def _is_deep_dive_notebook(relative: str) -> bool:
    name = relative.rsplit("/", 1)[-1]
    if relative.startswith(SLOW_NOTEBOOK_PREFIXES):
        return True
    # a deep dive's solutions: NNx_..._solutions.ipynb (a letter after the number)
    return relative.startswith(DEEP_DIVE_SOLUTION) and name[:2].isdigit() and name[2].isalpha()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(__file__).parent
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb" and _is_deep_dive_notebook(path.resolve().relative_to(root).as_posix()):
            item.add_marker(pytest.mark.slow)
