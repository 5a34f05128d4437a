"""The committed student release: fresh, free of solutions, runnable, locked."""

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.lab import PART_TITLES

NOTEBOOK = "mini_batch_gd.ipynb"
ANSWER_CELLS = ("forward", "dataloader_loop", "batch20_trainer")
TEST_POINTS = {"test_forward": 2, "test_dataloader_loop": 4, "test_batch20_trainer": 4}
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS")


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


@pytest.fixture(scope="module")
def release_nb(release_dir):
    return nbformat.read(release_dir / NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def fresh_release(released_course) -> Path:
    """release/mini_batch_gd as `nbgrader generate_assignment` makes it now from source/."""
    return released_course / "release" / "mini_batch_gd"


@pytest.mark.slow
def test_release_notebook_is_fresh(fresh_release, release_dir):
    """Is the committed release notebook what generate_assignment makes from source/ today?"""
    # No volatile fields: cell ids come from the source, checksums are hashes of the cells, and
    # nbgrader writes no timestamps into the notebook, so the whole JSON is compared.
    fresh = json.loads((fresh_release / NOTEBOOK).read_text(encoding="utf-8"))
    committed = json.loads((release_dir / NOTEBOOK).read_text(encoding="utf-8"))
    stale = [grade_id(nbformat.from_dict(cell)) for cell, old in
             zip(fresh["cells"], committed["cells"]) if cell != old]
    assert fresh == committed, (
        f"release/{NOTEBOOK} is stale; run `make release`. Cells that differ: {stale}")


@pytest.mark.slow
def test_release_helper_is_fresh(fresh_release, release_dir):
    """Is the committed error_surfaces.py byte for byte the generated one?"""
    fresh = (fresh_release / "error_surfaces.py").read_bytes()
    assert (release_dir / "error_surfaces.py").read_bytes() == fresh, (
        "release/mini_batch_gd/error_surfaces.py differs from source/; run `make release`")


@pytest.mark.slow
def test_release_holds_the_generated_files_only(fresh_release, release_dir):
    """Does the release folder hold exactly the notebook and the helper, as generated?"""
    committed = sorted(path.name for path in release_dir.iterdir())
    generated = sorted(path.name for path in fresh_release.iterdir())
    assert committed == ["error_surfaces.py", NOTEBOOK], f"release/mini_batch_gd holds {committed}"
    assert committed == generated, f"committed {committed}, generated {generated}"


def test_release_has_no_nbgrader_markers(release_nb):
    """Does the release keep no solution or hidden-test markers?"""
    found = [(grade_id(cell), marker) for cell in release_nb.cells
             for marker in MARKERS if marker in cell.source]
    assert found == [], f"markers left in the release: {found}"


def _solution_lines(source_nb) -> set[str]:
    """Stripped non-blank lines strictly between BEGIN and END SOLUTION in the source."""
    lines = set()
    for cell in source_nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if "END SOLUTION" in line:
                inside = False
            elif inside and line.strip():
                lines.add(line.strip())
            elif "BEGIN SOLUTION" in line:
                inside = True
    return lines


def _given_lines(source_nb) -> set[str]:
    """Stripped lines of the source cells that carry no solution region (code the lab shows)."""
    return {line.strip() for cell in source_nb.cells if "BEGIN SOLUTION" not in cell.source
            for line in cell.source.splitlines()}


def test_release_keeps_no_solution_line(release_nb, source_notebook_path):
    """Does no line of the solutions reappear in the release?"""
    source_nb = nbformat.read(source_notebook_path, as_version=4)
    solution = _solution_lines(source_nb)
    # Lines that the source also shows in its given cells (e.g. `loss.backward()`,
    # `w = torch.tensor(-15.0, requires_grad=True)` in the batch-5 trainer) are public by
    # design: the tasks ask students to repeat them. Everything else must be gone.
    secret = solution - _given_lines(source_nb)
    assert {"return w * x + b", "def my_train_model(epochs):",
            "trainloader = DataLoader(dataset=dataset, batch_size=20)"} <= secret, (
        f"the solution lines were not read from the source: {sorted(secret)}")
    # Whole lines, not substrings: the self-check's hint text "return w * x + b." says what
    # forward computes, which the task text says too.
    leaked = [(grade_id(cell), line.strip()) for cell in release_nb.cells
              for line in cell.source.splitlines() if line.strip() in secret]
    assert leaked == [], f"solution lines in the release: {leaked}"


@pytest.mark.parametrize("word", ["solutions", "autograder", "reference"])
def test_release_does_not_mention_course_internals(release_dir, word):
    """Does no release file mention the solutions, the autograder or the reference?"""
    hits = [(path.name, line.strip()) for path in sorted(release_dir.iterdir())
            for line in path.read_text(encoding="utf-8").splitlines()
            if re.search(word, line, re.IGNORECASE)]
    assert hits == [], f"release text mentioning {word!r}: {hits}"


@pytest.mark.parametrize("part", ANSWER_CELLS)
def test_answer_cell_raises_naming_its_task(release_nb, part):
    """Does each answer cell end in a NotImplementedError that names its task as the text does?"""
    cells = [cell for cell in release_nb.cells if grade_id(cell) == part]
    assert len(cells) == 1, f"{len(cells)} cells with grade_id {part!r} in the release"
    cell = cells[0]
    assert cell.metadata.nbgrader.get("solution") is True, f"{part} is not an answer cell"
    last_line = cell.source.strip().splitlines()[-1].strip()
    expected = (f"raise NotImplementedError(\"{PART_TITLES[part]} is not done yet: "
                "replace this line with your code.\")")
    assert last_line == expected, f"{part} ends with {last_line!r}, expected {expected!r}"


@pytest.fixture(scope="module")
def executed_release(release_dir, tool_env, tmp_path_factory):
    """A copy of the release run top to bottom, errors kept in the outputs."""
    folder = tmp_path_factory.mktemp("release_run")
    for path in release_dir.iterdir():
        shutil.copy2(path, folder)
    nb = nbformat.read(folder / NOTEBOOK, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    client.execute(env=tool_env)
    return nb


def _errors(cell) -> list:
    return [output for output in cell.get("outputs", []) if output.output_type == "error"]


@pytest.mark.slow
def test_release_runs_until_the_first_task(executed_release):
    """Does every cell up to the forward cell run, and the first error name task 'forward'?"""
    ids = [grade_id(cell) for cell in executed_release.cells]
    forward = ids.index("forward")
    failing = [(ids[i], _errors(cell)[0].ename) for i, cell in enumerate(executed_release.cells)
               if i <= forward and _errors(cell)]
    assert failing == [], f"cells up to 'forward' with errors: {failing}"
    # The forward cell only defines the function; its stub raises where it is first called,
    # in the self-check right after it.
    first = next(i for i, cell in enumerate(executed_release.cells) if _errors(cell))
    error = _errors(executed_release.cells[first])[0]
    assert (ids[first], error.ename) == ("test_forward", "NotImplementedError"), (
        f"first error in {ids[first]}: {error.ename}: {error.evalue}")
    assert PART_TITLES["forward"] in error.evalue, f"no task named in: {error.evalue}"


@pytest.mark.slow
@pytest.mark.parametrize("part", ANSWER_CELLS)
def test_first_error_after_each_task_names_it(executed_release, part):
    """Does the first error at or after each answer cell name that task?"""
    ids = [grade_id(cell) for cell in executed_release.cells]
    errors = [(ids[i], _errors(cell)[0]) for i, cell in enumerate(executed_release.cells)
              if i >= ids.index(part) and _errors(cell)]
    assert errors, f"no error at or after {part}"
    where, error = errors[0]
    assert error.ename == "NotImplementedError" and PART_TITLES[part] in error.evalue, (
        f"first error after {part} is in {where}: {error.ename}: {error.evalue}")


def test_given_cells_are_locked(release_nb):
    """Is every cell but the answer cells locked, and every answer cell editable?"""
    answers = [grade_id(cell) for cell in release_nb.cells
               if cell.metadata.get("nbgrader", {}).get("solution")]
    assert answers == list(ANSWER_CELLS), f"answer cells in the release: {answers}"
    wrong = [(index, grade_id(cell), cell.metadata.get("nbgrader", {}).get("locked"))
             for index, cell in enumerate(release_nb.cells)
             if cell.metadata.get("nbgrader", {}).get("locked") != (grade_id(cell) not in answers)]
    assert wrong == [], f"(index, grade_id, locked) of cells locked the wrong way: {wrong}"


def test_test_cells_carry_their_points(release_nb):
    """Do the graded cells give 2, 4 and 4 points, in this order?"""
    graded = {grade_id(cell): cell.metadata.nbgrader.get("points") for cell in release_nb.cells
              if cell.metadata.get("nbgrader", {}).get("grade")}
    assert list(graded.items()) == list(TEST_POINTS.items()), f"graded cells: {graded}"
