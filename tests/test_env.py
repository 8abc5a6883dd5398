import subprocess
import sys

import pytest

import workshop_utils as wu
from workshop_utils.check import environment
from workshop_utils.core import env


def test_tf_keras_is_active():
    assert env.keras_major_version() == 2


def test_check_environment_reports_versions(capsys):
    report = wu.check_environment()
    assert report.ok, report.problems
    assert report.versions["tensorflow"] and report.versions["tf-keras"]
    out = capsys.readouterr().out
    assert "Environment OK" in out
    assert f"Machine: {wu.machine_info()}" in out and report.machine == str(wu.machine_info())


def test_check_environment_flags_mismatched_tf_keras(monkeypatch):
    real = environment._version
    monkeypatch.setattr(environment, "_version", lambda name: "2.15.0" if name == "tf-keras" else real(name))
    report = wu.check_environment(verbose=False)
    assert not report.ok
    assert any("tf-keras 2.15.0 does not match" in p and "pip install" in p for p in report.problems)


def test_fast_and_offline_switches(monkeypatch):
    monkeypatch.setenv("WORKSHOP_FAST", "1")
    assert wu.fast_mode()
    monkeypatch.setenv("WORKSHOP_FAST", "0")
    assert not wu.fast_mode()
    monkeypatch.delenv("WORKSHOP_OFFLINE", raising=False)
    assert not env.offline_mode()


def test_import_after_keras3_tensorflow_raises_clear_error():
    code = (
        "import os; os.environ.pop('TF_USE_LEGACY_KERAS', None)\n"
        "import tensorflow\n"
        "import workshop_utils\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env={k: v for k, v in __import__("os").environ.items() if k != "TF_USE_LEGACY_KERAS"})
    assert result.returncode != 0
    assert "KerasVersionError" in result.stderr
    assert "restart the kernel" in result.stderr


def test_import_first_switches_to_tf_keras():
    code = "import workshop_utils, tensorflow as tf; print(tf.keras.__name__)"
    env_vars = {k: v for k, v in __import__("os").environ.items() if k != "TF_USE_LEGACY_KERAS"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env_vars)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("tf_keras")


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("", False), ("no", False)])
def test_truthy(value, expected):
    assert env._truthy(value) is expected
