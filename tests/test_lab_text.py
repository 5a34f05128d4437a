"""The lab as a student reads and runs it: self-checks that point at the real fix, figures of
sensible number and size."""

import os

import nbformat
import pytest
import torch
from nbclient import NotebookClient
from torch.utils.data import DataLoader, TensorDataset

from solutions import reference

MAX_EXECUTED_BYTES = 2 * 1024 * 1024


def _test_cell(notebook_path, grade_id: str) -> str:
    notebook = nbformat.read(notebook_path, as_version=4)
    return next(cell.source for cell in notebook.cells
                if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _trained(batch_size: int, epochs: int = 10, w0: float = -15.0, b0: float = -10.0,
             lr: float = 0.1) -> dict:
    """The notebook's state after a correct section: data, loader, parameters, its trainer."""
    X, Y = reference.make_data()
    state = {"torch": torch, "X": X, "Y": Y, "criterion": reference.criterion,
             "trainloader": DataLoader(TensorDataset(X, Y), batch_size=batch_size),
             "w": torch.tensor(w0, requires_grad=True), "b": torch.tensor(b0, requires_grad=True),
             "lr": lr, "LOSS": []}
    exec(
        "def train(epochs):\n"
        "    for epoch in range(epochs):\n"
        "        LOSS.append(criterion(w * X + b, Y).item())\n"
        "        for x, y in trainloader:\n"
        "            criterion(w * x + b, y).backward()\n"
        "            w.data = w.data - lr * w.grad.data\n"
        "            b.data = b.data - lr * b.grad.data\n"
        "            w.grad.data.zero_()\n"
        "            b.grad.data.zero_()\n", state)
    state["train"](epochs)
    return state


def _self_check_message(source: str, namespace: dict) -> str | None:
    try:
        exec(source, namespace)
    except AssertionError as error:
        return str(error)
    return None


@pytest.fixture(scope="module")
def sgd_check(source_notebook_path) -> str:
    return _test_cell(source_notebook_path, "test_dataloader_loop")


@pytest.fixture(scope="module")
def batch20_check(source_notebook_path) -> str:
    return _test_cell(source_notebook_path, "test_batch20_trainer")


def _sgd_namespace(**changes) -> dict:
    namespace = _trained(batch_size=1)  # one namespace: the trainer's globals
    namespace.update(LOSS_SGD=namespace["LOSS"], train_model_SGD=namespace["train"])
    namespace.update(changes)
    return namespace


def test_sgd_self_check_passes_a_correct_run(sgd_check):
    """Does Task 2's self-check pass the notebook's correct run?"""
    assert _self_check_message(sgd_check, _sgd_namespace()) is None


def test_sgd_self_check_names_a_training_cell_run_twice(sgd_check):
    """Run twice, does Task 2's self-check say to run the set-up cell, then training once?"""
    namespace = _sgd_namespace()
    namespace["train_model_SGD"](10)
    message = _self_check_message(sgd_check, namespace)
    assert message and "has run 2 times" in message and "set-up cell" in message, message
    assert "per batch" not in message, message


def test_sgd_self_check_names_recording_per_batch(sgd_check):
    """With one entry per batch, does Task 2's self-check say so (not 'run 60 times')?"""
    message = _self_check_message(sgd_check, _sgd_namespace(LOSS_SGD=[835.0] * 600))
    assert message and "not once per batch" in message and "times" not in message, message


def test_sgd_self_check_names_divergence(sgd_check):
    """Does a run whose loss grew say it diverges, with two readable numbers?"""
    losses = [835.2756, 7000.0, 1e9, 6.5e22] + [6.5e22] * 6
    message = _self_check_message(sgd_check, _sgd_namespace(LOSS_SGD=losses))
    assert message and "grew from 835.3 to 6.5e+22" in message and "diverges" in message, message


def _batch20_namespace(**changes) -> dict:
    namespace = _trained(batch_size=20)  # one namespace: the trainer's globals
    namespace.update(LOSS_MINI20=namespace["LOSS"], my_train_model=namespace["train"])
    namespace.update(changes)
    return namespace


def test_batch20_self_check_passes_and_restores_the_state(batch20_check):
    """Does Task 3's self-check pass a correct run and leave w, b and LOSS_MINI20 as it found
    them, though it trains from other start values?"""
    namespace = _batch20_namespace()
    before = (namespace["w"].item(), namespace["b"].item(), list(namespace["LOSS_MINI20"]))
    assert _self_check_message(batch20_check, namespace) is None
    after = (namespace["w"].item(), namespace["b"].item(), list(namespace["LOSS_MINI20"]))
    assert after == before


def test_batch20_self_check_names_a_reset_inside_the_function(batch20_check):
    """Does Task 3's self-check catch a my_train_model that sets w and b itself?"""
    namespace = _batch20_namespace()
    exec(
        "def my_train_model(epochs):\n"
        "    global w, b\n"
        "    w = torch.tensor(-15.0, requires_grad=True)\n"
        "    b = torch.tensor(-10.0, requires_grad=True)\n"
        "    LOSS_MINI20.clear()\n"
        "    train(epochs)\n", namespace)
    message = _self_check_message(batch20_check, namespace)
    assert message and "`my_train_model` sets `w` and `b` itself" in message, message


def test_batch20_self_check_uses_the_hidden_tolerance(batch20_check):
    """Is 0.15 from the line refused, as the graders refuse it (0.1, not 0.2)?"""
    namespace = _batch20_namespace()
    namespace["w"].data.fill_(1.15)
    message = _self_check_message(batch20_check, namespace)
    assert message and "within 0.1" in message, message


def test_batch20_self_check_names_a_training_cell_run_twice(batch20_check):
    """Run twice, does Task 3's self-check say to run the Task 3 cell again, then training?"""
    namespace = _batch20_namespace()
    namespace["my_train_model"](10)
    message = _self_check_message(batch20_check, namespace)
    assert message and "2 times" in message and "run your Task 3 cell again" in message, message


@pytest.mark.slow
def test_executed_notebook_is_small_with_the_inline_backend(source_notebook_path, tool_env,
                                                           tmp_path):
    """Run as a student runs it (Jupyter's inline figures), is the solved notebook under 2 MB,
    with one figure per method instead of one per epoch?"""
    notebook = nbformat.read(source_notebook_path, as_version=4)
    env = {key: value for key, value in tool_env.items() if key != "MPLBACKEND"}
    client = NotebookClient(notebook, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(source_notebook_path.parent)}})
    dont_write = os.environ.get("PYTHONDONTWRITEBYTECODE")
    client.execute(env=dict(env, PYTHONDONTWRITEBYTECODE=dont_write or "1"))
    figures = sum(1 for cell in notebook.cells if cell.cell_type == "code"
                  for output in cell.outputs if "image/png" in output.get("data", {}))
    size = len(nbformat.writes(notebook).encode())
    assert figures <= 10, f"{figures} figures"
    assert size < MAX_EXECUTED_BYTES, f"the executed notebook weighs {size / 2**20:.1f} MB"
