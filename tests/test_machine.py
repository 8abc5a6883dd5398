import json

import pytest

import workshop_utils as wu
from workshop_utils.measurement import machine
from workshop_utils.measurement.machine import MachineInfo, features_from_flags, normalize_architecture

INTEL_VNNI = {"avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16"}
AMD_AVX2 = {"avx", "avx2", "fma", "sse4_2"}
ARM_DOTPROD = {"fp", "asimd", "asimdhp", "asimddp", "i8mm"}


def _info(architecture: str, flags: set[str] | None) -> MachineInfo:
    return MachineInfo("Test CPU", architecture, 4, features_from_flags(architecture, flags), "2.21.0", "2.3.0", "on")


@pytest.mark.parametrize(("raw", "expected"), [("AMD64", "x86_64"), ("x86_64", "x86_64"), ("aarch64", "arm64"),
                                               ("arm64", "arm64"), ("riscv64", "riscv64")])
def test_normalize_architecture(raw, expected):
    assert normalize_architecture(raw) == expected


def test_intel_with_vnni():
    info = _info("x86_64", INTEL_VNNI)
    assert info.has_int8_dot_product is True
    assert info.has_fp16_arithmetic is False
    assert info.features["AVX-VNNI"] is False and info.features["AVX-512 VNNI"] is True
    assert "AVX-512 VNNI" in str(info) and "no VNNI" not in str(info)


def test_amd_avx2_only():
    info = _info("x86_64", AMD_AVX2)
    assert info.has_int8_dot_product is False
    assert info.present() == ["AVX2", "FMA"]
    stamp = str(info)
    assert stamp.startswith("Test CPU (x86_64, 4 cores; AVX2 FMA; no VNNI)")
    assert "TF 2.21.0" in stamp and "LiteRT 2.3.0" in stamp and "XNNPACK on" in stamp


def test_arm64_dotprod_and_fp16():
    info = _info("arm64", ARM_DOTPROD)
    assert info.has_int8_dot_product is True
    assert info.has_fp16_arithmetic is True
    assert set(info.features) == {"dotprod", "i8mm", "fp16"}
    assert all(info.features.values())


def test_arm64_without_dotprod():
    info = _info("arm64", {"fp", "asimd"})
    assert info.has_int8_dot_product is False and info.has_fp16_arithmetic is False


def test_unknown_features_are_none_not_false():
    info = _info("x86_64", None)
    assert set(info.features.values()) == {None}
    assert info.has_int8_dot_product is None and info.has_fp16_arithmetic is None
    assert "features unknown" in str(info)


def test_other_architecture_has_no_feature_table():
    info = _info("riscv64", {"rv64imafdc"})
    assert info.features == {}
    assert info.has_int8_dot_product is None
    assert "no int8/fp16 feature table" in str(info)


def test_proc_cpuinfo_parser(tmp_path):
    text = "processor\t: 0\nmodel name\t: Example CPU @ 2GHz\nflags\t\t: fpu avx2 fma avx_vnni\n\nprocessor\t: 1\n"
    path = tmp_path / "cpuinfo"
    path.write_text(text)
    model, flags = machine._read_proc_cpuinfo(str(path))
    assert model == "Example CPU @ 2GHz"
    assert {"avx2", "fma", "avx_vnni"} <= flags
    assert features_from_flags("x86_64", flags)["AVX-VNNI"] is True
    assert machine._read_proc_cpuinfo(str(tmp_path / "missing")) == (None, None)


def test_macos_sysctl_fallback(monkeypatch):
    answers = {"hw.optional.arm.FEAT_DotProd": "1", "hw.optional.arm.FEAT_I8MM": "0"}
    monkeypatch.setattr(machine, "_sysctl", answers.get)
    features = machine._macos_arm_features()
    assert features == {"dotprod": True, "i8mm": False, "fp16": None}


def test_this_machine_is_read_once_and_stamped():
    info = wu.machine_info()
    assert info is wu.machine_info()  # cached per process
    assert info.cores >= 1
    assert info.architecture in str(info) and info.tensorflow in str(info)
    assert info.xnnpack == "on"  # wu.make_interpreter applies XNNPACK by default
    payload = json.loads(json.dumps(info.to_dict()))
    assert payload["stamp"] == str(info)
    if info.architecture in ("x86_64", "arm64"):
        assert info.features, "a known architecture lists its features"
