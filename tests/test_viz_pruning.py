"""Pruning plots and the sparsity slider: they draw what they are given and reject bad input clearly."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from workshop_utils.teaching.viz import pruning as pviz  # noqa: E402

SPARSITIES = (0.5, 0.8)


def _pruned(kernel: np.ndarray, sparsity: float) -> np.ndarray:
    threshold = np.quantile(np.abs(kernel), sparsity)
    return np.where(np.abs(kernel) > threshold, kernel, 0.0)


@pytest.fixture()
def kernels() -> dict[float, np.ndarray]:
    dense = np.random.default_rng(0).normal(size=(3, 3, 8, 16))
    return {s: _pruned(dense, s) for s in SPARSITIES}


@pytest.fixture()
def sweep() -> pd.DataFrame:
    rows = [
        {"sparsity": s, "conversion": conversion, "zipped_bytes": size * (1 - s), "accuracy": accuracy - s / 20}
        for s in SPARSITIES
        for conversion, size, accuracy in (("float32", 800_000, 0.97), ("full_integer", 200_000, 0.96))
    ]
    return pd.DataFrame(rows)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_kernel_2d_flattens_all_but_the_output_axis():
    assert pviz.kernel_2d(np.zeros((3, 3, 8, 16))).shape == (72, 16)
    assert pviz.kernel_2d(np.ones((5, 4))).shape == (5, 4)


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (np.zeros(5), ValueError, "rank >= 2"),
        (np.zeros((0, 3)), ValueError, "empty"),
        (np.array([["a", "b"]]), TypeError, "numeric"),
    ],
)
def test_kernel_2d_rejects_bad_kernels(bad, error, message):
    with pytest.raises(error, match=message):
        pviz.kernel_2d(bad)


def test_plot_kernel_zeros_draws_zeros_as_masked_cells(kernels):
    fig = pviz.plot_kernel_zeros({"dense": kernels[0.5] + 10.0, "pruned": kernels[0.8]}, max_inputs=40, group=4)
    assert isinstance(fig, Figure)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2
    dense, pruned = (np.ma.getmaskarray(image.get_array()) for image in images)
    assert dense.shape == (40, 16), "the crop keeps the first max_inputs rows"
    assert not dense.any(), "a kernel without zeros has no masked (white) cell"
    expected = pviz.kernel_2d(kernels[0.8])[:40] == 0
    np.testing.assert_array_equal(pruned, expected)
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert "0% zeros" in titles[0] and "80% zeros" in titles[1] and "first 40x16 of 72x16" in titles[1]
    assert len(fig.axes[0].lines) == 9, "group=4 draws a line between every 4 of the 40 rows"


def test_plot_kernel_zeros_accepts_a_single_array(kernels):
    fig = pviz.plot_kernel_zeros(kernels[0.5], title="one")
    assert sum(bool(ax.images) for ax in fig.axes) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"max_inputs": 0}, "max_inputs"), ({"max_outputs": -1}, "max_outputs"), ({"group": 1}, "group")],
)
def test_plot_kernel_zeros_rejects_bad_options(kernels, kwargs, message):
    with pytest.raises(ValueError, match=message):
        pviz.plot_kernel_zeros(kernels[0.5], **kwargs)


def test_plot_kernel_zeros_rejects_an_empty_dict():
    with pytest.raises(ValueError, match="empty"):
        pviz.plot_kernel_zeros({})


def test_plot_sparsity_sweep_has_a_line_per_conversion_and_reference_stars(sweep):
    fig = pviz.plot_sparsity_sweep(sweep, references={"dense float32": (800_000, 0.97)})
    ax = fig.axes[0]
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [400_000 / 1024, 160_000 / 1024])
    assert ax.get_xscale() == "log"
    assert {t.get_text() for t in ax.texts} >= {"50%", "80%"}
    assert "dense float32" in [t.get_text() for t in ax.get_legend().get_texts()]


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ([1, 2], TypeError, "DataFrame"),
        (pd.DataFrame({"sparsity": [0.5]}), ValueError, "lacks the columns"),
        (pd.DataFrame(columns=list(pviz.SWEEP_COLUMNS)), ValueError, "empty"),
    ],
)
def test_plot_sparsity_sweep_rejects_bad_tables(bad, error, message):
    with pytest.raises(error, match=message):
        pviz.plot_sparsity_sweep(bad)


def test_plot_sparsity_sweep_rejects_bad_references(sweep):
    with pytest.raises(ValueError, match="zipped_bytes, accuracy"):
        pviz.plot_sparsity_sweep(sweep, references={"dense": 5})
    with pytest.raises(TypeError, match="dict name"):
        pviz.plot_sparsity_sweep(sweep, references=[(1, 0.9)])


def test_slider_builds_and_update_changes_what_it_shows(kernels, sweep):
    slider = pviz.sparsity_slider(kernels, sweep, references={"dense float32": (800_000, 0.97)}, layer="conv")
    assert slider.value == 0.5
    assert [value for _, value in slider.slider.options] == list(SPARSITIES)
    first_image, first_text = slider.image.value, slider.label.value
    assert first_image[:8] == b"\x89PNG\r\n\x1a\n"
    assert "50% sparsity" in first_text and "2.0x smaller than dense float32" in first_text

    slider.update(0.8)
    assert slider.value == 0.8 and slider.slider.value == 0.8
    assert slider.image.value != first_image, "a new sparsity shows a new picture"
    assert "80% sparsity" in slider.label.value and "5.0x smaller" in slider.label.value

    slider.slider.value = 0.5  # moving the slider by hand re-renders too
    assert slider.label.value == first_text


def test_slider_figure_shows_the_chosen_kernel(kernels, sweep):
    slider = pviz.sparsity_slider(kernels, sweep)
    fig = slider.figure(0.8)
    mask = np.ma.getmaskarray(fig.axes[0].images[0].get_array())
    np.testing.assert_array_equal(mask, pviz.kernel_2d(kernels[0.8])[:64] == 0)
    sweep_ax = next(ax for ax in fig.axes if ax.get_xscale() == "log")
    assert "circle" in sweep_ax.get_title(loc="left")
    circled = [c.get_offsets() for c in sweep_ax.collections if len(c.get_offsets()) and c.get_sizes()[0] == 160]
    np.testing.assert_allclose(np.concatenate(circled)[:, 0], [160_000 / 1024, 40_000 / 1024])


def test_slider_shows_the_int8_rows_when_asked(kernels, sweep):
    slider = pviz.sparsity_slider(kernels, sweep, conversion="full_integer")
    assert "full_integer" in slider.label.value


def test_slider_rejects_values_it_did_not_precompute(kernels, sweep):
    slider = pviz.sparsity_slider(kernels, sweep)
    with pytest.raises(ValueError, match="not precomputed"):
        slider.update(0.9)


@pytest.mark.parametrize(
    ("kernels_arg", "sweep_kwargs", "message"),
    [
        ({}, {}, "non-empty dict"),
        ({0.9: np.ones((4, 4))}, {}, "No sweep row for sparsity 0.9"),
        ({0.5: np.ones((4, 4))}, {"conversion": "float16"}, "no rows for conversion 'float16'"),
    ],
)
def test_slider_rejects_inconsistent_inputs(sweep, kernels_arg, sweep_kwargs, message):
    with pytest.raises(ValueError, match=message):
        pviz.sparsity_slider(kernels_arg, sweep, **sweep_kwargs)


def test_slider_displays_as_its_widget(kernels, sweep):
    slider = pviz.sparsity_slider(kernels, sweep)
    bundle = slider._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
