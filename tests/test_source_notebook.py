"""The instructor notebook, run top to bottom, trains exactly as the reference implementation."""

import pytest

from solutions import reference

pytestmark = pytest.mark.slow

START = {"w0": -15.0, "b0": -10.0, "lr": 0.1, "epochs": 10}
# Which run cell trains which list, and with which batch size (60 = all the data: batch GD).
RUNS = {
    "bgd_run": ("LOSS_BGD", 60),
    "sgd_run": ("LOSS_SGD", 1),
    "mini5_run": ("LOSS_MINI5", 5),
    "mini10_run": ("LOSS_MINI10", 10),
    "mini20_run": ("LOSS_MINI20", 20),
}


@pytest.fixture(scope="module")
def reference_runs() -> dict[str, reference.Training]:
    X, Y = reference.make_data()
    return {run: reference.train(X, Y, batch_size=batch_size, **START)
            for run, (_, batch_size) in RUNS.items()}


def test_no_cell_has_an_error_output(executed_source_namespace):
    """Does every cell of the source notebook run without an error output?"""
    errors = [
        (cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {index}"),
         f"{output.ename}: {output.evalue}")
        for index, cell in enumerate(executed_source_namespace["notebook"].cells)
        if cell.cell_type == "code"
        for output in cell.outputs if output.output_type == "error"
    ]
    assert errors == [], f"cells with an error output: {errors}"


@pytest.mark.parametrize("run", RUNS)
def test_losses_equal_the_reference(executed_source_namespace, reference_runs, run):
    """Does each training section record exactly the losses of reference.train?"""
    name, batch_size = RUNS[run]
    losses = executed_source_namespace["losses"][name]
    # Exact: the notebook and the reference do the same float32 operations in the same order
    # (a DataLoader batch of consecutive rows holds the same values as the slice), and json
    # round-trips Python floats exactly.
    assert losses == reference_runs[run].losses, (
        f"{name} (batch size {batch_size}) differs from reference.train: "
        f"{losses} != {reference_runs[run].losses}")


@pytest.mark.parametrize("name", [name for name, _ in RUNS.values()])
def test_losses_are_python_floats(executed_source_namespace, name):
    """Is every recorded loss a Python float inside the kernel (not a tensor)?"""
    types = executed_source_namespace["loss_types"][name]
    assert types == ["float"], f"{name} holds entries of type {types}, expected only float"


@pytest.mark.parametrize("run", RUNS)
def test_final_parameters_equal_the_reference(executed_source_namespace, reference_runs, run):
    """Does each section end with exactly the w and b of reference.train?"""
    w, b = executed_source_namespace["params"][run]
    expected = reference_runs[run]
    assert (w, b) == (expected.w, expected.b), (
        f"after {run}: notebook (w, b) = ({w}, {b}), reference ({expected.w}, {expected.b})")


def test_batch20_fits_the_true_line(executed_source_namespace):
    """Does batch size 20 end within 0.1 of slope 1 and bias -1?"""
    w, b = executed_source_namespace["params"]["mini20_run"]
    assert abs(w - 1) < 0.1 and abs(b + 1) < 0.1, f"after mini20_run w = {w}, b = {b}"
