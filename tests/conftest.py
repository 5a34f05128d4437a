"""Shared fixtures: where the course files are, and one run of the source notebook."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ASSIGNMENT = "mini_batch_gd"
RUN_CELLS = ("bgd_run", "sgd_run", "mini5_run", "mini10_run", "mini20_run")
LOSS_LISTS = ("LOSS_BGD", "LOSS_SGD", "LOSS_MINI5", "LOSS_MINI10", "LOSS_MINI20")
RESULTS_CELL_ID = "pytest-results"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def course_secret_untouched(repo_root):
    """Tests grade with secrets of their own: a test never makes the course's secret."""
    made = [repo_root / ".grading-secret", repo_root / ".grading-secret.answers.json"]
    existed = {path for path in made if path.exists()}
    yield
    assert all(path in existed or not path.exists() for path in made), f"a test made one of {made}"


@pytest.fixture(scope="session")
def tool_env(repo_root) -> dict[str, str]:
    """Environment for course tools: venv bin first (nbgrader runs `alembic` by name), headless."""
    return dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
                PATH=os.pathsep.join([str(repo_root / ".venv" / "bin"), os.environ["PATH"]]))


@pytest.fixture(scope="session")
def run_nbgrader(tool_env):
    """Run `nbgrader ARGS` in a folder as an instructor would; returns (exit code, log)."""

    def run(args: list[str], cwd: Path, timeout: float = 900) -> tuple[int, str]:
        done = subprocess.run(["nbgrader", *args], check=False, cwd=cwd, env=tool_env,
                              capture_output=True, text=True, timeout=timeout)
        log = done.stdout + done.stderr
        # nbgrader logs a config file it cannot load and carries on with its defaults.
        assert "Exception while loading config file" not in log, (
            f"nbgrader_config.py did not load (is the project installed in the venv?):\n{log}")
        return done.returncode, log

    return run


@pytest.fixture(scope="session")
def released_course(repo_root, tmp_path_factory, run_nbgrader) -> Path:
    """A course folder where `nbgrader generate_assignment` released the lab from source/ now."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy2(repo_root / "nbgrader_config.py", course)
    shutil.copytree(repo_root / "source", course / "source")
    code, log = run_nbgrader(["generate_assignment", ASSIGNMENT, "--force"], cwd=course)
    assert code == 0, f"generate_assignment failed:\n{log}"
    return course


@pytest.fixture(scope="session")
def source_notebook_path(repo_root) -> Path:
    return repo_root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


@pytest.fixture(scope="session")
def release_dir(repo_root) -> Path:
    return repo_root / "release" / ASSIGNMENT


def _probe_cells() -> dict[str, nbformat.NotebookNode]:
    """Cells to insert: one after each run cell recording w and b, one printing everything."""
    probes = {
        grade_id: nbformat.v4.new_code_cell(
            f"globals().setdefault('_pytest_params', {{}})[{grade_id!r}] = [w.item(), b.item()]")
        for grade_id in RUN_CELLS
    }
    lists = ", ".join(f"{name!r}: {name}" for name in LOSS_LISTS)
    probes[RESULTS_CELL_ID] = nbformat.v4.new_code_cell(
        "import json as _pytest_json\n"
        f"_pytest_losses = {{{lists}}}\n"
        "print(_pytest_json.dumps({\n"
        "    'params': _pytest_params,\n"
        "    'losses': _pytest_losses,\n"
        "    'loss_types': {name: sorted({type(v).__name__ for v in values})\n"
        "                   for name, values in _pytest_losses.items()},\n"
        "}, default=repr))")  # a tensor in a list shows up as text, not as a crash
    return probes


@pytest.fixture(scope="session")
def executed_source_namespace(source_notebook_path, tool_env) -> dict:
    """The source notebook run top to bottom once: the executed notebook and what probes read."""
    nb = nbformat.read(source_notebook_path, as_version=4)
    probes = _probe_cells()
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in probes:
            cells.append(probes.pop(grade_id))
    assert set(probes) == {RESULTS_CELL_ID}, f"run cells missing in the notebook: {sorted(probes)}"
    results_cell = probes[RESULTS_CELL_ID]
    nb.cells = cells + [results_cell]

    # Errors are kept in the outputs (allow_errors) so a test can name the cell that failed.
    # No bytecode: importing error_surfaces must not leave __pycache__ in source/.
    client = NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=True,
                            resources={"metadata": {"path": str(source_notebook_path.parent)}})
    client.execute(env=tool_env)

    printed = "".join(output.get("text", "") for output in results_cell.outputs
                      if output.output_type == "stream" and output.name == "stdout")
    assert printed, f"the results cell printed nothing; its outputs: {results_cell.outputs}"
    return {"notebook": nb, **json.loads(printed)}
