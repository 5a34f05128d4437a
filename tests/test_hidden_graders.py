"""The nbgrader preprocessor's cell work: scores nbgrader reads back, test cells put back."""

import nbformat
import pytest
from nbgrader.utils import determine_grade

from autograder.assignment import NOTEBOOK_NAME, RELEASE_DIR
from autograder.preprocessors.hidden_graders import _grade_id, _restore_test_cells, _write_score
from autograder.results import CheckResult, PartResult


@pytest.fixture
def release():
    return nbformat.read(RELEASE_DIR / NOTEBOOK_NAME, as_version=4)


def cell_named(notebook, grade_id):
    return next(cell for cell in notebook.cells if _grade_id(cell) == grade_id)


@pytest.mark.parametrize("earned", [0.0, 1.5, 2.0])
def test_gradebook_reads_the_hidden_score_despite_stderr(release, earned):
    """Does nbgrader read our score from a test cell whose run had written to stderr?"""
    cell = cell_named(release, "test_forward")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="UserWarning: ...\n")]
    part = PartResult("forward", 2.0, (CheckResult("values", earned, 2.0, "Add the bias b."),))
    _write_score(cell, part)
    assert determine_grade(cell) == (earned, 2.0)
    assert all(output.get("name") != "stderr" for output in cell.outputs)


def test_deleted_test_cells_come_back_after_their_answer(release):
    """Are deleted test cells restored, each right after its part's answer cell?"""
    kept = [cell for cell in release.cells if not _grade_id(cell).startswith("test_")]
    release.cells = kept
    _restore_test_cells(release)
    ids = [_grade_id(cell) for cell in release.cells]
    for part in ("forward", "dataloader_loop", "batch20_trainer"):
        assert ids[ids.index(part) + 1] == f"test_{part}"


def test_gradebook_reads_the_score_beside_the_part_as_html(release):
    """Does nbgrader still read the score when the cell also shows the part as HTML?"""
    cell = cell_named(release, "test_forward")
    part = PartResult("forward", 2.0, (CheckResult("values", 0.5, 2.0, "Add the bias b."),))
    _write_score(cell, part, "<section>the part</section>")
    assert determine_grade(cell) == (0.5, 2.0)
    assert [output.output_type for output in cell.outputs] == [
        "stream", "display_data", "execute_result"]
