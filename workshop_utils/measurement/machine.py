"""Where a result was measured: the CPU, its int8/fp16 instruction-set features and the runtime versions.

Latency ratios depend on the CPU (int8 was 2.5x faster than float32 on an AVX-512 VNNI machine and 0.68x on
an AVX2-only one), so every results table carries :func:`machine_info`'s one-line stamp.

Sources, fastest exact one first, each read once per process: Linux ``/proc/cpuinfo`` (the flags the kernel
reports; py-cpuinfo reads the same file but in a subprocess that takes about a second), macOS on Apple
Silicon ``sysctl hw.optional.arm.FEAT_*``, and py-cpuinfo everywhere else (Windows, Intel Macs). A feature
that no source could read is ``None`` ("unknown"), never guessed.
"""

from __future__ import annotations

import functools
import importlib.metadata
import inspect
import os
import platform
import subprocess
from dataclasses import dataclass, field

# Display name -> the flag names that mean it (Linux /proc/cpuinfo and py-cpuinfo spell them alike).
X86_FEATURES: dict[str, tuple[str, ...]] = {
    "AVX2": ("avx2",),
    "FMA": ("fma",),
    "AVX-512F": ("avx512f",),
    "AVX-512 VNNI": ("avx512_vnni", "avx512vnni"),
    "AVX-VNNI": ("avx_vnni", "avxvnni"),
    "AVX-512 FP16": ("avx512_fp16", "avx512fp16"),
    "AVX-512 BF16": ("avx512_bf16", "avx512bf16"),
    "AMX": ("amx_int8", "amx_tile", "amx_bf16"),
}
ARM_FEATURES: dict[str, tuple[str, ...]] = {
    "dotprod": ("asimddp", "dotprod"),  # SDOT/UDOT: four int8 products per lane in one instruction
    "i8mm": ("i8mm",),  # int8 matrix multiply (SMMLA)
    "fp16": ("asimdhp", "fphp"),  # ARMv8.2 half-precision arithmetic
}
# macOS on Apple Silicon: sysctl names per feature (the first that answers wins).
MACOS_SYSCTL: dict[str, tuple[str, ...]] = {
    "dotprod": ("hw.optional.arm.FEAT_DotProd",),
    "i8mm": ("hw.optional.arm.FEAT_I8MM",),
    "fp16": ("hw.optional.arm.FEAT_FP16", "hw.optional.neon_fp16"),
}


def normalize_architecture(machine: str) -> str:
    """``x86_64`` or ``arm64`` for the usual spellings (AMD64, aarch64, ARM64), else the name lowercased."""
    name = machine.strip().lower()
    if name in {"x86_64", "amd64", "x64", "x86-64"}:
        return "x86_64"
    if name in {"arm64", "aarch64", "armv8", "armv8l", "arm64e"}:
        return "arm64"
    return name or "unknown"


def features_from_flags(architecture: str, flags: set[str] | None) -> dict[str, bool | None]:
    """The features that decide int8/fp16 speed, from a set of CPU flag names (None: none could be read)."""
    table = ARM_FEATURES if architecture == "arm64" else X86_FEATURES if architecture == "x86_64" else {}
    if flags is None:
        return dict.fromkeys(table)
    lowered = {flag.lower() for flag in flags}
    return {name: any(alias in lowered for alias in aliases) for name, aliases in table.items()}


@dataclass(frozen=True)
class MachineInfo:
    """The CPU and runtime a measurement came from; ``str()`` is the one-line stamp for results."""

    cpu_model: str
    architecture: str
    cores: int
    features: dict[str, bool | None]
    tensorflow: str
    litert: str
    xnnpack: str
    source: str = field(default="", compare=False)  # where the features were read

    @property
    def has_int8_dot_product(self) -> bool | None:
        """True when int8 dot-product instructions exist (AVX-512 VNNI or AVX-VNNI on x86, dotprod on ARM64)."""
        names = ("AVX-512 VNNI", "AVX-VNNI") if self.architecture == "x86_64" else ("dotprod",)
        return _any_known(self.features, names)

    @property
    def has_fp16_arithmetic(self) -> bool | None:
        """True when the CPU computes in float16 natively (ARMv8.2 FP16 on ARM64, AVX-512 FP16 on x86)."""
        names = ("AVX-512 FP16",) if self.architecture == "x86_64" else ("fp16",)
        return _any_known(self.features, names)

    @property
    def int8_dot_product_name(self) -> str:
        """The int8 dot-product instruction family present here, e.g. "AVX-512 VNNI" ("" when none)."""
        return " and ".join(name for name in ("AVX-512 VNNI", "AVX-VNNI", "dotprod") if self.features.get(name))

    def present(self) -> list[str]:
        """Names of the features this CPU has."""
        return [name for name, value in self.features.items() if value]

    def feature_text(self) -> str:
        """The features as text: present ones listed, or why none are."""
        if not self.features:
            return f"no int8/fp16 feature table for {self.architecture}"
        if all(value is None for value in self.features.values()):
            return "features unknown"
        present = self.present()
        absent_dot = self.has_int8_dot_product is False
        text = " ".join(present) if present else "none of " + "/".join(self.features)
        return text + ("; no VNNI" if absent_dot and self.architecture == "x86_64" else "")

    def __str__(self) -> str:
        cores = f"{self.cores} core" + ("s" if self.cores != 1 else "")
        return (
            f"{self.cpu_model} ({self.architecture}, {cores}; {self.feature_text()}) · TF {self.tensorflow} · "
            f"LiteRT {self.litert} · XNNPACK {self.xnnpack}"
        )

    def to_dict(self) -> dict:
        """JSON-ready fields plus the stamp (what results.machine.json holds)."""
        return {
            "stamp": str(self), "cpu_model": self.cpu_model, "architecture": self.architecture, "cores": self.cores,
            "features": dict(self.features), "has_int8_dot_product": self.has_int8_dot_product,
            "has_fp16_arithmetic": self.has_fp16_arithmetic, "tensorflow": self.tensorflow, "litert": self.litert,
            "xnnpack": self.xnnpack, "source": self.source,
        }


def _any_known(features: dict[str, bool | None], names: tuple[str, ...]) -> bool | None:
    values = [features.get(name) for name in names if name in features]
    if any(values):
        return True
    if not values or any(value is None for value in values):
        return None
    return False


def _read_proc_cpuinfo(path: str = "/proc/cpuinfo") -> tuple[str | None, set[str] | None]:
    """(model name, flags) of the first CPU in a Linux /proc/cpuinfo; (None, None) when unreadable."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None, None
    model, flags = None, None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in {"model name", "hardware", "cpu model"} and model is None and value.strip():
            model = value.strip()
        elif key in {"flags", "features"} and flags is None:
            flags = set(value.split())
    return model, flags


def _sysctl(name: str) -> str | None:
    try:
        result = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else None


def _macos_arm_features() -> dict[str, bool | None]:
    features: dict[str, bool | None] = {}
    for name, keys in MACOS_SYSCTL.items():
        values = [_sysctl(key) for key in keys]
        known = [value for value in values if value is not None]
        features[name] = None if not known else any(value.strip() == "1" for value in known)
    return features


def _py_cpuinfo() -> dict:
    try:
        import cpuinfo
    except ImportError:
        return {}
    try:
        return cpuinfo.get_cpu_info() or {}
    except Exception:  # noqa: BLE001 - a probe: any failure means "unknown", reported as such
        return {}


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use (containers limit them)
    except AttributeError:
        return os.cpu_count() or 1


def xnnpack_state() -> str:
    """Whether the workshop's interpreters apply LiteRT's default XNNPACK delegate (``wu.make_interpreter``)."""
    if _version("ai-edge-litert") == "not installed":
        return "n/a (LiteRT missing)"
    from .interpreter import make_interpreter

    default = inspect.signature(make_interpreter).parameters["use_xnnpack"].default
    return "on" if default else "off"


@functools.lru_cache(maxsize=1)
def machine_info() -> MachineInfo:
    """This machine: CPU model, architecture, usable cores, int8/fp16 features, TF/LiteRT versions, XNNPACK.

    Read once per process (then cached). ``str(machine_info())`` is the stamp printed under every results
    table, e.g. "AMD EPYC (x86_64, 2 cores; AVX2 FMA; no VNNI) · TF 2.21.0 · LiteRT 2.3.0 · XNNPACK on".
    """
    system = platform.system()
    architecture = normalize_architecture(platform.machine())
    model, flags, source = None, None, ""
    if system == "Linux":
        model, flags = _read_proc_cpuinfo()
        source = "/proc/cpuinfo" if flags is not None else ""
    features = features_from_flags(architecture, flags)
    if system == "Darwin" and architecture == "arm64":
        features = _macos_arm_features()
        model = _sysctl("machdep.cpu.brand_string")
        source = "sysctl hw.optional.arm"
    if flags is None and source == "" or model is None:
        info = _py_cpuinfo()
        model = model or info.get("brand_raw")
        if source == "" and info.get("flags"):
            features = features_from_flags(architecture, set(info["flags"]))
            source = "py-cpuinfo"
    return MachineInfo(
        cpu_model=(model or platform.processor() or "unknown CPU").strip(),
        architecture=architecture,
        cores=_cores(),
        features=features,
        tensorflow=_version("tensorflow"),
        litert=_version("ai-edge-litert"),
        xnnpack=xnnpack_state(),
        source=source or "none (features unknown)",
    )
