"""The clustering plots, the fine-tuning recorder, the GIF writer and the cluster-count widget."""

from __future__ import annotations

import hashlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

import workshop_utils as wu  # noqa: E402, F401  (switches TensorFlow to tf_keras first)
from workshop_utils.teaching.viz import clustering as cviz  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _snap(values: np.ndarray, k: int) -> np.ndarray:
    centroids = np.linspace(values.min(), values.max(), k)
    return centroids[np.abs(values[..., None] - centroids).argmin(axis=-1)]


@pytest.fixture()
def kernel() -> np.ndarray:
    return np.random.default_rng(0).normal(0, 0.05, size=(40, 16)).astype(np.float32)


@pytest.fixture()
def history() -> cviz.ClusteringHistory:
    """A synthetic recording: 50 weights, 4 clusters, 5 snapshots in which the centroids drift apart."""
    rng = np.random.default_rng(0)
    original = rng.normal(0, 1, 50).astype(np.float32)
    base = np.linspace(original.min(), original.max(), 4)
    centroids = np.stack([base * (1 + 0.02 * t) for t in range(5)])
    latent = np.stack([original + 0.01 * t for t in range(5)])
    indices = np.stack([np.abs(latent[t][:, None] - centroids[t]).argmin(axis=1) for t in range(5)])
    return cviz.ClusteringHistory("dense", np.arange(0, 25, 5), original, latent, indices, centroids,
                                  total_weights=500, loss=np.linspace(1, 0.5, 5))


@pytest.fixture()
def sweep() -> pd.DataFrame:
    return pd.DataFrame({"clusters": [4, 8, 16], "zipped_bytes": [50_000, 90_000, 130_000],
                         "accuracy": [0.95, 0.96, 0.965]})


# ---------------------------------------------------------------------------------------------- colours


def test_cluster_colors_one_rgb_per_cluster():
    for k in (1, 16, 20, 64):
        colors = cviz.cluster_colors(k)
        assert colors.shape == (k, 3)
        assert ((colors >= 0) & (colors <= 1)).all()
    assert not np.allclose(cviz.cluster_colors(16)[0], cviz.cluster_colors(16)[1]), "neighbours differ"


def test_cluster_colors_rejects_zero():
    with pytest.raises(ValueError, match="at least 1"):
        cviz.cluster_colors(0)


# ---------------------------------------------------------------------------------------------- histograms


def test_plot_weight_histograms(kernel):
    fig = cviz.plot_weight_histograms(kernel, _snap(kernel, 8), title="t")
    assert isinstance(fig, Figure)
    left, right = fig.axes
    assert "8 distinct values" in right.get_title()
    assert f"{kernel.size:,} weights" in left.get_title()


def test_plot_weight_histograms_bad_input(kernel):
    with pytest.raises(ValueError, match="same kernel"):
        cviz.plot_weight_histograms(kernel, kernel[:10])
    with pytest.raises(ValueError, match="empty"):
        cviz.plot_weight_histograms([], [])
    with pytest.raises(TypeError, match="numeric"):
        cviz.plot_weight_histograms(np.array(["a"]), np.array(["b"]))
    with pytest.raises(ValueError, match="bins"):
        cviz.plot_weight_histograms(kernel, kernel, bins=1)


# ---------------------------------------------------------------------------------------------- unique values


def test_plot_unique_values_draws_limit():
    counts = pd.DataFrame({"baseline": [288, 18_430], "clustered": [16, 16]}, index=["conv1", "conv2"])
    fig = cviz.plot_unique_values(counts, number_of_clusters=16)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert len(ax.patches) == 4  # 2 layers x 2 models
    assert any("16" in text.get_text() for text in ax.get_legend().get_texts())


def test_plot_unique_values_bad_input():
    with pytest.raises(TypeError, match="DataFrame"):
        cviz.plot_unique_values({"a": [1]})
    with pytest.raises(ValueError, match="empty"):
        cviz.plot_unique_values(pd.DataFrame())
    with pytest.raises(ValueError, match="non-negative"):
        cviz.plot_unique_values(pd.DataFrame({"a": [1, None]}, index=["x", "y"]))


# ---------------------------------------------------------------------------------------------- sweep


def test_plot_cluster_sweep_one_curve_per_model(sweep):
    both = pd.concat([sweep.assign(model="clustered"), sweep.assign(model="clustered + int8",
                                                                    zipped_bytes=sweep.zipped_bytes // 2)])
    fig = cviz.plot_cluster_sweep(both, reference={"float32": (800_000, 0.97)})
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert labels == ["clustered", "clustered + int8", "float32"]


def test_plot_cluster_sweep_bad_input(sweep):
    with pytest.raises(TypeError, match="DataFrame"):
        cviz.plot_cluster_sweep([1, 2])
    with pytest.raises(ValueError, match="lacks the columns"):
        cviz.plot_cluster_sweep(sweep.drop(columns="accuracy"))
    with pytest.raises(ValueError, match="empty"):
        cviz.plot_cluster_sweep(sweep.iloc[:0])


# ---------------------------------------------------------------------------------------------- history + GIF


def test_history_derived_values(history):
    assert history.number_of_clusters == 4
    assert history.clustered.shape == (5, 50)
    assert set(np.unique(history.clustered[0])) <= set(history.centroids[0])
    summary = history.summary()
    assert list(summary.index) == [0, 5, 10, 15, 20]
    assert summary.max_centroid_shift.iloc[0] == 0 and summary.max_centroid_shift.is_monotonic_increasing
    assert (summary.distinct_values <= 4).all()


def test_history_rejects_inconsistent_shapes(history):
    with pytest.raises(ValueError, match="Shapes disagree"):
        cviz.ClusteringHistory("d", history.steps, history.original, history.latent[:, :10], history.indices,
                               history.centroids, 50)
    with pytest.raises(ValueError, match="indices must lie"):
        cviz.ClusteringHistory("d", history.steps, history.original, history.latent, history.indices + 4,
                               history.centroids, 50)
    with pytest.raises(ValueError, match="centroids must have shape"):
        cviz.ClusteringHistory("d", history.steps, history.original, history.latent, history.indices,
                               history.centroids[0], 50)
    with pytest.raises(ValueError, match="loss"):
        cviz.ClusteringHistory("d", history.steps, history.original, history.latent, history.indices,
                               history.centroids, 50, loss=[1.0])


def test_gif_is_multi_frame_and_deterministic(history, tmp_path):
    first = cviz.write_clustering_gif(history, tmp_path / "a" / "anim.gif", snap_frames=3, hold_frames=2, dpi=40)
    second = cviz.write_clustering_gif(history, tmp_path / "anim2.gif", snap_frames=3, hold_frames=2, dpi=40)
    assert first.exists(), "the writer creates missing folders"
    with Image.open(first) as image:
        assert image.format == "GIF"
        assert image.n_frames > 5  # start + 3 snap frames + 5 training snapshots (+ end)
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (first, second)]
    assert digest[0] == digest[1], "the same history must give the same bytes"


def test_gif_bad_input(history, tmp_path):
    with pytest.raises(TypeError, match="ClusteringHistory"):
        cviz.write_clustering_gif({"steps": []}, tmp_path / "x.gif")
    with pytest.raises(ValueError, match=r"\.gif"):
        cviz.write_clustering_gif(history, tmp_path / "x.png")
    with pytest.raises(ValueError, match="fps"):
        cviz.write_clustering_gif(history, tmp_path / "x.gif", fps=0)


# ---------------------------------------------------------------------------------------------- recorder


def _clustered_tiny_model(k: int = 4):
    import tensorflow_model_optimization as tfmot
    import tf_keras as keras

    wu.set_seeds(0)
    model = keras.Sequential([keras.layers.InputLayer(input_shape=(8,)),
                              keras.layers.Dense(16, activation="relu", name="hidden"),
                              keras.layers.Dense(3, name="out")])
    wrapped = tfmot.clustering.keras.cluster_weights(
        model, number_of_clusters=k, cluster_centroids_init=tfmot.clustering.keras.CentroidInitialization.LINEAR)
    wrapped.compile(optimizer=keras.optimizers.Adam(1e-2),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return wrapped


def test_recorder_follows_a_layer_during_fit():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 8)).astype(np.float32), rng.integers(0, 3, 64)
    model = _clustered_tiny_model()
    recorder = cviz.ClusteringRecorder("hidden", every=2, max_points=50)
    model.fit(x, y, epochs=1, batch_size=8, callbacks=[recorder], verbose=0)  # 8 steps
    history = recorder.history
    assert list(history.steps) == [0, 2, 4, 6, 8]
    assert history.latent.shape == (5, 50) and history.total_weights == 128
    assert history.centroids.shape == (5, 4)
    assert np.isnan(history.loss[0]) and np.isfinite(history.loss[1:]).all()
    assert not np.allclose(history.centroids[0], history.centroids[-1]), "training moves the centroids"
    assert (history.summary().distinct_values <= 4).all()


def test_recorder_bad_input():
    with pytest.raises(ValueError, match="every"):
        cviz.ClusteringRecorder("hidden", every=0)
    with pytest.raises(ValueError, match="max_points"):
        cviz.ClusteringRecorder("hidden", max_points=0)
    with pytest.raises(RuntimeError, match="Nothing recorded"):
        _ = cviz.ClusteringRecorder("hidden").history
    x, y = np.zeros((8, 8), np.float32), np.zeros(8, np.int64)
    with pytest.raises(ValueError, match="No clustered layer named 'nope'.*hidden, out"):
        _clustered_tiny_model().fit(x, y, epochs=1, callbacks=[cviz.ClusteringRecorder("nope")], verbose=0)


# ---------------------------------------------------------------------------------------------- widget


def test_explorer_update_without_browser(sweep, kernel):
    kernels = {n: _snap(kernel, n) for n in sweep.clusters}
    explorer = cviz.ClusterExplorer(sweep, kernels, original=kernel, reference={"float32": (800_000, 0.97)},
                                    layer="dense")
    fig = explorer.update(4)
    assert isinstance(fig, Figure)
    assert explorer.slider.value == 4
    assert "4 clusters" in explorer.summary.value
    assert "4 distinct values" in fig.axes[0].get_title()
    explorer.slider.value = 16  # what moving the slider does
    assert "16 clusters" in explorer.summary.value and explorer.figure is not fig


def test_explorer_bad_input(sweep, kernel):
    kernels = {n: _snap(kernel, n) for n in sweep.clusters}
    with pytest.raises(ValueError, match="one clustered kernel per row"):
        cviz.ClusterExplorer(sweep, {4: kernels[4]})
    with pytest.raises(ValueError, match="one curve"):
        cviz.ClusterExplorer(sweep.assign(model="x"), kernels)
    explorer = cviz.ClusterExplorer(sweep, kernels)
    with pytest.raises(ValueError, match="choose one of"):
        explorer.update(5)
