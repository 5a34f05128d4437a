"""What is being graded, read from the course's own notebooks, never from a submission.

The source notebook gives the parts (answer cells), their test cells and points; the release
notebook gives the code every student starts from (given cells, public checks, answer stubs).
"""

import json
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from .errors import CourseError

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT_ID = "mini_batch_gd"
NOTEBOOK_NAME = f"{ASSIGNMENT_ID}.ipynb"
SOURCE_DIR = REPO_ROOT / "source" / ASSIGNMENT_ID
RELEASE_DIR = REPO_ROOT / "release" / ASSIGNMENT_ID
TEST_CELL_PREFIX = "test_"
"""A part's graded test cell is named after its answer cell: `forward` -> `test_forward`."""


class CellKind(str, Enum):
    ANSWER = "answer"
    TEST = "test"
    GIVEN = "given"


@dataclass(frozen=True)
class TemplateCell:
    """A code cell of the release notebook, as every student receives it."""

    grade_id: str
    kind: CellKind
    source: str


@dataclass(frozen=True)
class Part:
    """An answer cell graded by its own hidden grader, worth its test cell's points."""

    name: str
    test_cell: str
    points: float


@dataclass(frozen=True)
class Assignment:
    parts: tuple[Part, ...]
    cells: tuple[TemplateCell, ...]
    release_dir: Path

    @property
    def max_score(self) -> float:
        return sum(part.points for part in self.parts)

    def part(self, name: str) -> Part:
        return next(part for part in self.parts if part.name == name)

    def helper_files(self) -> list[Path]:
        """Files released beside the notebook (the plotting helper), which the notebook imports."""
        return sorted(path for path in self.release_dir.iterdir()
                      if path.is_file() and path.name != NOTEBOOK_NAME)


def _nbgrader_code_cells(notebook_path: Path, fix: str) -> list[dict]:
    """The code cells with nbgrader metadata; a CourseError naming the file and `fix` when the
    course's own notebook is missing or damaged."""
    try:
        notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{notebook_path} is missing: {fix}") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise CourseError(f"{notebook_path} cannot be read as a notebook ({error}): "
                          f"{fix}") from None
    try:
        cells = []
        for cell in notebook["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader")
            if cell["cell_type"] == "code" and meta and meta.get("grade_id"):
                source = cell["source"]
                text = "".join(source) if isinstance(source, list) else source
                cells.append({**meta, "source": text})
    except (KeyError, TypeError, AttributeError) as error:
        raise CourseError(f"{notebook_path} is not a Jupyter notebook with nbgrader cells "
                          f"(no {error} where one belongs): {fix}") from None
    return cells


def _kind(meta: dict) -> CellKind:
    if meta.get("solution"):
        return CellKind.ANSWER
    if meta.get("grade"):
        return CellKind.TEST
    return CellKind.GIVEN


def load_assignment(source_dir: Path = SOURCE_DIR, release_dir: Path = RELEASE_DIR) -> Assignment:
    """Read parts and points from the source notebook and the cell template from the release."""
    source_cells = _nbgrader_code_cells(
        source_dir / NOTEBOOK_NAME, "restore the instructor notebook (git checkout source/).")
    try:
        points = {cell["grade_id"]: float(cell["points"]) for cell in source_cells
                  if cell.get("grade")}
        parts = tuple(
            Part(name=cell["grade_id"], test_cell=TEST_CELL_PREFIX + cell["grade_id"],
                 points=points[TEST_CELL_PREFIX + cell["grade_id"]])
            for cell in source_cells if cell.get("solution")
        )
    except (KeyError, TypeError, ValueError) as error:
        raise CourseError(f"{source_dir / NOTEBOOK_NAME}: an answer cell has no test cell with "
                          f"points ({error}): every answer cell `x` needs a graded cell "
                          f"`{TEST_CELL_PREFIX}x`.") from None
    template = tuple(TemplateCell(cell["grade_id"], _kind(cell), cell["source"])
                     for cell in _nbgrader_code_cells(release_dir / NOTEBOOK_NAME,
                                                      "run `make release`."))
    if [c.grade_id for c in template] != [c["grade_id"] for c in source_cells]:
        raise CourseError(f"{release_dir} does not match {source_dir}: run `make release`.")
    return Assignment(parts=parts, cells=template, release_dir=release_dir)
