"""The reference implementation the graders compare submissions with."""

import math

import pytest
import torch

from solutions import reference

START = {"w0": -15.0, "b0": -10.0, "lr": 0.1}


def test_make_data_is_the_notebook_recipe():
    """Does make_data() give exactly the notebook's X and Y?"""
    with torch.random.fork_rng():  # the recipe reseeds the global generator; keep ours intact
        torch.manual_seed(1)
        X = torch.arange(-3, 3, 0.1).view(-1, 1)
        Y = 1 * X - 1 + 0.1 * torch.randn(X.size())
    got_X, got_Y = reference.make_data()
    assert got_X.shape == got_Y.shape == (60, 1), f"shapes {got_X.shape}, {got_Y.shape}"
    assert got_X.dtype == got_Y.dtype == torch.float32, f"dtypes {got_X.dtype}, {got_Y.dtype}"
    assert torch.equal(got_X, X), "make_data()'s X differs from torch.arange(-3, 3, 0.1)"
    assert torch.equal(got_Y, Y), (
        f"make_data()'s Y differs from the seeded recipe by up to {(got_Y - Y).abs().max()}")


@pytest.mark.parametrize("epochs, batch_size", [(1, 60), (3, 1), (10, 20), (4, 7)])
def test_train_returns_one_float_per_epoch(epochs, batch_size):
    """Does train return `epochs` losses and the parameters, all Python floats?"""
    X, Y = reference.make_data()
    result = reference.train(X, Y, batch_size=batch_size, epochs=epochs, **START)
    assert len(result.losses) == epochs, f"{len(result.losses)} losses for {epochs} epochs"
    types = {type(value) for value in [*result.losses, result.w, result.b]}
    assert types == {float}, f"losses and parameters have types {types}, expected float"


def test_batch20_converges_to_the_true_line():
    """Does batch size 20 end near slope 1 and bias -1 after 10 epochs?"""
    X, Y = reference.make_data()
    result = reference.train(X, Y, batch_size=20, epochs=10, **START)
    assert abs(result.w - 1) < 0.1 and abs(result.b + 1) < 0.1, (
        f"after 10 epochs w = {result.w}, b = {result.b}; expected near 1 and -1")


@pytest.mark.parametrize("w0, b0", [(-15.0, -10.0), (2.0, 3.0), (0.5, -0.25)])
def test_first_loss_is_the_loss_at_the_start(w0, b0):
    """Is the first recorded loss the MSE at the start parameters, before any update?"""
    X, Y = reference.make_data()
    result = reference.train(X, Y, w0=w0, b0=b0, lr=0.1, batch_size=5, epochs=2)
    xs, ys = X.flatten().tolist(), Y.flatten().tolist()
    expected = sum((y - (w0 * x + b0)) ** 2 for x, y in zip(xs, ys)) / len(xs)
    # The reference works in float32, this sum in float64: they agree to float32 rounding.
    assert math.isclose(result.losses[0], expected, rel_tol=1e-6), (
        f"first loss {result.losses[0]} at w0 = {w0}, b0 = {b0}; the MSE there is {expected}")
