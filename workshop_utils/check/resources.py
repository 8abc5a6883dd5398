"""Disk and memory against the workshop's minimums (the numbers the facilitator guide quotes)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .result import FAILED, OK, PartResult, part

GB = 1024**3
# Free space left after the install, on the cache's filesystem: trained baselines and comparison rows (tens of
# MB), the converter's temporary SavedModels, results and notebook checkpoints, with room to spare.
MIN_FREE_DISK_GB = 1.0
# What the install itself takes (a Linux x86-64 venv with requirements.txt measured 3.0 GB; TensorFlow is 1.9 GB).
INSTALL_DISK_GB = 3.0
# Total memory: one notebook's kernel with TensorFlow, JupyterLab and a browser tab.
MIN_RAM_GB = 4.0


def free_disk_bytes(folder: Path) -> int:
    """Bytes free on the filesystem that holds ``folder``."""
    return shutil.disk_usage(folder).free


def total_ram_bytes() -> int | None:
    """Physical memory in bytes (psutil where installed, else the OS's page counts); None when unknown."""
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except ImportError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


@part("disk", "free disk space, or set WORKSHOP_CACHE_DIR to a folder on a disk with room")
def disk(minimum_gb: float = MIN_FREE_DISK_GB) -> PartResult:
    """Free space where the cache lives (``wu.cache_dir()``, ``WORKSHOP_CACHE_DIR`` moves it)."""
    from ..core.cache import cache_dir

    folder = cache_dir()
    free_gb = free_disk_bytes(folder) / GB
    detail = f"{free_gb:.1f} GB free where the cache lives ({folder}); the workshop needs {minimum_gb:g} GB"
    if free_gb < minimum_gb:
        return PartResult("disk", FAILED, detail + ".",
                          "free disk space, or set WORKSHOP_CACHE_DIR to a folder on a disk with room")
    return PartResult("disk", OK, detail, value=free_gb)


@part("RAM", "use a machine with more memory, or Colab")
def ram(minimum_gb: float = MIN_RAM_GB) -> PartResult:
    """Total memory against the minimum (close other programs on the day: a browser with many tabs takes GBs)."""
    total = total_ram_bytes()
    if total is None:
        return PartResult("RAM", OK, f"size unknown on this system; the workshop needs {minimum_gb:g} GB")
    total_gb = total / GB
    detail = f"{total_gb:.1f} GB; the workshop needs {minimum_gb:g} GB"
    if total_gb < minimum_gb:
        return PartResult("RAM", FAILED, detail + ".", "use a machine with more memory, or Colab")
    return PartResult("RAM", OK, detail, value=total_gb)
