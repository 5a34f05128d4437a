"""The plotting helper next to the notebook: right loss grid, floats in its records, headless."""

import importlib.util
import math
import sys

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt

# Other data than the lab's: four hand-made points, exact in float32.
X = torch.tensor([[0.0], [1.0], [2.0], [-1.5]])
Y = torch.tensor([[1.0], [3.0], [4.5], [-2.0]])
W_RANGE, B_RANGE, N = 2.0, 3.0, 5


@pytest.fixture(scope="module")
def helper(repo_root):
    """The module source/mini_batch_gd/error_surfaces.py, imported by path."""
    path = repo_root / "source" / "mini_batch_gd" / "error_surfaces.py"
    spec = importlib.util.spec_from_file_location("error_surfaces_under_test", path)
    module = importlib.util.module_from_spec(spec)
    dont_write, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in source/
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = dont_write
    return module


@pytest.fixture
def surface(helper):
    plt.close("all")
    yield helper.plot_error_surfaces(W_RANGE, B_RANGE, X, Y, n_samples=N, go=False)
    plt.close("all")


def test_grid_spans_the_ranges(surface):
    """Does w vary along the columns over [-w_range, w_range], and b along the rows?"""
    assert surface.w.shape == surface.b.shape == surface.Z.shape == (N, N), (
        f"shapes w {surface.w.shape}, b {surface.b.shape}, Z {surface.Z.shape}, expected {(N, N)}")
    assert np.array_equal(surface.w[0], np.linspace(-W_RANGE, W_RANGE, N)), f"w grid {surface.w}"
    assert np.array_equal(surface.b[:, 0], np.linspace(-B_RANGE, B_RANGE, N)), f"b grid {surface.b}"
    assert surface.x.tolist() == [0.0, 1.0, 2.0, -1.5], f"x flattened to {surface.x}"
    assert surface.y.tolist() == [1.0, 3.0, 4.5, -2.0], f"y flattened to {surface.y}"


@pytest.mark.parametrize("row, column", [(0, 0), (0, 4), (2, 3), (4, 1), (4, 4)])
def test_z_is_the_mean_squared_error(surface, row, column):
    """Is Z at a grid point the mean of (y - (w x + b))^2 over the data?"""
    w, b = surface.w[row, column], surface.b[row, column]
    xs, ys = X.flatten().tolist(), Y.flatten().tolist()
    total = 0.0
    for x, y in zip(xs, ys):
        total += (y - (w * x + b)) ** 2
    expected = total / len(xs)
    assert math.isclose(surface.Z[row, column], expected, rel_tol=1e-12), (
        f"Z[{row}, {column}] (w = {w}, b = {b}) is {surface.Z[row, column]}, expected {expected}")


def test_plot_ps_needs_a_record(surface):
    """Does plot_ps refuse to draw before any set_para_loss?"""
    with pytest.raises(ValueError, match="set_para_loss"):
        surface.plot_ps()
    assert plt.get_fignums() == [], f"figures left open: {plt.get_fignums()}"


def test_records_are_floats_from_tensors(surface):
    """Are w, b and the loss recorded as Python floats when given as tensors?"""
    surface.set_para_loss(torch.tensor(-1.5), torch.tensor([0.25]), torch.tensor(7.0))
    surface.set_para_loss(2, torch.tensor(-3.0, dtype=torch.float64), 0.5)
    records = {"W": surface.W, "B": surface.B, "LOSS": surface.LOSS}
    assert records == {"W": [-1.5, 2.0], "B": [0.25, -3.0], "LOSS": [7.0, 0.5]}, f"{records}"
    types = {name: {type(value) for value in values} for name, values in records.items()}
    assert all(found == {float} for found in types.values()), f"record types: {types}"
    assert surface.n == 2, f"n is {surface.n} after two records"


def test_every_plot_runs_headless_and_closes_its_figure(helper):
    """Does each picture draw without a display and leave no figure open?"""
    plt.close("all")
    surface = helper.plot_error_surfaces(W_RANGE, B_RANGE, X, Y, n_samples=N, go=True)
    assert plt.get_fignums() == [], f"go=True left figures open: {plt.get_fignums()}"
    surface.plot_surface()
    assert plt.get_fignums() == [], f"plot_surface left figures open: {plt.get_fignums()}"
    for step, (w, b) in enumerate([(-2.0, 3.0), (0.0, 1.0), (1.5, 1.0)]):
        loss = float(surface.Z[0, 0]) / (step + 1)
        surface.set_para_loss(torch.tensor(w), torch.tensor(b), torch.tensor(loss))
        surface.plot_ps()
        assert plt.get_fignums() == [], f"plot_ps (step {step}) left figures open"
    surface.final_plot()
    assert plt.get_fignums() == [], f"final_plot left figures open: {plt.get_fignums()}"
    assert surface.n == 3, f"n is {surface.n} after three records"


def test_final_plot_without_a_path_says_why(surface, capsys):
    """With nothing recorded, does final_plot say why and draw no empty picture?"""
    surface.final_plot("Stochastic gradient descent", updates_per_epoch=4)
    printed = capsys.readouterr().out
    assert "no path to draw" in printed and "set_para_loss(w, b)" in printed, printed
    assert plt.get_fignums() == []


def test_final_plot_numbers_each_epoch_on_one_figure(surface, monkeypatch):
    """Does final_plot draw one figure, marking the start and the end of every epoch?"""
    figures = []
    monkeypatch.setattr(type(surface), "_show", staticmethod(figures.append))
    for step in range(2 * 3 + 1):  # two epochs of three updates, and where training ended
        surface.set_para_loss(torch.tensor(-2.0 + step * 0.5), 1.0)
    surface.final_plot("Mini-batch", updates_per_epoch=3)
    assert len(figures) == 1
    contour = figures[0].axes[1]
    assert [text.get_text() for text in contour.texts] == ["0", "1", "2"]
    assert "6 updates" in contour.get_title()
    plt.close("all")


def test_loss_is_computed_when_not_given(surface):
    """Does set_para_loss(w, b) record the loss on the helper's data at (w, b)?"""
    surface.set_para_loss(0.0, 0.0)
    expected = float(np.mean(Y.flatten().numpy() ** 2))
    assert math.isclose(surface.LOSS[0], expected, rel_tol=1e-12), surface.LOSS
