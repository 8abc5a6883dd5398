"""Test-session defaults: offline data, fast mode and a repository-local cache (each can be overridden)."""

import os
from pathlib import Path

os.environ.setdefault("WORKSHOP_OFFLINE", "1")
os.environ.setdefault("WORKSHOP_FAST", "1")
os.environ.setdefault("WORKSHOP_CACHE_DIR", str(Path(__file__).parent / ".cache" / "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
