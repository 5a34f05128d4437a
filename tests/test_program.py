"""Turning a submitted notebook into the program the worker runs."""

import json

import pytest

from autograder.assignment import CellKind, load_assignment
from autograder.errors import InvalidSubmission
from autograder.program import assemble, read_notebook


@pytest.fixture(scope="module")
def assignment():
    return load_assignment()


def code_cell(source: str, grade_id: str | None = None) -> dict:
    return {"grade_id": grade_id, "source": source}


def template_cells(assignment, **answers) -> list[dict]:
    """The release's code cells, with some answer cells replaced."""
    return [code_cell(answers.get(cell.grade_id, cell.source), cell.grade_id)
            for cell in assignment.cells]


def by_label(program) -> dict[str, str]:
    return {cell.label: cell.source for cell in program.cells}


def test_parts_and_points_come_from_the_source(assignment):
    """Are the parts the three answer cells, worth their test cells' points?"""
    assert [(part.name, part.test_cell, part.points) for part in assignment.parts] == [
        ("forward", "test_forward", 2.0), ("dataloader_loop", "test_dataloader_loop", 4.0),
        ("batch20_trainer", "test_batch20_trainer", 4.0)]


def test_answers_are_taken_by_grade_id(assignment):
    """Does the student's text land in its answer cell?"""
    program = assemble(assignment, template_cells(assignment, forward="def forward(x): pass"))
    assert by_label(program)["forward"] == "def forward(x): pass"


def test_edited_test_and_given_cells_are_restored(assignment):
    """Do edits to test cells and given cells change nothing?"""
    cells = template_cells(assignment, test_forward="print('all good')", make_data="X = 1")
    program = by_label(assemble(assignment, cells))
    release = {cell.grade_id: cell.source for cell in assignment.cells}
    assert program["test_forward"] == release["test_forward"]
    assert program["make_data"] == release["make_data"]


def test_deleted_cells_come_back(assignment):
    """Does deleting a test cell or a given cell leave the program unchanged?"""
    cells = [cell for cell in template_cells(assignment)
             if cell["grade_id"] not in ("test_forward", "sgd_run")]
    assert assemble(assignment, cells) == assemble(assignment, template_cells(assignment))


def test_missing_answer_is_empty(assignment):
    """Is a deleted answer cell empty rather than the release stub?"""
    cells = [cell for cell in template_cells(assignment) if cell["grade_id"] != "forward"]
    assert by_label(assemble(assignment, cells))["forward"] == ""


def test_extra_cells_keep_their_place(assignment):
    """Does a cell the student added run right after the template cell it followed?"""
    cells = template_cells(assignment)
    at = next(i for i, cell in enumerate(cells) if cell["grade_id"] == "forward")
    cells.insert(at + 1, code_cell("helper = 1"))
    labels = [cell.label for cell in assemble(assignment, cells).cells]
    assert labels[labels.index("forward") + 1] == "extra cell after forward"


def test_copied_answer_cell_runs_after_the_first(assignment):
    """Is a copy of an answer cell (same grade_id) kept as an extra cell after it?"""
    cells = template_cells(assignment, forward="first")
    at = next(i for i, cell in enumerate(cells) if cell["grade_id"] == "forward")
    cells.insert(at + 1, code_cell("second", "forward"))
    program = assemble(assignment, cells)
    sources = [cell.source for cell in program.cells]
    assert sources.index("first") + 1 == sources.index("second")


def test_sections_span_answer_to_test(assignment):
    """Does each part's section run from its answer cell up to its test cell?"""
    program = assemble(assignment, template_cells(assignment))
    labels = [cell.label for cell in program.cells]
    for section in program.sections:
        assert labels[section.start] == section.part
        assert labels[section.stop] == f"test_{section.part}"


def test_only_answers_and_extras_are_the_students(assignment):
    """Are given and test cells marked as not written by the student?"""
    program = assemble(assignment, template_cells(assignment))
    kinds = {cell.grade_id: cell.kind for cell in assignment.cells}
    for cell in program.cells:
        assert cell.by_student == (kinds.get(cell.label) is CellKind.ANSWER)


@pytest.mark.parametrize("content, reason", [
    (b"", "empty"),
    (b"\xff\xfe not text", "not valid JSON"),
    (b"[1, 2]", "no list of cells"),
    (b'{"cells": {"a": 1}}', "no list of cells"),
])
def test_unreadable_files_are_invalid_with_a_reason(tmp_path, content, reason):
    """Does a file that is not a notebook raise InvalidSubmission saying why?"""
    path = tmp_path / "submission.ipynb"
    path.write_bytes(content)
    with pytest.raises(InvalidSubmission, match=reason):
        read_notebook(path)


def test_malformed_cells_are_read_leniently(tmp_path):
    """Are odd cells (list sources, missing metadata, markdown) read without failing?"""
    path = tmp_path / "submission.ipynb"
    path.write_text(json.dumps({"cells": [
        {"cell_type": "code", "source": ["a = 1\n", "b = 2"], "metadata": {}},
        {"cell_type": "code", "source": "c = 3", "metadata": {"nbgrader": "nope"}},
        {"cell_type": "markdown", "source": "text"},
        "not a cell",
    ]}))
    assert read_notebook(path) == [code_cell("a = 1\nb = 2"), code_cell("c = 3")]
