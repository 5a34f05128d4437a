"""Errors an instructor can cause end with one clear line and a non-zero exit, not a traceback."""

import shutil
from functools import partial

import pytest

from autograder import assignment, pool
from autograder.assignment import NOTEBOOK_NAME, RELEASE_DIR, SOURCE_DIR, load_assignment
from autograder.cli import main
from autograder.errors import CourseError


@pytest.fixture
def course(tmp_path):
    """A copy of the course's source and release folders, to damage."""
    source, release = tmp_path / "source", tmp_path / "release"
    shutil.copytree(SOURCE_DIR, source)
    shutil.copytree(RELEASE_DIR, release)
    return source, release


@pytest.mark.parametrize("damage, message", [
    ("{}", "is not a Jupyter notebook with nbgrader cells (no 'cells' where one belongs): "
           "run `make release`."),
    ("not json", "cannot be read as a notebook"),
    ('{"cells": [{"metadata": {}}]}', "is not a Jupyter notebook with nbgrader cells"),
    (None, "is missing: run `make release`."),
])
def test_damaged_release_is_one_line(course, damage, message):
    """Is a release notebook that is empty JSON, not JSON, odd or missing one line to act on?"""
    source, release = course
    if damage is None:
        (release / NOTEBOOK_NAME).unlink()
    else:
        (release / NOTEBOOK_NAME).write_text(damage)
    with pytest.raises(CourseError) as raised:
        load_assignment(source, release)
    assert message in str(raised.value) and "\n" not in str(raised.value), str(raised.value)


def test_missing_source_is_one_line(course, tmp_path):
    """Is a missing instructor notebook named, with what to do?"""
    source, release = course
    shutil.rmtree(source)
    with pytest.raises(CourseError, match="is missing: restore the instructor notebook"):
        load_assignment(source, release)


def test_cli_stops_on_a_damaged_release_before_grading(course, tmp_path, monkeypatch, capsys):
    """Does `grade` with a damaged release exit 1 with one `error:` line and start no box?"""
    source, release = course
    (release / NOTEBOOK_NAME).write_text("{}")
    monkeypatch.setattr(assignment, "load_assignment", partial(load_assignment, source, release))
    started = []
    monkeypatch.setattr(pool, "start_server", lambda *args, **kwargs: started.append(args))
    notebook = tmp_path / "alice.ipynb"
    shutil.copy2(RELEASE_DIR / NOTEBOOK_NAME, notebook)
    code = main(["grade", "--secret", str(tmp_path / "secret"), "--work-dir",
                 str(tmp_path / "runs"), str(notebook)])
    error = capsys.readouterr().err
    assert code == 1 and started == []
    assert error.startswith("error: ") and error.count("\n") == 1, error
    assert "run `make release`" in error, error


def test_cli_names_a_folder_of_another_assignment(tmp_path, capsys):
    """Given submitted/ of another assignment, does `grade` say so instead of grading it?"""
    folder = tmp_path / "submitted" / "alice" / "hw2"
    folder.mkdir(parents=True)
    shutil.copy2(RELEASE_DIR / NOTEBOOK_NAME, folder / "hw2.ipynb")
    code = main(["grade", "--secret", str(tmp_path / "secret"), "--work-dir",
                 str(tmp_path / "runs"), str(tmp_path / "submitted")])
    error = capsys.readouterr().err
    assert code == 1 and error.count("\n") == 1, error
    assert "<student>/hw2/ folders, not <student>/mini_batch_gd/" in error, error
