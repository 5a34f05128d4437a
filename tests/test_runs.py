"""Kept runs: an interrupted or repeated grading run reuses what already ran, and only that."""

import os
import time
from pathlib import Path

import pytest

from autograder import pool, runs
from autograder.errors import GradingError
from autograder.examples import load_cases
from autograder.grade import discover, grade_submissions
from autograder.settings import EngineSettings

pytestmark = pytest.mark.slow
CASES = {case.name: case for case in load_cases()}


@pytest.fixture
def submitted(tmp_path, monkeypatch) -> Path:
    """Two submissions, graded from a folder given by a relative path, as users type it."""
    monkeypatch.chdir(tmp_path)
    for name in ("correct_source_solution", "forward_no_bias"):
        CASES[name].write_submission(tmp_path / "submitted")
    return Path("submitted")


def grade(submitted: Path, **options):
    settings = EngineSettings(secret_file=Path(".grading-secret"))
    return grade_submissions(discover([submitted]), settings=settings, work_dir=Path("work"),
                             **options)


def reports(grading) -> list[dict]:
    return [result.to_dict() for result in grading.results]


def server_processes() -> list[str]:
    """Warm servers and their forks started from this test's folder (others may run beside)."""
    found = []
    here = str(Path.cwd())
    for process in Path("/proc").glob("[0-9]*"):
        try:
            if (b"autograder.server" in (process / "cmdline").read_bytes()
                    and os.readlink(process / "cwd").startswith(here)):
                found.append(process.name)
        except OSError:
            continue
    return found


def test_second_run_reuses_every_kept_run(submitted):
    """Does grading again reuse both runs and give the very same report?"""
    first = grade(submitted)
    second = grade(submitted)
    assert (first.reused, second.reused) == (0, 2)
    assert reports(second) == reports(first)
    assert [result.score for result in first.results] == [10, 9]


def test_changed_notebook_runs_again(submitted):
    """Does a resubmitted notebook run again while the unchanged one is reused?"""
    grade(submitted)
    CASES["forward_wrong_sign_bias"].write_submission(Path("tmp"))
    notebook = next(submitted.glob("forward_no_bias/*/*.ipynb"))
    notebook.write_bytes(next(Path("tmp").glob("*/*/*.ipynb")).read_bytes())
    again = grade(submitted)
    assert again.reused == 1
    assert [result.score for result in again.results] == [10, 9]


def test_run_without_its_record_runs_again(submitted):
    """Is a run that never recorded its end (interrupted) run again, the others reused?"""
    grade(submitted)
    (Path("work") / "forward_no_bias" / "finished.json").unlink()
    assert grade(submitted).reused == 1


def test_tampered_kept_run_runs_again(submitted):
    """Is a kept run whose evidence was changed after the grader wrote it run again?"""
    first = grade(submitted)
    response = next(Path("work/forward_no_bias/evidence/forward").glob("long_column.json"))
    response.write_text(response.read_text().replace("-", "+"))
    again = grade(submitted)
    assert again.reused == 1
    assert [result.tests for result in again.results] == [result.tests for result in first.results]


def test_rerun_ignores_kept_runs(submitted):
    grade(submitted)
    assert grade(submitted, rerun=True).reused == 0


def test_one_grading_run_per_work_folder(submitted):
    """Is a second grading run on a busy work folder refused with a clear error?"""
    with runs.locked(Path("work")):
        with pytest.raises(GradingError, match="Another grading run is using work/"):
            grade(submitted)


def test_interrupt_stops_every_process_and_keeps_ended_runs(submitted):
    """After an interrupt, does nothing run on, with the ended runs kept for the next run?"""

    def interrupt(result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade(submitted, on_progress=interrupt)
    assert pool._servers == {}
    time.sleep(0.5)  # killed processes are gone once their parent has reaped them
    assert server_processes() == []
    kept = list(Path("work").glob("*/finished.json"))
    assert len(kept) >= 1
    assert grade(submitted).reused == len(kept)
