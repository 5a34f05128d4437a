"""Hidden scenarios drawn from the course secret: reproducible, different per course, private,
and never changing a verdict of the example corpus."""

import hashlib
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import scenarios as drawing
from autograder.cli import main
from autograder.errors import GradingError
from autograder.examples import load_cases
from autograder.grade import discover, grade_submissions
from autograder.scenarios import CONVERGENCE_SCENARIO, draw_scenarios
from autograder.secret import course_secret
from autograder.settings import EngineSettings

PARTS = ("forward", "dataloader_loop", "batch20_trainer")
NOTEBOOK_ROWS = 60


def secret_of(course: str) -> bytes:
    """A fixed secret per name, so a failing draw can be drawn again."""
    return hashlib.sha256(course.encode()).hexdigest().encode()


COURSES = ("course a", "course b", "course c", "course d")


@pytest.fixture(scope="module")
def draws():
    return [draw_scenarios(secret_of(course)) for course in COURSES]


def training(scenarios) -> dict:
    return {scenario.id: scenario for scenario in scenarios.training}


def test_same_secret_draws_the_same_scenarios(draws):
    """Does a secret draw the very same probes again, under the same draw id?"""
    drawing._draw.cache_clear()
    again = draw_scenarios(secret_of(COURSES[0]))
    assert again.probe_plan() == draws[0].probe_plan()
    assert again.draw_id == draws[0].draw_id


def test_other_secrets_draw_other_scenarios(draws):
    """Do other secrets draw other data, start values, epochs and forward inputs?"""
    runs = [training(scenarios) for scenarios in draws]
    assert len({scenarios.draw_id for scenarios in draws}) == len(draws)
    assert len({run["other_data"].data for run in runs}) == len(draws)
    for name in ("other_data", "one_epoch"):
        assert len({(run[name].w0, run[name].b0) for run in runs}) == len(draws)
    assert len({run["other_data"].epochs for run in runs}) > 1
    assert len({scenarios.forward for scenarios in draws}) == len(draws)


def test_every_draw_keeps_the_kinds_the_graders_rely_on(draws):
    """Does each draw keep the notebook's run (where convergence is checked), other data (never
    10 epochs), one epoch, and forward inputs of several shapes (never the notebook's)?"""
    for scenarios in draws:
        runs = training(scenarios)
        assert list(runs) == [CONVERGENCE_SCENARIO, "other_data", "one_epoch"]
        assert runs["notebook_run"].from_notebook
        assert runs["other_data"].epochs != 10 and not runs["other_data"].data.is_notebook_data
        assert runs["one_epoch"].epochs == 1
        shapes = [scenario.shape for scenario in scenarios.forward]
        assert () in shapes and (1, 1) in shapes and len(set(shapes)) == len(shapes)
        assert all(shape[:1] != (NOTEBOOK_ROWS,) for shape in shapes)


def numbers(value) -> list[float]:
    if isinstance(value, dict):
        return [number for item in value.values() for number in numbers(item)]
    if isinstance(value, list):
        return [number for item in value for number in numbers(item)]
    return [value] if type(value) in (int, float) else []


def test_plan_holds_neither_the_secret_nor_expected_values(draws):
    """Does the worker's plan carry only the inputs: no secret, no reference result?"""
    plan = draws[0].probe_plan()
    assert secret_of(COURSES[0]).decode() not in json.dumps(plan)
    sent = set(numbers(plan))
    for scenario in draws[0].training:
        for batch_size in (1, 20):
            run = scenario.expected(batch_size)
            assert not {*run.losses, run.w, run.b} & sent, scenario.id
    forward_probes = plan["parts"][0]["probes"]
    assert all(set(probe) == {"id", "kind", "x", "w", "b"} for probe in forward_probes)


DRAW_IN_A_FRESH_PROCESS = """
import json, sys
from dataclasses import replace
from pathlib import Path
from autograder.scenarios import NOTEBOOK_START, draw_scenarios
drawn = draw_scenarios(sys.argv[1].encode(), Path(sys.argv[2]))
w0, b0 = NOTEBOOK_START
seen = {"plan": drawn.probe_plan(), "data": [scenario.data.lists() for scenario in drawn.training],
        "forward": [scenario.expected() for scenario in drawn.forward],
        "training": [vars(scenario.expected(size)) for scenario in drawn.training
                     for size in (1, 20)],
        # what a trainer that sets w and b itself, loops range(10) or reads the Mini5 or Mini10
        # loader makes the graders ask
        "mistakes": [[scenario.data.loss_at(w0, b0)]
                     + [vars(replace(scenario, w0=w0, b0=b0, epochs=10).expected(size))
                        for size in (5, 10)] for scenario in drawn.training]}
print(json.dumps({**seen, "torch": "torch" in sys.modules}))
"""


def draw_elsewhere(secret: bytes, kept: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", DRAW_IN_A_FRESH_PROCESS, secret.decode(),
                           str(kept)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_kept_answers_spare_later_runs_torch_and_change_nothing(tmp_path):
    """Is a draw whose answers are kept made without torch, with the very same answers, and
    are the runs beginners' mistakes make the graders ask for kept with it?"""
    kept = tmp_path / "secret.answers.json"
    first = draw_elsewhere(secret_of("kept"), kept)
    assert first["torch"] and stat.S_IMODE(kept.stat().st_mode) == 0o600
    again = draw_elsewhere(secret_of("kept"), kept)
    assert not again["torch"]
    assert {**again, "torch": True} == first


def test_notebook_seed_is_the_references():
    """scenarios.py names the notebook's seed without importing the reference (and torch)."""
    from solutions import reference
    assert drawing.NOTEBOOK_SEED == reference.SEED
    assert drawing.NOTEBOOK_DATA.lists()[0] == reference.make_data()[0].tolist()


def test_answers_of_another_version_are_computed_again(tmp_path):
    """Are answers kept by other code (another reference, scenarios or torch) ignored?"""
    kept = tmp_path / "secret.answers.json"
    first = draw_elsewhere(secret_of("kept"), kept)
    stale = json.loads(kept.read_text())
    stale["version"] = "other code"
    stale["answers"] = {key: "wrong" for key in stale["answers"]}
    kept.write_text(json.dumps(stale))
    again = draw_elsewhere(secret_of("kept"), kept)
    assert again["torch"] and {**again, "torch": True} == first
    assert json.loads(kept.read_text())["version"] != "other code"


def test_new_secret_is_private_and_reused(tmp_path):
    """Is a missing secret made owner-only (0600), with nothing left aside, and then reused?"""
    path = tmp_path / ".grading-secret"
    made = course_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(bytes.fromhex(made.decode())) == 32
    assert course_secret(path) == made
    assert list(tmp_path.iterdir()) == [path]


def raises_one_line(path: Path, message: str) -> None:
    with pytest.raises(GradingError, match=message) as raised:
        course_secret(path)
    assert "\n" not in str(raised.value)


def test_secret_in_a_missing_folder_is_a_one_line_error(tmp_path):
    """Is a secret that cannot be made, its folder missing, a GradingError of one line?"""
    raises_one_line(tmp_path / "gone" / ".grading-secret", "the folder .* does not exist")


def test_unreadable_secret_is_a_one_line_error(tmp_path):
    """Is a secret path that cannot be read (a folder) a GradingError of one line?"""
    (tmp_path / ".grading-secret").mkdir()
    raises_one_line(tmp_path / ".grading-secret", "Is a directory")


def test_file_without_a_secret_is_a_one_line_error(tmp_path):
    """Is a secret file holding no secret refused, rather than drawing from a guessable key?"""
    (tmp_path / ".grading-secret").write_text("my password\n")
    raises_one_line(tmp_path / ".grading-secret", "does not hold at least 32 hex digits")


def test_cli_names_an_unusable_secret_without_a_traceback(tmp_path, capsys):
    """Does `grade --secret` in a missing folder end with one error line and exit code 1?"""
    notebook = tmp_path / "alice.ipynb"
    notebook.write_text("{}")
    code = main(["grade", "--secret", str(tmp_path / "gone" / "secret"),
                 "--work-dir", str(tmp_path / "runs"), str(notebook)])
    error = capsys.readouterr().err
    assert code == 1
    assert error.startswith("error: Cannot make the grading secret") and error.count("\n") == 1


CASES = load_cases()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("class") / "submitted"
    for case in CASES:
        case.write_submission(folder)
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("course", ["course x", "course y", "course z"])
def test_corpus_verdicts_do_not_depend_on_the_draw(course, corpus, tmp_path):
    """Under this course's secret, does every example get exactly its expected status, points
    per part and feedback phrases, with the draw recorded in every result?"""
    secret = tmp_path / "secret"
    secret.write_text(secret_of(course).decode() + "\n")
    settings = EngineSettings(jobs=2, cell_seconds=3, probe_seconds=3, secret_file=secret)
    results = grade_submissions(discover([corpus]), settings=settings).results
    got = {result.student: (result.status.value, {part.name: part.score for part in result.tests})
           for result in results}
    expected = {case.name: (case.expected["status"],
                            {part: float(case.expected[part]) for part in PARTS})
                for case in CASES}
    assert got == expected
    outputs = {result.student: {part.name: part.output for part in result.tests}
               for result in results}
    missing = [(case.name, part, phrase) for case in CASES
               for part, phrases in case.feedback.items() for phrase in phrases
               if phrase not in outputs[case.name][part]]
    assert missing == []
    assert {result.to_dict()["scenarios"] for result in results} == {
        draw_scenarios(secret_of(course)).draw_id}
