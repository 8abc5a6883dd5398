import math

import pandas as pd
import pytest

import workshop_utils as wu
from workshop_utils.measurement.machine import MachineInfo, features_from_flags
from workshop_utils.report.verdicts import (
    explain_speeds,
    row_kind,
    speed_direction,
    speed_explanation,
    speed_verdict,
)

NAN = math.nan


def _machine(architecture: str, flags: set[str] | None) -> MachineInfo:
    return MachineInfo("Test CPU", architecture, 2, features_from_flags(architecture, flags), "2.21.0", "2.3.0", "on")


INTEL_VNNI = _machine("x86_64", {"avx2", "fma", "avx512f", "avx512_vnni"})
AMD_AVX2 = _machine("x86_64", {"avx2", "fma"})
ARM_DOTPROD = _machine("arm64", {"asimd", "asimddp", "asimdhp"})
ARM_PLAIN = _machine("arm64", {"asimd"})
UNKNOWN = _machine("x86_64", None)

# (speedup, low, high) for int8 faster, equal and slower than float32
FASTER, EQUAL, SLOWER = (2.5, 2.4, 2.6), (0.99, 0.9, 1.08), (0.68, 0.66, 0.72)


def _table(**rows: tuple[float, float, float]) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["speedup_x", "speedup_ci_low", "speedup_ci_high"])
    frame.index.name = "technique"
    return frame


@pytest.mark.parametrize(("values", "direction"), [
    (FASTER, "faster"), (EQUAL, "same"), (SLOWER, "slower"), ((1.02, 1.01, 1.03), "slightly faster"),
    ((0.98, 0.97, 0.99), "slightly slower"), ((NAN, NAN, NAN), "not measured"),
])
def test_speed_direction_follows_the_interval(values, direction):
    assert speed_direction(*values) == direction


def test_verdict_states_the_measured_numbers_and_direction():
    slower = speed_verdict("full_integer", *SLOWER)
    assert slower == "full_integer ran at 0.68x float32's speed [0.66, 0.72]: slower on this machine."
    assert speed_verdict("full_integer", *FASTER).endswith(": faster on this machine.")
    same = speed_verdict("full_integer", *EQUAL)
    assert "the same speed on this machine" in same and "includes 1.00x" in same
    assert "by less than 5%" in speed_verdict("pruned", 1.02, 1.01, 1.03)
    assert speed_verdict("x", NAN, NAN, NAN) == "x: latency not measured."
    assert "reference" in speed_verdict("float32", 1.0, 1.0, 1.0)
    assert "dynamic_range's speed" in speed_verdict("full_integer", *SLOWER, reference="dynamic_range")


@pytest.mark.parametrize("values", [FASTER, EQUAL, SLOWER])
@pytest.mark.parametrize("machine", [INTEL_VNNI, AMD_AVX2, ARM_DOTPROD, ARM_PLAIN, UNKNOWN])
def test_every_explanation_is_labelled_likely(values, machine):
    for name in ("full_integer", "dynamic_range", "float16", "int16x8", "pruned", "qat_int8"):
        text = speed_explanation(name, *values, machine=machine)
        assert "Likely cause:" in text
        assert not any(word in text for word in ("always", "never", "guaranteed"))


def test_int8_slower_without_vnni_names_the_missing_instructions():
    text = speed_explanation("full_integer", *SLOWER, machine=AMD_AVX2)
    facts, cause = text.split("Likely cause:")
    assert "AVX2 and FMA but no VNNI" in facts
    assert "widens int8 products" in cause and "requantizes" in cause and "fused multiply-add" in cause


def test_int8_faster_with_vnni_or_dotprod_credits_them():
    intel = speed_explanation("full_integer", *FASTER, machine=INTEL_VNNI)
    assert "int8 dot-product instructions (AVX-512 VNNI)" in intel
    arm = speed_explanation("pcqat_int8", *FASTER, machine=ARM_DOTPROD)
    assert "(dotprod)" in arm and "four int8 pairs" in arm


def test_int8_not_faster_despite_vnni_does_not_blame_the_cpu():
    text = speed_explanation("full_integer", *SLOWER, machine=INTEL_VNNI)
    assert "yet int8 was not faster here" in text and "fixed per-layer costs" in text


def test_int8_faster_without_vnni_gives_another_cause():
    text = speed_explanation("full_integer", *FASTER, machine=AMD_AVX2)
    assert "no VNNI" in text and "fewer bytes" in text


def test_unknown_features_say_so():
    text = speed_explanation("full_integer", *SLOWER, machine=UNKNOWN)
    assert text.startswith("This CPU's instruction-set features could not be read.")


def test_dynamic_range_mentions_hybrid_kernels():
    text = speed_explanation("dynamic_range", *EQUAL, machine=AMD_AVX2)
    assert "hybrid kernels" in text and "no requantization of activations" in text


def test_float16_depends_on_fp16_arithmetic():
    x86 = speed_explanation("float16", *EQUAL, machine=AMD_AVX2)
    assert "no fp16 arithmetic" in x86 and "dequantized to float32" in x86 and "smaller file" in x86
    arm = speed_explanation("float16", *EQUAL, machine=ARM_DOTPROD)
    assert "ARMv8.2 fp16 arithmetic" in arm and "XNNPACK can run fp16 inference" in arm


def test_int16x8_and_dense_float_rows():
    assert "reference kernels" in speed_explanation("int16x8", 0.03, 0.02, 0.04, machine=AMD_AVX2)
    dense = speed_explanation("clustered", *EQUAL, machine=AMD_AVX2)
    assert "stored dense" in dense and "noise" not in dense
    assert "noise" in speed_explanation("pruned", *SLOWER, machine=AMD_AVX2)


def test_int4_cause_follows_the_direction():
    slow = speed_explanation("int4_weight_only", 0.2, 0.19, 0.22, machine=AMD_AVX2)
    assert "DEQUANTIZE ops in front" in slow and "smaller file, not speed" in slow
    fast = speed_explanation("int4_weights", *FASTER, machine=AMD_AVX2)
    assert "dynamic int4" in fast and "smaller file, not speed" not in fast
    assert "CAST/SUB/MUL" in speed_explanation("keras_int4", *SLOWER, machine=AMD_AVX2)


def test_reference_and_unmeasured_rows_have_no_cause():
    assert speed_explanation("float32", 1.0, 1.0, 1.0, machine=AMD_AVX2) == ""
    assert speed_explanation("full_integer", NAN, NAN, NAN, machine=AMD_AVX2) == ""
    with pytest.raises(ValueError, match="Unknown row kind 'warp'"):
        speed_explanation("x", *EQUAL, machine=AMD_AVX2, kind="warp")


@pytest.mark.parametrize(("name", "kind"), [
    ("float32", "reference"), ("dynamic_range", "dynamic_range"), ("full_integer", "int8"), ("qat_int8", "int8"),
    ("pcqat_int8", "int8"), ("float16", "float16"), ("int16x8", "int16x8"), ("pruned", "sparse_or_clustered_float"),
    ("clustered", "sparse_or_clustered_float"), ("my_int8_model", "int8"), ("int4_weights", "int4"),
    ("mystery", "other"),
])
def test_row_kind(name, kind):
    assert row_kind(name) == kind


def test_explain_speeds_on_synthetic_tables():
    table = _table(float32=(1.0, 1.0, 1.0), dynamic_range=EQUAL, full_integer=SLOWER, float16=EQUAL,
                   qat_int8=FASTER, pruned=(NAN, NAN, NAN))
    avx2 = explain_speeds(table, machine=AMD_AVX2)
    assert list(avx2.columns) == ["verdict", "likely_cause"]
    assert list(avx2.index) == list(table.index) and avx2.index.name == "technique"
    assert avx2.loc["full_integer", "verdict"].endswith("slower on this machine.")
    assert avx2.loc["qat_int8", "verdict"].endswith("faster on this machine.")
    assert "no VNNI" in avx2.loc["full_integer", "likely_cause"]
    assert avx2.loc["pruned", "verdict"] == "pruned: latency not measured."
    assert avx2.attrs["machine"] == str(AMD_AVX2)
    vnni = explain_speeds(table, machine=INTEL_VNNI)
    assert (vnni["verdict"] == avx2["verdict"]).all()  # the fact does not depend on the machine's features
    assert vnni.loc["full_integer", "likely_cause"] != avx2.loc["full_integer", "likely_cause"]


def test_explain_speeds_needs_the_speed_columns():
    with pytest.raises(ValueError, match="missing speedup_ci_low, speedup_ci_high"):
        explain_speeds(pd.DataFrame({"speedup_x": [1.0]}), machine=AMD_AVX2)


def test_exported_names():
    assert wu.speed_verdict is speed_verdict and wu.explain_speeds is explain_speeds
    assert wu.speed_explanation is speed_explanation
