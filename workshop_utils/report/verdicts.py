"""Speed sentences computed from a measured speedup and its 95% interval, explained by this machine's CPU.

Two kinds of sentence, kept apart on purpose:

- the *verdict* is a fact about this measurement ("full_integer ran at 0.68x float32's speed [0.66, 0.72]:
  slower on this machine."), never a claim about the world;
- the *likely cause* names the CPU features that are present or absent (facts read by
  :func:`~workshop_utils.measurement.machine.machine_info`) and the mechanism that probably explains the ratio, labelled
  "Likely cause:" because a ratio alone cannot prove its cause.
"""

from __future__ import annotations

import pandas as pd

from ..comparison.rows import REFERENCE_ROW, ROWS
from ..measurement.latency import SAME_SPEED_MARGIN, speed_direction
from ..measurement.machine import MachineInfo, machine_info

KINDS = ("reference", "int8", "dynamic_range", "float16", "int16x8", "int4", "sparse_or_clustered_float", "other")
_MODE_KIND = {"full_integer": "int8", "dynamic_range": "dynamic_range", "float16": "float16", "int16x8": "int16x8"}


def speed_verdict(
    name: str, speedup_x: float, ci_low: float, ci_high: float, reference: str = "float32"
) -> str:
    """One factual sentence: the measured speedup against ``reference``, its interval and the direction.

    >>> speed_verdict("full_integer", 0.68, 0.66, 0.72)
    "full_integer ran at 0.68x float32's speed [0.66, 0.72]: slower on this machine."
    """
    direction = speed_direction(speedup_x, ci_low, ci_high)
    if direction == "not measured":
        return f"{name}: latency not measured."
    if name == reference:
        return f"{name} is the reference every speedup is measured against (1.00x)."
    measured = f"{name} ran at {speedup_x:.2f}x {reference}'s speed [{ci_low:.2f}, {ci_high:.2f}]"
    if direction == "same":
        return f"{measured}: the same speed on this machine (the 95% interval includes 1.00x)."
    if direction.startswith("slightly"):
        word = direction.split()[1]
        return f"{measured}: {word} on this machine, by less than {SAME_SPEED_MARGIN:.0%}."
    return f"{measured}: {direction} on this machine."


def row_kind(name: str) -> str:
    """What a comparison row computes with: one of :data:`KINDS`, from its definition in ``compare.ROWS``.

    Rows not defined there (your own names) are classified by their name ("int8", "dynamic", "float16", ...).
    """

    for row in ROWS:
        if row.name == name:
            if row.name == REFERENCE_ROW:
                return "reference"
            if "int4" in row.name or "int4" in row.mode:
                return "int4"
            if row.mode in _MODE_KIND:
                return _MODE_KIND[row.mode]
            if row.mode == "float32":
                return "sparse_or_clustered_float" if row.technique != "baseline" else "reference"
            return "other"
    lowered = name.lower()
    checks = (
        ("int4", "int4"), ("16x8", "int16x8"), ("int16", "int16x8"), ("dynamic", "dynamic_range"),
        ("float16", "float16"), ("fp16", "float16"), ("int8", "int8"), ("full_integer", "int8"),
        ("prun", "sparse_or_clustered_float"), ("cluster", "sparse_or_clustered_float"), ("float32", "reference"),
    )
    return next((kind for needle, kind in checks if needle in lowered), "other")


def _cpu_facts(machine: MachineInfo) -> str:
    """The int8-relevant features of this CPU, stated as facts."""
    if machine.has_int8_dot_product is None:
        return "This CPU's instruction-set features could not be read"
    if machine.has_int8_dot_product:
        return f"This CPU has int8 dot-product instructions ({machine.int8_dot_product_name})"
    if machine.architecture == "x86_64":
        vector = "AVX2 and FMA" if machine.features.get("AVX2") and machine.features.get("FMA") else "no AVX2/FMA"
        return f"This CPU has {vector} but no VNNI (neither AVX-512 VNNI nor AVX-VNNI)"
    return "This CPU has no ARM dot-product (dotprod) instructions"


def _int8_cause(direction: str, machine: MachineInfo) -> str:
    facts = _cpu_facts(machine)
    if machine.has_int8_dot_product is None:
        return (f"{facts}. Likely cause: int8 convolution kernels in XNNPACK gain most with VNNI (x86) or "
                "dot-product (ARM) instructions; without them the widening and requantization can cost more "
                "than float32's fused multiply-add.")
    if machine.has_int8_dot_product:
        if direction in ("faster", "slightly faster"):
            return (f"{facts}. Likely cause: XNNPACK's int8 convolution and matrix kernels use them to multiply "
                    "and accumulate four int8 pairs per lane in one instruction, and int8 tensors move 4x fewer "
                    "bytes than float32.")
        return (f"{facts}, yet int8 was not faster here. Likely cause: this model is small, so fixed per-layer "
                "costs (quantizing the input, requantizing every layer's output) weigh more than the cheaper "
                "multiply-adds; other processes sharing the CPU also blur small differences.")
    if direction in ("faster", "slightly faster"):
        return (f"{facts}. Likely cause: int8 tensors move 4x fewer bytes than float32 and more values fit a "
                "vector register, which outweighs the extra instructions for widening int8 products here.")
    return (f"{facts}. Likely cause: without int8 dot-product instructions, XNNPACK widens int8 products to "
            "16 and 32 bits with extra instructions and requantizes every layer's output, which can cost more "
            "than float32's fused multiply-add (FMA); int8 gains most on CPUs with VNNI (x86) or dotprod (ARM).")


def _dynamic_cause(direction: str, machine: MachineInfo) -> str:
    mechanism = ("dynamic range runs hybrid kernels: each layer quantizes its float input on the fly, multiplies "
                 "with the int8 weights and returns float, so there is no requantization of activations between "
                 "layers; on a CPU it can match or beat full integer")
    if direction in ("faster", "slightly faster") and machine.has_int8_dot_product:
        return f"{_cpu_facts(machine)}. Likely cause: {mechanism}, and its int8 products use those instructions."
    if direction in ("slower", "slightly slower"):
        return (f"{_cpu_facts(machine)}. Likely cause: {mechanism}, but quantizing every layer's input at run time "
                "costs time that a model this small does not win back.")
    return f"{_cpu_facts(machine)}. Likely cause: {mechanism}."


def _float16_cause(direction: str, machine: MachineInfo) -> str:
    if machine.has_fp16_arithmetic and machine.architecture == "arm64":
        return ("This CPU has ARMv8.2 fp16 arithmetic. Likely cause: XNNPACK can run fp16 inference here only when the "
                "model carries reduced-precision metadata (converter: target_spec."
                "_experimental_supported_accumulation_type = tf.float16) or the delegate is told to force fp16; a "
                "plain float16 file is dequantized to float32 when the model loads and computes exactly like float32.")
    if machine.has_fp16_arithmetic is None:
        known = "CPU's fp16 features could not be read"
    elif machine.has_fp16_arithmetic:
        known = "CPU has AVX-512 FP16, but XNNPACK's automatic fp16 inference targets ARM CPUs"
    else:
        known = "CPU has no fp16 arithmetic"
    tail = "so float16 buys a smaller file, not speed" if direction == "same" else "so any difference is noise"
    return (f"This {known}. Likely cause: the float16 weights are dequantized to float32 once when the model "
            f"loads and the arithmetic is the same float32 as the reference, {tail}. On ARMv8.2+ CPUs (recent "
            "phones, Apple Silicon) XNNPACK computes in fp16 only if the model carries reduced-precision metadata "
            "or the delegate forces fp16.")


# How an int4 row's file computes, by the row's mode (rows.py): the speed differences follow from it.
_INT4_MECHANISMS = {
    "int4_weights": ("weight-only int4 (the quantizer's weight_only_wi4_afp32) unpacks its 4-bit weights with "
                     "DEQUANTIZE ops in front of float32 kernels; the XNNPACK delegate leaves those ops to LiteRT's "
                     "default kernels, so every run unpacks the weights again and the model is split between the two"),
    "int4_fc_dynamic": ("dynamic int4 has no DEQUANTIZE op: each fully connected layer quantizes its float input to "
                        "int8 at run time and multiplies it with the int4 weights in XNNPACK's hybrid kernels (the "
                        "convolutions do the same with int8 weights), so the arithmetic is integer and the weights "
                        "are read at 4 bits"),
    "keras_int4": ("Keras 3's int4 export stores the codes one per byte with scales and zero points beside them, "
                   "and converts them back to float with CAST/SUB/MUL ops on every run before a float32 kernel"),
}


def _int4_cause(name: str, direction: str) -> str:
    mode = next((row.mode for row in ROWS if row.name == name), "int4_weights")
    cause = f"Likely cause: {_INT4_MECHANISMS.get(mode, _INT4_MECHANISMS['int4_weights'])}."
    if not direction.endswith("faster"):
        cause += " int4 buys a smaller file, not speed, on this runtime."
    return cause


_FIXED_CAUSES = {
    "int16x8": ("Likely cause: 16x8 quantization (int16 activations) has no optimized CPU kernels in XNNPACK or "
                "LiteRT's default set, so it runs on slow reference kernels; it is meant for accuracy on hardware "
                "that supports it, not CPU speed."),
    "sparse_or_clustered_float": ("Likely cause: the model is stored dense: the zeros (pruning) and shared values "
                                  "(clustering) are still multiplied like any weight, so the float32 arithmetic "
                                  "is unchanged; they make the file compress better, not faster."),
    "reference": "",
    "other": "",
}


def speed_explanation(
    name: str,
    speedup_x: float,
    ci_low: float,
    ci_high: float,
    machine: MachineInfo | None = None,
    kind: str | None = None,
) -> str:
    """The likely cause of a row's measured speed, tied to this machine's features ("" for the reference).

    ``kind`` (one of :data:`KINDS`) defaults to :func:`row_kind` of ``name``; ``machine`` to this machine.
    The CPU's features are stated as facts; the mechanism is labelled "Likely cause:".
    """
    machine = machine or machine_info()
    kind = kind or row_kind(name)
    if kind not in KINDS:
        raise ValueError(f"Unknown row kind {kind!r}. Valid kinds: {', '.join(KINDS)}.")
    direction = speed_direction(speedup_x, ci_low, ci_high)
    if direction == "not measured":
        return ""
    if kind == "int8":
        return _int8_cause(direction, machine)
    if kind == "dynamic_range":
        return _dynamic_cause(direction, machine)
    if kind == "float16":
        return _float16_cause(direction, machine)
    if kind == "int4":
        return _int4_cause(name, direction)
    cause = _FIXED_CAUSES[kind]
    if kind == "sparse_or_clustered_float" and direction != "same":
        cause += " A difference from float32 here is then more likely noise from other processes than the technique."
    return cause


SPEED_COLUMNS = ("speedup_x", "speedup_ci_low", "speedup_ci_high")


def explain_speeds(
    table: pd.DataFrame, machine: MachineInfo | None = None, reference: str = "float32"
) -> pd.DataFrame:
    """Per row of a comparison table: ``verdict`` (the measured fact) and ``likely_cause`` (tied to the CPU).

    ``table`` needs the columns speedup_x, speedup_ci_low and speedup_ci_high (``run_comparison(...).table``
    or ``benchmark_latency``'s output); rows without latency get "latency not measured".
    """
    missing = [column for column in SPEED_COLUMNS if column not in table.columns]
    if missing:
        raise ValueError(
            f"explain_speeds needs the columns {', '.join(SPEED_COLUMNS)}; missing {', '.join(missing)}. "
            "Fix: pass run_comparison(...).table measured with measure_latency=True, or benchmark_latency's output."
        )
    machine = machine or machine_info()
    records = {}
    for name, row in table.iterrows():
        values = tuple(float(row[column]) for column in SPEED_COLUMNS)
        records[name] = {
            "verdict": speed_verdict(str(name), *values, reference=reference),
            "likely_cause": speed_explanation(str(name), *values, machine=machine),
        }
    result = pd.DataFrame.from_dict(records, orient="index", columns=["verdict", "likely_cause"])
    result.index.name = table.index.name
    result.attrs["machine"] = str(machine)
    return result
