"""`nbgrader validate`, as a student would run it: the solved notebook passes, the release fails.

nbgrader validate exits 0 whether or not the notebook passes; only its text tells: it prints
"Success! Your notebook passes all the tests." or "VALIDATION FAILED ON <n> CELL(S)!" followed by
each failing cell and its error.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

NOTEBOOK = "mini_batch_gd.ipynb"
PASSED = "Success! Your notebook passes all the tests."


def validate(folder: Path, repo_root: Path) -> tuple[int, str]:
    """Exit code and printed text of `nbgrader validate` run in the notebook's folder."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
               PATH=os.pathsep.join([str(repo_root / ".venv" / "bin"), os.environ["PATH"]]))
    done = subprocess.run(["nbgrader", "validate", NOTEBOOK], check=False, cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


def copy_of(folder: Path, tmp_path: Path) -> Path:
    """The notebook and its helper copied, so validating leaves the repository untouched."""
    for path in folder.iterdir():
        shutil.copy2(path, tmp_path)
    return tmp_path


def test_solved_notebook_passes(repo_root, tmp_path):
    """Does the solved notebook pass nbgrader validate?"""
    code, text = validate(copy_of(repo_root / "solutions" / "mini_batch_gd", tmp_path), repo_root)
    assert code == 0, f"nbgrader validate exited {code}:\n{text}"
    assert PASSED in text and "VALIDATION FAILED" not in text, f"validate did not pass:\n{text}"


def test_release_notebook_fails(repo_root, release_dir, tmp_path):
    """Does nbgrader validate report the untouched release as failing all three self-checks?"""
    _, text = validate(copy_of(release_dir, tmp_path), repo_root)  # exit code 0 either way
    assert PASSED not in text, f"the release passed validate:\n{text}"
    assert "VALIDATION FAILED ON 3 CELL(S)!" in text, f"expected 3 failing cells:\n{text}"
    for task in (1, 2, 3):
        assert f"# Self-check for Task {task}:" in text, f"Task {task}'s self-check not reported"
    assert "NotImplementedError: Task 'forward' is not done yet" in text, (
        f"the failure does not name the unfinished task 'forward':\n{text}")
