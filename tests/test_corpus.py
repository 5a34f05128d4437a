"""The corpus of example submissions, graded through the CLI and through `nbgrader autograde`.

Each case in tests/corpus/ names a behaviour and carries its expected status and per-part points;
both paths must give exactly those, and nbgrader's export must agree with the CLI's totals.
"""

import csv
import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.examples import load_cases
from autograder.feedback import sentence_html

pytestmark = pytest.mark.slow

CASES = load_cases()
PARTS = ("forward", "dataloader_loop", "batch20_trainer")
# Short limits keep the infinite-loop case quick; the lab's cells take well under a second.
LIMITS = {"cell": 3, "probe": 3}


def expected_points(case) -> dict[str, float]:
    return {part: float(case.expected[part]) for part in PARTS}


@pytest.fixture(scope="session")
def submitted(tmp_path_factory) -> Path:
    """The whole corpus in nbgrader's submitted/<student>/mini_batch_gd/ layout."""
    folder = tmp_path_factory.mktemp("class") / "submitted"
    for case in CASES:
        case.write_submission(folder)
    return folder


@pytest.fixture(scope="session")
def cli_run(submitted, tmp_path_factory) -> dict:
    """`python -m autograder grade` over the corpus, with every output requested and a secret of
    its own (the course's is never made by a test)."""
    out = tmp_path_factory.mktemp("report")
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "--jobs", "2",
         "--cell-timeout", str(LIMITS["cell"]), "--probe-timeout", str(LIMITS["probe"]),
         "--secret", str(out / ".grading-secret"),
         "--json", str(out / "grades.json"), "--csv", str(out / "grades.csv"),
         "--feedback", str(out / "feedback"), str(submitted)],
        capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr
    with (out / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    return {"report": json.loads((out / "grades.json").read_text()), "rows": rows,
            "stdout": done.stdout, "feedback": out / "feedback"}


@pytest.fixture(scope="session")
def cli_results(cli_run) -> dict[str, dict]:
    return {result["student"]: result for result in cli_run["report"]}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_cli_grades_case_as_expected(case, cli_results):
    """Does the CLI give the case exactly its expected status and points per part?"""
    result = cli_results[case.name]
    scores = {test["name"]: test["score"] for test in result["tests"]}
    assert (result["status"], scores) == (case.expected["status"], expected_points(case)), (
        f"{case.name}: {case.description}\n{json.dumps(result, indent=1)}")


@pytest.mark.parametrize("case", [case for case in CASES if case.feedback],
                         ids=[case.name for case in CASES if case.feedback])
def test_feedback_names_the_fix(case, cli_results):
    """Does each part's feedback say what the case got wrong, in the words a student needs?"""
    outputs = {test["name"]: test["output"] for test in cli_results[case.name]["tests"]}
    for part, phrases in case.feedback.items():
        for phrase in phrases:
            assert phrase in outputs[part], f"{part}: {phrase!r} not in\n{outputs[part]}"


def test_every_input_gets_one_object(cli_run):
    """Does the JSON report hold exactly one object per submission, in the contract's shape?"""
    report = cli_run["report"]
    assert sorted(result["student"] for result in report) == sorted(case.name for case in CASES)
    for result in report:
        assert {"student", "status", "score", "max_score", "execution_time", "tests"} <= set(result)
        assert [test["name"] for test in result["tests"]] == list(PARTS)
        assert result["max_score"] == 10
        assert result["score"] == pytest.approx(sum(test["score"] for test in result["tests"]))


def test_every_lost_point_has_a_reason(cli_run):
    """Does each part say why exactly when it lost points?"""
    for result in cli_run["report"]:
        for test in result["tests"]:
            lost = test["score"] < test["max_score"]
            assert bool(test["output"].strip()) == lost, (result["student"], test)


def test_csv_has_one_row_per_student(cli_run, cli_results):
    """Does the grade sheet hold a row per student with a column per part and the total?"""
    rows = cli_run["rows"]
    assert list(rows[0]) == ["student", "status", *PARTS, "total", "max_score"]
    assert len(rows) == len(CASES)
    for row in rows:
        assert float(row["total"]) == cli_results[row["student"]]["score"]


def test_cli_prints_table_and_summary(cli_run):
    """Does the command end with the grade table and a summary line?"""
    lines = cli_run["stdout"].strip().splitlines()
    assert lines[0].split()[:2] == ["student", "status"]
    assert lines[-1].startswith(f"{len(CASES)} submissions in ")


def test_feedback_page_per_student(cli_run):
    """Is there one feedback page per student, quoting every reason, and a class report?"""
    for result in cli_run["report"]:
        page = (cli_run["feedback"] / f"{result['student']}.html").read_text()
        assert f"{result['score']:g} / 10" in page
        for test in result["tests"]:
            assert f"{test['score']:g} / {test['max_score']:g}</span></h2>" in page
            if test["output"]:
                assert sentence_html(test["output"].splitlines()[0]) in page
    report = (cli_run["feedback"] / "index.html").read_text()
    assert all(f'href="{result["student"]}.html"' in report for result in cli_run["report"])


def test_nbgrader_feedback_shows_each_part_as_the_page_does(nbgrader_course, run_nbgrader):
    """Does `nbgrader generate_feedback` show every part with its checks' points and the plots
    of the student's own run, as `--feedback` pages do?"""
    student = "update_wrong_sign"
    code, log = run_nbgrader(["generate_feedback", "mini_batch_gd", "--student", student],
                             cwd=nbgrader_course)
    assert code == 0, log
    page = (nbgrader_course / "feedback" / student / "mini_batch_gd" / "mini_batch_gd.html"
            ).read_text()
    assert page.count('<div class="autograder-feedback">') == 3
    assert page.count("data:image/svg+xml;base64,") == 5
    assert "0 / 1 points" in page and "Your trained lines" in page
    assert "No plot of your run" not in page


@pytest.fixture(scope="session")
def nbgrader_course(released_course, submitted, run_nbgrader) -> Path:
    """The released course folder, where stock nbgrader autograded the corpus."""
    course = released_course
    shutil.copytree(submitted, course / "submitted")
    code, log = run_nbgrader(["autograde", "mini_batch_gd",
                              f"--HiddenGraders.cell_seconds={LIMITS['cell']}",
                              f"--HiddenGraders.probe_seconds={LIMITS['probe']}"], cwd=course)
    # nbgrader exits non-zero when some notebooks (the unreadable ones) fail; the rest is graded.
    assert "Hidden graders:" in log, log
    code, log = run_nbgrader(["export"], cwd=course)
    assert code == 0, log
    return course


def test_nbgrader_made_the_secret_in_the_course_folder(nbgrader_course):
    """Did `nbgrader autograde` in a fresh course folder make its secret there, owner-only?"""
    secret = nbgrader_course / ".grading-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


@pytest.fixture(scope="session")
def gradebook_scores(nbgrader_course) -> dict[str, dict[str, float]]:
    """Per student, the gradebook's score of each part's test cell."""
    scores = {}
    with Gradebook(f"sqlite:///{nbgrader_course / 'gradebook.db'}") as gradebook:
        for case in CASES:
            submission = gradebook.find_submission_notebook("mini_batch_gd", "mini_batch_gd",
                                                            case.name)
            scores[case.name] = {grade.name.removeprefix("test_"): grade.score
                                 for grade in submission.grades}
    return scores


@pytest.fixture(scope="session")
def exported_totals(nbgrader_course) -> dict[str, float]:
    with (nbgrader_course / "grades.csv").open() as handle:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_nbgrader_gradebook_matches_expected(case, gradebook_scores, exported_totals, cli_results):
    """Does nbgrader's gradebook hold the case's expected points, and export the CLI's total?

    An unreadable notebook fails in nbgrader before any preprocessor runs, after nbgrader has
    recorded the submission: every cell keeps 0 points, as the CLI gives it."""
    assert gradebook_scores[case.name] == expected_points(case), case.description
    assert exported_totals[case.name] == pytest.approx(cli_results[case.name]["score"])
