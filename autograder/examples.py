"""Example submissions: the release notebook with its answer cells filled by grade_id.

A case folder holds `<grade_id>.py` files (the student's answer cells), `case.json` (what the
student did, the expected result, phrases its feedback must contain per part, optional edits to
other cells), or `submission.ipynb` when the case is a file that is not a proper notebook.

A case holds only the answers it changes: the others come from its `base` case (by default
`correct_source_solution`, which answers every part), or stay the release stubs with
`"base": null`.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .assignment import ASSIGNMENT_ID, NOTEBOOK_NAME, RELEASE_DIR, REPO_ROOT

CORPUS_DIR = REPO_ROOT / "tests" / "corpus"
RELEASE_NOTEBOOK = RELEASE_DIR / NOTEBOOK_NAME
DEFAULT_BASE = "correct_source_solution"


@dataclass(frozen=True)
class ExampleCase:
    name: str
    folder: Path
    description: str
    expected: dict
    feedback: dict[str, list[str]]
    edits: dict
    base: str | None

    @classmethod
    def load(cls, folder: Path) -> "ExampleCase":
        spec = json.loads((folder / "case.json").read_text())
        return cls(folder.name, folder, spec["description"], spec["expected"],
                   spec.get("feedback", {}), spec.get("edits", {}),
                   spec.get("base", DEFAULT_BASE))

    def answers(self) -> dict[str, str]:
        """Answer cell sources by grade_id: the base case's, overridden by this case's own."""
        folders = [self.folder.parent / self.base] if self.base else []
        return {path.stem: path.read_text()
                for folder in [*folders, self.folder] for path in sorted(folder.glob("*.py"))}

    def notebook_bytes(self, release_notebook: Path = RELEASE_NOTEBOOK) -> bytes:
        """The submitted file: the given broken file, or the release with this case's cells."""
        raw = self.folder / "submission.ipynb"
        if raw.exists():
            return raw.read_bytes()
        notebook = nbformat.read(release_notebook, as_version=4)
        replacements = self.answers()
        replacements.update(self.edits.get("replace_cells", {}))
        deleted = set(self.edits.get("delete_cells", []))
        extras: dict[str, list[str]] = {}
        for extra in self.edits.get("extra_cells", []):
            extras.setdefault(extra["after"], []).append(extra["source"])
        cells = []
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in deleted:
                continue
            if grade_id in replacements:
                cell.source = replacements[grade_id]
            cells.append(cell)
            cells.extend(nbformat.v4.new_code_cell(source) for source in extras.get(grade_id, []))
        notebook.cells = cells
        return nbformat.writes(notebook).encode()

    def write_submission(self, submitted_dir: Path) -> Path:
        """Write the case into nbgrader's `submitted/<case>/mini_batch_gd/` layout."""
        folder = submitted_dir / self.name / ASSIGNMENT_ID
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / NOTEBOOK_NAME
        path.write_bytes(self.notebook_bytes())
        return path


def load_cases(corpus: Path = CORPUS_DIR) -> list[ExampleCase]:
    return [ExampleCase.load(folder) for folder in sorted(corpus.iterdir())
            if (folder / "case.json").exists()]
