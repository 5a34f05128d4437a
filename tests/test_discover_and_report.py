"""Finding submissions, and the reports made from results."""

import csv
import json

import pytest

from autograder.discover import discover
from autograder.report import summary, table, write_csv, write_json
from autograder.results import CheckResult, PartResult, Status, SubmissionResult, file_stem


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    return path


def test_submitted_layout_gives_student_ids(tmp_path):
    """Is the student id the folder name in submitted/<student>/mini_batch_gd/?"""
    touch(tmp_path / "submitted" / "alice" / "mini_batch_gd" / "mini_batch_gd.ipynb")
    touch(tmp_path / "submitted" / "bob" / "mini_batch_gd" / "lab copy.ipynb")
    found = discover([tmp_path / "submitted"])
    assert [(item.student, item.path.name) for item in found] == [
        ("alice", "mini_batch_gd.ipynb"), ("bob", "lab copy.ipynb")]


def test_loose_notebooks_use_their_stem(tmp_path):
    """Is a loose notebook's student id its file name without .ipynb?"""
    path = touch(tmp_path / "carol.ipynb")
    assert [(item.student, item.path) for item in discover([path])] == [("carol", path)]


def test_student_folder_without_notebook_still_counts(tmp_path):
    """Does a student folder holding no notebook still become a submission, invalid saying why?"""
    folder = tmp_path / "submitted" / "dave" / "mini_batch_gd"
    touch(folder / "notes.txt")
    [found] = discover([tmp_path / "submitted"])
    assert (found.student, found.problem) == (
        "dave", f"No notebook (.ipynb file) was found in {folder}.")


def test_a_notebook_given_by_path_in_the_layout_is_its_students(tmp_path):
    """Is a notebook given as a file named after its student folder when it sits in the
    layout (a shell glob over submitted/), and after the file elsewhere?"""
    alice = touch(tmp_path / "submitted" / "alice" / "mini_batch_gd" / "mini_batch_gd.ipynb")
    bob = touch(tmp_path / "submitted" / "bob" / "mini_batch_gd" / "mini_batch_gd.ipynb")
    loose = touch(tmp_path / "submitted" / "alice" / "notes" / "mini_batch_gd.ipynb")
    assert [item.student for item in discover([alice, bob, loose])] == [
        "alice", "bob", "mini_batch_gd"]


def test_duplicate_ids_are_made_unique(tmp_path):
    """Do two notebooks with the same stem get two distinct ids?"""
    first, second = touch(tmp_path / "a" / "x.ipynb"), touch(tmp_path / "b" / "x.ipynb")
    assert [item.student for item in discover([first, second])] == ["x", "x#2"]


def test_checkpoints_are_ignored(tmp_path):
    """Are Jupyter's .ipynb_checkpoints copies left out?"""
    touch(tmp_path / "eve.ipynb")
    touch(tmp_path / ".ipynb_checkpoints" / "eve-checkpoint.ipynb")
    assert [item.student for item in discover([tmp_path])] == ["eve"]


def result(student: str, status: Status, points: tuple[float, float]) -> SubmissionResult:
    parts = tuple(
        PartResult(name, 2.0, (CheckResult("check", got, 2.0, "" if got == 2.0 else "fix it"),))
        for name, got in zip(("forward", "dataloader_loop"), points))
    return SubmissionResult(student, f"{student}.ipynb", status, parts, execution_time=0.25)


@pytest.fixture
def results():
    return [result("alice", Status.GRADED, (2.0, 1.0)), result("bob", Status.TIMEOUT, (0.0, 0.0))]


def test_json_report_follows_the_contract(results, tmp_path):
    """Does the JSON report carry each submission's fields and Gradescope-shaped tests?"""
    write_json(results, tmp_path / "grades.json")
    report = json.loads((tmp_path / "grades.json").read_text())
    assert report[0]["student"] == "alice" and report[0]["status"] == "graded"
    assert (report[0]["score"], report[0]["max_score"]) == (3.0, 4.0)
    assert report[0]["tests"][1] == {"name": "dataloader_loop", "score": 1.0, "max_score": 2.0,
                                     "output": "fix it"}
    assert report[1]["status"] == "timeout"


def test_csv_has_a_column_per_part(results, tmp_path):
    """Does the grade sheet have a row per student, a column per part and the total?"""
    write_csv(results, tmp_path / "grades.csv")
    rows = list(csv.reader((tmp_path / "grades.csv").open()))
    assert rows == [["student", "status", "forward", "dataloader_loop", "total", "max_score"],
                    ["alice", "graded", "2", "1", "3", "4"],
                    ["bob", "timeout", "0", "0", "0", "4"]]


def test_table_and_summary(results):
    """Does the table list every student and the summary count statuses and the mean?"""
    lines = table(results).splitlines()
    assert lines[0].split() == ["student", "status", "forward", "dataloader_loop", "total"]
    assert lines[2].split() == ["alice", "graded", "2/2", "1/2", "3/4"]
    assert summary(results, 1.25) == ("2 submissions in 1.2 s (1 graded, 1 timeout); "
                                      "mean score 1.50/4")


@pytest.mark.parametrize("student", ["alice", "bob#2", "lab_copy-1"])
def test_plain_student_ids_are_their_own_file_names(student):
    assert file_stem(student) == student


def test_other_student_ids_become_distinct_plain_file_names():
    """Is an id that is not a plain name never a path, and never another student's name?"""
    stems = [file_stem(student) for student in ["..", "a b", "a_b", "x/../y", ".hidden"]]
    assert len(set(stems)) == len(stems)
    assert all("/" not in stem and not stem.startswith(".") for stem in stems)
    assert stems[2] == "a_b" and stems[1].startswith("a_b-")
