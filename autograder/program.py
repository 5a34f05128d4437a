"""Notebook step: turn a submitted notebook into the program the worker runs.

Only the student's answer cells and the extra cells they added come from the submission. Given
cells and test cells come from the release, so editing or deleting them changes nothing; a
missing answer cell is empty. Extra cells keep their place after the template cell they follow.
"""

from dataclasses import dataclass
from pathlib import Path

from .assignment import Assignment, CellKind
from .errors import InvalidSubmission
from .untrusted import MAX_DEPTH, Refusal, RefusedFile, read_json

MAX_NOTEBOOK_BYTES = 50 * 2**20


@dataclass(frozen=True)
class ProgramCell:
    label: str
    """A template cell's grade_id, or `extra cell after <grade_id>` for a cell the student added."""
    source: str
    by_student: bool


@dataclass(frozen=True)
class Section:
    """The cells that belong to one part: from its answer cell up to (not including) its test."""

    part: str
    start: int
    stop: int


@dataclass(frozen=True)
class Program:
    cells: tuple[ProgramCell, ...]
    sections: tuple[Section, ...]

    def to_json(self) -> dict:
        return {"cells": [cell.__dict__ for cell in self.cells],
                "sections": [section.__dict__ for section in self.sections]}


def uses_optimizers(program: dict) -> bool:
    """Whether the program may build a torch optimizer: the first one built loads torch._dynamo
    (about 2 s), which the server then loads once for every later box (see server.py)."""
    return any("optim" in cell["source"] for cell in program["cells"])


REFUSALS = {
    Refusal.MISSING: "The file could not be found.",
    Refusal.SYMLINK: "The file is a symbolic link, not a notebook: submit the .ipynb file itself.",
    Refusal.SPECIAL: "The file is not a regular file (it is a folder, a pipe or a device): "
                     "submit the .ipynb file saved by Jupyter.",
    Refusal.UNREADABLE: "The file could not be read.",
    Refusal.EMPTY: "The file is empty: submit the saved .ipynb notebook.",
    Refusal.TOO_LARGE: f"The file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB; a notebook "
                       "for this lab is far smaller. Clear the outputs and submit again.",
    Refusal.TOO_DEEP: f"The file nests lists and objects more than {MAX_DEPTH} levels deep, which "
                      "a Jupyter notebook never does: submit the .ipynb file saved by Jupyter.",
    Refusal.NOT_JSON: "The file is not a Jupyter notebook (it is not valid JSON): submit the "
                      ".ipynb file saved by Jupyter.",
}
"""What a student reads when their file is refused."""


def read_notebook(path: Path) -> list[dict]:
    """The code cells of a notebook file as dicts with `grade_id` (or None) and `source`."""
    try:
        notebook = read_json(path, MAX_NOTEBOOK_BYTES)
    except RefusedFile as refused:
        raise InvalidSubmission(REFUSALS[refused.refusal]) from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise InvalidSubmission("The file is JSON but not a Jupyter notebook (it has no list of "
                                "cells): submit the .ipynb file saved by Jupyter.")
    return [_code_cell(cell) for cell in cells if isinstance(cell, dict)
            and cell.get("cell_type") == "code"]


def _code_cell(cell: dict) -> dict:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(line for line in source if isinstance(line, str))
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return {"grade_id": grade_id if isinstance(grade_id, str) else None,
            "source": source if isinstance(source, str) else ""}


def assemble(assignment: Assignment, submitted_cells: list[dict]) -> Program:
    """Lay the student's cells onto the release template (see the module docstring)."""
    kinds = {cell.grade_id: cell.kind for cell in assignment.cells}
    answers: dict[str, str] = {}
    extras: dict[str | None, list[str]] = {}
    seen: set[str] = set()
    anchor = None
    for cell in submitted_cells:
        grade_id = cell["grade_id"]
        if grade_id in kinds and grade_id not in seen:
            seen.add(grade_id)
            anchor = grade_id
            if kinds[grade_id] is CellKind.ANSWER:
                answers[grade_id] = cell["source"]
        elif cell["source"].strip():
            # A cell the student added, or a copy of a template cell (same grade_id).
            extras.setdefault(anchor, []).append(cell["source"])

    cells = [ProgramCell("extra cell at the top", source, True) for source in extras.get(None, [])]
    positions: dict[str, int] = {}
    for template in assignment.cells:
        positions[template.grade_id] = len(cells)
        if template.kind is CellKind.ANSWER:
            cells.append(ProgramCell(template.grade_id, answers.get(template.grade_id, ""), True))
        else:
            cells.append(ProgramCell(template.grade_id, template.source, False))
        cells.extend(ProgramCell(f"extra cell after {template.grade_id}", source, True)
                     for source in extras.get(template.grade_id, []))
    sections = tuple(Section(part.name, positions[part.name], positions[part.test_cell])
                     for part in assignment.parts)
    return Program(cells=tuple(cells), sections=sections)
