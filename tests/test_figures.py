"""The workshop figures: deterministic, valid images, committed copies up to date, show_figure errors."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter
from matplotlib.figure import Figure
from PIL import Image

from workshop_utils.core.support import load_matrix
from workshop_utils.teaching import figures

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = {
    "quantization_methods.png": "PNG",
    "affine_int8_mapping.png": "PNG",
    "dense_vs_pruned.png": "PNG",
    "clustering.png": "PNG",
    "collaborative_optimization.png": "PNG",
    "clustering.gif": "GIF",
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Path]]:
    """Two independent generations (the slow part, shared by the tests below)."""
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    written = figures.generate_all(first)
    figures.generate_all(second)
    return first, second, written


def test_generate_all_writes_every_figure_and_the_manifest(generated):
    first, _, written = generated
    assert {p.name for p in written} == {*EXPECTED, figures.MANIFEST_NAME}
    assert all(p.parent == first for p in written)
    assert sorted(p.name for p in first.iterdir()) == sorted(p.name for p in written), "temporary files left"


def test_generation_is_byte_identical(generated):
    first, second, _ = generated
    for name in [*EXPECTED, figures.MANIFEST_NAME]:
        assert (first / name).read_bytes() == (second / name).read_bytes(), f"{name} differs between two runs"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_file_is_a_valid_image(generated, name):
    path = generated[0] / name
    with Image.open(path) as image:
        assert image.format == EXPECTED[name]
        image.verify()
    with Image.open(path) as image:
        width, height = image.size
        assert 600 <= width <= 1600 and 300 <= height <= 1200, f"{name} is {width}x{height}"
        assert "Software" not in image.info and "Creation Time" not in image.info


def test_gif_is_animated_and_small(generated):
    path = generated[0] / "clustering.gif"
    assert path.stat().st_size < 1.5e6
    with Image.open(path) as gif:
        assert gif.n_frames >= 10
        assert gif.info.get("loop") == 0, "the animation should loop forever"


def test_manifest_records_stack_and_hashes(generated):
    first, _, _ = generated
    manifest = json.loads((first / figures.MANIFEST_NAME).read_text())
    assert manifest["rendering_stack"] == figures.rendering_stack()
    for name in EXPECTED:
        assert manifest["sha256"][name] == hashlib.sha256((first / name).read_bytes()).hexdigest()


def pinned_rendering_stack() -> dict[str, str]:
    """matplotlib's and pillow's pins in requirements.txt for the Python CI runs (Python 3.10 gets older ones)."""
    from packaging.requirements import Requirement

    python = load_matrix()["tested"]
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split(" #")[0].strip()
        if line.startswith(("matplotlib", "pillow")):
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"python_version": python}):
                pins[requirement.name] = str(requirement.specifier).removeprefix("==")
    return pins


def test_committed_images_were_rendered_with_the_pinned_set():
    manifest = json.loads((figures.IMAGES_DIR / figures.MANIFEST_NAME).read_text())
    stack = {name: manifest["rendering_stack"][name] for name in ("matplotlib", "pillow")}
    assert stack == pinned_rendering_stack(), (
        f"images/ was rendered with {stack}, requirements.txt pins {pinned_rendering_stack()}: install the pins "
        f"and run `{figures.REGENERATE_HINT}`")


def test_committed_images_match_a_fresh_generation(generated):
    committed = figures.IMAGES_DIR
    manifest_path = committed / figures.MANIFEST_NAME
    assert manifest_path.is_file(), f"images/ was never generated: run `{figures.REGENERATE_HINT}`"
    manifest = json.loads(manifest_path.read_text())
    for name in EXPECTED:
        assert (committed / name).is_file(), f"images/{name} is missing: run `{figures.REGENERATE_HINT}`"
        digest = hashlib.sha256((committed / name).read_bytes()).hexdigest()
        assert manifest["sha256"].get(name) == digest, (
            f"images/{name} was edited by hand or the manifest is stale: run `{figures.REGENERATE_HINT}`"
        )
    here = {name: figures.rendering_stack()[name] for name in ("matplotlib", "pillow")}
    if here != pinned_rendering_stack():
        pytest.skip(
            f"this environment has {here}, not requirements.txt's pinned rendering set {pinned_rendering_stack()} "
            f"(Python 3.10 gets older releases): the byte-identical figures are checked on the pinned set only."
        )
    if manifest["rendering_stack"] != figures.rendering_stack():
        pytest.skip(
            f"images/ was rendered with {manifest['rendering_stack']}, this environment has "
            f"{figures.rendering_stack()}: font rasterization differs, so bytes cannot be compared here."
        )
    for name in EXPECTED:
        assert (committed / name).read_bytes() == (generated[0] / name).read_bytes(), (
            f"images/{name} is stale (figures.py changed since it was generated): run `{figures.REGENERATE_HINT}`"
        )


@pytest.mark.parametrize("build", list(figures.PNG_FIGURES.values()), ids=list(figures.PNG_FIGURES))
def test_figure_functions_return_figures_without_pyplot(build):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = build()
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before, "figures must not be registered with pyplot (double display)"


def test_figures_do_not_change_global_rcparams():
    import matplotlib as mpl

    before = dict(mpl.rcParams)
    figures.dense_vs_pruned_figure()
    assert dict(mpl.rcParams) == before


def test_show_figure_returns_an_ipython_image():
    from IPython.display import Image as IPyImage

    shown = figures.show_figure("dense_vs_pruned.png")
    assert isinstance(shown, IPyImage)
    assert shown.data[:8] == b"\x89PNG\r\n\x1a\n"
    animation = figures.show_figure("clustering.gif", width=500)  # HTML: nbconvert's HTML drops image/gif
    gif = base64.b64encode((figures.IMAGES_DIR / "clustering.gif").read_bytes()).decode()
    assert f'src="data:image/gif;base64,{gif}"' in animation.data and 'width="500"' in animation.data
    bundle, _ = DisplayFormatter().format(animation)
    assert "text/html" in bundle and "image/gif" not in bundle


def test_show_figure_accepts_a_path_to_any_gif(tmp_path):
    gif = tmp_path / "mine.gif"
    gif.write_bytes((figures.IMAGES_DIR / "clustering.gif").read_bytes())
    assert base64.b64encode(gif.read_bytes()).decode() in figures.show_figure(gif).data
    with pytest.raises(FileNotFoundError, match="existing PNG or GIF"):
        figures.show_figure(tmp_path / "missing.gif")


def test_show_figure_missing_names_the_fix():
    with pytest.raises(FileNotFoundError, match="python -m workshop_utils figures"):
        figures.show_figure("no_such_figure.png")


@pytest.mark.parametrize("bad", ["images/pruning.png", "../clustering.png", ""])
def test_show_figure_rejects_paths(bad):
    with pytest.raises(ValueError, match="file name"):
        figures.show_figure(bad)


def test_main_passes_out_dir(monkeypatch, tmp_path, capsys):
    calls = []

    def fake_generate_all(out_dir):
        calls.append(Path(out_dir))
        path = Path(out_dir) / "x.png"
        path.write_bytes(b"x")
        return [path]

    monkeypatch.setattr(figures, "generate_all", fake_generate_all)
    assert figures.main(["--out-dir", str(tmp_path)]) == 0
    assert calls == [tmp_path]
    assert "x.png" in capsys.readouterr().out


def test_main_without_arguments_ignores_sys_argv(monkeypatch):
    """``python -m workshop_utils figures`` calls main(): the subcommand name must not be parsed."""
    calls = []
    monkeypatch.setattr(figures, "generate_all", lambda out_dir: calls.append(Path(out_dir)) or [])
    monkeypatch.setattr("sys.argv", ["python -m workshop_utils", "figures"])
    assert figures.main() == 0
    assert calls == [figures.IMAGES_DIR]


def test_main_rejects_unknown_options():
    with pytest.raises(SystemExit):
        figures.main(["--colour", "pink"])


def test_affine_int8_params():
    scale, zero_point = figures.affine_int8_params(-1.0, 3.0)
    assert scale == pytest.approx(4 / 255)
    assert zero_point == -64
    assert round(0.0 / scale) + zero_point == zero_point  # real 0 is exact
    scale, zero_point = figures.affine_int8_params(0.5, 2.0)  # range widened to contain 0
    assert zero_point == -128 and scale == pytest.approx(2 / 255)
    with pytest.raises(ValueError, match="r_min < r_max"):
        figures.affine_int8_params(0.0, 0.0)
    with pytest.raises(ValueError, match="example must lie"):
        figures.affine_int8_mapping_figure(example=5.0)


def test_magnitude_prune():
    weights = np.array([[0.1, -0.5], [0.3, -0.05]])
    pruned = figures.magnitude_prune(weights, 0.5)
    np.testing.assert_array_equal(pruned, [[0.0, -0.5], [0.3, 0.0]])
    assert weights[0, 0] == 0.1, "the input must not be modified"
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        figures.magnitude_prune(weights, 1.0)


def test_kmeans_1d_converges_to_k_values():
    values = np.array([0.0, 0.1, 0.2, 5.0, 5.1, 5.2])
    centroids, labels = figures.kmeans_1d(values, 2)[-1]
    np.testing.assert_allclose(centroids, [0.1, 5.1])
    np.testing.assert_array_equal(labels, [0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="k must be between"):
        figures.kmeans_1d(values, 0)
