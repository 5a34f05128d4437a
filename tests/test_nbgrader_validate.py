"""`nbgrader validate`, as a student would run it: the solved notebook passes, the release fails.

nbgrader validate exits 0 whether or not the notebook passes; only its text tells: it prints
"Success! Your notebook passes all the tests." or "VALIDATION FAILED ON <n> CELL(S)!" followed by
each failing cell and its error.
"""

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

NOTEBOOK = "mini_batch_gd.ipynb"
PASSED = "Success! Your notebook passes all the tests."


def copy_of(folder: Path, tmp_path: Path) -> Path:
    """The notebook and its helper copied, so validating leaves the repository untouched."""
    for path in folder.iterdir():
        shutil.copy2(path, tmp_path)
    return tmp_path


def test_solved_notebook_passes(repo_root, tmp_path, run_nbgrader):
    """Does the solved notebook pass nbgrader validate?"""
    folder = copy_of(repo_root / "solutions" / "mini_batch_gd", tmp_path)
    code, text = run_nbgrader(["validate", NOTEBOOK], cwd=folder)
    assert code == 0, f"nbgrader validate exited {code}:\n{text}"
    assert PASSED in text and "VALIDATION FAILED" not in text, f"validate did not pass:\n{text}"


def test_release_notebook_fails(release_dir, tmp_path, run_nbgrader):
    """Does nbgrader validate report the untouched release as failing all three self-checks?"""
    # nbgrader validate exits 0 either way
    _, text = run_nbgrader(["validate", NOTEBOOK], cwd=copy_of(release_dir, tmp_path))
    assert PASSED not in text, f"the release passed validate:\n{text}"
    assert "VALIDATION FAILED ON 3 CELL(S)!" in text, f"expected 3 failing cells:\n{text}"
    for task in (1, 2, 3):
        assert f"# Self-check for Task {task}:" in text, f"Task {task}'s self-check not reported"
    assert "NotImplementedError: Task 1: `forward(x)` is not done yet" in text, (
        f"the failure does not name the unfinished task 'forward':\n{text}")
