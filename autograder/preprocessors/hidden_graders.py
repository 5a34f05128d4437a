"""Autograde step: score every part with the hidden graders and put the scores in the test cells.

nbgrader reads a test cell's score from its outputs: an `execute_result` holding a number is
partial credit, an error or any stderr output is zero. This preprocessor gives each test cell
its outputs: the part's feedback (stdout), the same part as the feedback page shows it (HTML:
every check with its points, the plots of the student's own run, so `nbgrader
generate_feedback` shows what `--feedback` writes) and its score, so the gradebook holds what
`python -m autograder grade` reports. A test cell the student deleted is put back after its
part's answer cell, from the release, so every part is saved.
"""

import tempfile
from pathlib import Path

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float, Integer, Unicode

from autograder import feedback, lab_feedback
from autograder.assignment import NOTEBOOK_NAME, RELEASE_DIR, TEST_CELL_PREFIX
from autograder.errors import GradingError
from autograder.grade import Submission, grade_submissions
from autograder.results import PartResult, SubmissionResult
from autograder.secret import SECRET_FILE_NAME
from autograder.settings import EngineSettings

HELP = EngineSettings.describe()
DEFAULTS = EngineSettings()
CONFIGURABLE = ("submission_seconds", "cell_seconds", "probe_seconds", "memory_mb", "file_mb",
                "disk_mb", "processes", "confined")
"""The engine settings an nbgrader config may set (jobs is 1: nbgrader hands over one notebook
at a time)."""


def _trait(name: str):
    """The setting as a configurable traitlet, with the engine's default and help."""
    default = getattr(DEFAULTS, name)
    kind = {bool: Bool, int: Integer, float: Float}[type(default)]
    return kind(default, help=HELP[name]).tag(config=True)


class HiddenGraders(NbGraderPreprocessor):
    """Grade the notebook with the hidden graders; write each part's score into its test cell."""

    submission_seconds = _trait("submission_seconds")
    cell_seconds = _trait("cell_seconds")
    probe_seconds = _trait("probe_seconds")
    memory_mb = _trait("memory_mb")
    file_mb = _trait("file_mb")
    disk_mb = _trait("disk_mb")
    processes = _trait("processes")
    confined = _trait("confined")
    secret_file = Unicode("", help=f"{HELP['secret_file']} (default: {SECRET_FILE_NAME} in the "
                          "course folder, CourseDirectory.root)").tag(config=True)

    def preprocess(self, nb: NotebookNode,
                   resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        student = resources.get("nbgrader", {}).get("student", "student")
        settings = EngineSettings(jobs=1, secret_file=self._secret_path(),
                                  **{name: getattr(self, name) for name in CONFIGURABLE})
        with tempfile.TemporaryDirectory(prefix="autograde-") as folder:
            path = Path(folder) / NOTEBOOK_NAME
            nbformat.write(nb, path)
            try:
                [result] = grade_submissions([Submission(student, path)],
                                             settings=settings).results
            except GradingError as error:
                self.log.error("Hidden graders: %s", error)  # nbgrader's traceback follows
                raise
        self.log.info("Hidden graders: %s scored %g/%g (%s)", student, result.score,
                      result.max_score, result.status.value)
        _restore_test_cells(nb)
        if self._reference is None:
            self._reference = lab_feedback.reference_runs()  # once per autograde run
        figures = lab_feedback.figures(result.own_runs, self._reference)
        for cell in nb.cells:
            grade_id = _grade_id(cell)
            if cell.cell_type == "code" and grade_id.startswith(TEST_CELL_PREFIX):
                part = result.part(grade_id.removeprefix(TEST_CELL_PREFIX))
                _write_score(cell, part, _part_html(result, part, figures))
        return nb, resources

    _reference: dict | None = None

    def _secret_path(self) -> Path:
        """The instructor's choice, else the course folder's secret (as the CLI's default)."""
        if self.secret_file:
            return Path(self.secret_file)
        return Path(CourseDirectory(config=self.config).root) / SECRET_FILE_NAME


def _grade_id(cell: NotebookNode) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def _restore_test_cells(nb: NotebookNode) -> None:
    """Put back each missing test cell, from the release, right after its answer cell."""
    present = {_grade_id(cell) for cell in nb.cells}
    release = nbformat.read(RELEASE_DIR / NOTEBOOK_NAME, as_version=4)
    for test_cell in release.cells:
        if not _grade_id(test_cell).startswith(TEST_CELL_PREFIX) or _grade_id(test_cell) in present:
            continue
        answer = _grade_id(test_cell).removeprefix(TEST_CELL_PREFIX)
        position = next((index + 1 for index, cell in enumerate(nb.cells)
                         if _grade_id(cell) == answer), len(nb.cells))
        nb.cells.insert(position, test_cell)


def _part_html(result: SubmissionResult, part: PartResult, figures: dict[str, str]) -> str:
    """The part's section of the feedback page; the last part's also holds the page's own
    plots (the fitted lines)."""
    html = feedback.part_html(part, figures)
    if part.name == result.tests[-1].name:
        html += feedback.page_figures_html(result, figures)
    return (f"<style>{feedback.FRAGMENT_STYLE}</style>"
            f'<div class="{feedback.FRAGMENT_CLASS}">{html}</div>')


def _write_score(cell: NotebookNode, part: PartResult, html: str = "") -> None:
    text = part.output or "All hidden checks passed."
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=text + "\n")]
    if html:
        outputs.append(nbformat.v4.new_output("display_data", data={
            "text/html": html, "text/plain": "(the hidden graders' feedback, as a page)"}))
    outputs.append(nbformat.v4.new_output("execute_result", data={"text/plain": f"{part.score:g}"},
                                          execution_count=cell.get("execution_count")))
    cell.outputs = outputs
