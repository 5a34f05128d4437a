"""What students and their workers hand the grader is checked before anything is built on it.

Unit tests of the bounded reader, the evidence schema, discovery and the reports, then one
grading run of a class where each hostile submission (the rows of issue #8 about inputs and
outputs) sits next to an honest one: every row must end with a record for everyone, the honest
student's 10/10 untouched, and a clear status and reason on the attacker's record.
"""

import contextlib
import csv
import io
import json
import os
import socket
from pathlib import Path

import pytest
import torch

from autograder import cli, grade, probe
from autograder.assignment import ASSIGNMENT_ID, NOTEBOOK_NAME, REPO_ROOT
from autograder.discover import Submission, discover, find_submissions
from autograder.errors import InvalidSubmission
from autograder.evidence import MALFORMED, MAX_TEXT, Evidence
from autograder.examples import CORPUS_DIR, ExampleCase
from autograder.feedback import render
from autograder.graders.observations import problem_of
from autograder.program import MAX_NOTEBOOK_BYTES, read_notebook
from autograder.report import write_csv, write_json
from autograder.results import PartResult, Status, SubmissionResult
from autograder.scenarios import draw_scenarios
from autograder.untrusted import MAX_DEPTH, clean_text, nests_deeper_than

PLAN = {item["part"]: [request["id"] for request in item["probes"]]
        for item in draw_scenarios(b"any course" * 4).probe_plan()["parts"]}
FORWARD_PROBE = PLAN["forward"][0]
NESTED_100K = b"[" * 100_000 + b"]" * 100_000


def nested(levels: int) -> bytes:
    return b'{"a": ' * levels + b"1" + b"}" * levels


# The bounded reader


@pytest.mark.parametrize("text, depth", [
    (b'[1, {"a": [2]}]', 3),
    (b'{"text": "[[[[{{{{ \\" ]]] \\\\"}', 1),
    (b'["\\\\", ["\\"["]]', 2),
    (b"[]" * 1000, 1),
])
def test_depth_scan_skips_strings_and_counts_levels(text, depth):
    """Is the depth found without parsing exact, brackets inside strings left out?"""
    assert (nests_deeper_than(text, depth - 1), nests_deeper_than(text, depth)) == (True, False)


@pytest.mark.parametrize("text", [b"[" * 200_000, nested(200_000), b'"' + b'\\"' * 100_000])
def test_depth_scan_survives_hostile_text(text):
    """Do unclosed, deep or escape-laden texts get an answer, deep ones refused?"""
    assert nests_deeper_than(text, MAX_DEPTH) == (text[:1] != b'"')


def test_notebook_nested_200000_levels_is_invalid(tmp_path):
    """Is a notebook nested 200,000 levels deep refused with a reason, not a RecursionError?"""
    path = tmp_path / "deep.ipynb"
    path.write_bytes(b'{"cells": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    with pytest.raises(InvalidSubmission, match=f"more than {MAX_DEPTH} levels deep"):
        read_notebook(path)


def test_notebook_past_the_size_limit_is_invalid(tmp_path):
    """Is a notebook over MAX_NOTEBOOK_BYTES refused without being read?"""
    path = tmp_path / "big.ipynb"
    with path.open("wb") as handle:
        handle.truncate(MAX_NOTEBOOK_BYTES + 1)
    with pytest.raises(InvalidSubmission, match="larger than 50 MiB"):
        read_notebook(path)


def test_linked_and_special_notebooks_are_invalid(tmp_path):
    """Are a symbolic link, a FIFO, a socket and a folder refused as notebooks, saying why?"""
    solution = REPO_ROOT / "solutions" / ASSIGNMENT_ID / NOTEBOOK_NAME
    (tmp_path / "link.ipynb").symlink_to(solution)
    os.mkfifo(tmp_path / "fifo.ipynb")
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(tmp_path / "socket.ipynb"))
        reasons = {}
        for name in ("link.ipynb", "fifo.ipynb", "socket.ipynb", "."):
            with pytest.raises(InvalidSubmission) as refused:
                read_notebook(tmp_path / name)
            reasons[name] = str(refused.value)
    assert "symbolic link" in reasons["link.ipynb"]
    assert all("not a regular file" in reasons[name]
               for name in ("fifo.ipynb", "socket.ipynb", "."))


def test_clean_text_cuts_and_replaces():
    """Are surrogates and control characters replaced, newlines kept, long text cut?"""
    assert clean_text("a\ud800b\x1b[0m\r\n\tc", 100) == "a\ufffdb\ufffd[0m\ufffd\n\tc"
    assert clean_text("a\nb\tc", 100, one_line=True) == "a\ufffdb\ufffdc"
    assert clean_text("x" * 10_000_000, 300) == "x" * 299 + "…"


# Evidence: what a worker left


def write_scratch(scratch: Path, files: dict[str, bytes | dict]) -> Path:
    for name, content in files.items():
        path = scratch / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return scratch


def honest_files() -> dict[str, dict]:
    """Files as an honest worker writes them, made by the worker's own probe code."""
    try:
        raise ValueError("w must be a tensor")
    except ValueError as error:
        summary = probe.summarize_error(error, set())
    w = torch.tensor(2.0, requires_grad=True)
    forward = {"output": probe.describe(w * torch.ones(3, 1)), "grad_w": probe.describe(w.grad),
               "grad_b": probe.describe(torch.tensor(3.0))}
    state = probe.probe_state({"LOSS": [1.5, torch.tensor(2.0)], "w": w}, {"names": ["LOSS", "w",
                                                                                      "b"]})
    return {"main.json": {"cells": [{"cell": "make_data"}, {"cell": "forward", "error": summary},
                                    {"cell": "sgd_run", "timeout": True}], "finished": True},
            "forward/section.json": {"cells": [{"cell": "forward"}]},
            "forward/ended.json": {"outcome": "ok"},
            f"forward/{PLAN['forward'][0]}.json": forward,
            f"forward/{PLAN['forward'][1]}.json": state,
            f"forward/{PLAN['forward'][2]}.json": {"error": summary}}


def test_honest_evidence_passes_unchanged(tmp_path):
    """Does everything an honest worker writes pass the schema exactly as written?"""
    files = honest_files()
    evidence = Evidence.read(write_scratch(tmp_path, files), PLAN, "ok")
    assert evidence.malformed == ()
    assert evidence.main == files["main.json"]
    assert evidence.parts["forward"].responses == {
        name.removeprefix("forward/").removesuffix(".json"): content
        for name, content in files.items() if name.count("/") and "section" not in name
        and "ended" not in name}


@pytest.mark.parametrize("content, why", [
    ({"error": "boom"}, "$.error is not an object"),
    (NESTED_100K, f"nested more than {MAX_DEPTH} levels deep"),
    ({"error": {"type": "X", "message": "x" * 3_000_000}}, "too large"),
    ({"output": {"type": "Tensor", "shape": [2], "value": [1.0]}, "grad_w": {"type": "float"},
      "grad_b": {"type": "float"}}, "$.output.value is not shaped as $.output.shape says"),
    ({"values": {"w": {"type": "float", "value": "1"}}}, "is not a number"),
    ({"lost": "ok", "skipped": "timeout"}, "not one of the probe answers"),
    (b"\xff{", "not valid JSON"),
])
def test_malformed_response_is_marked_not_raised(tmp_path, content, why):
    """Is a response that breaks the schema marked malformed, with where and why?"""
    scratch = write_scratch(tmp_path, {**honest_files(), f"forward/{FORWARD_PROBE}.json": content})
    evidence = Evidence.read(scratch, PLAN, "ok")
    assert MALFORMED in evidence.parts["forward"].responses[FORWARD_PROBE]
    assert len(evidence.malformed) == 1
    assert evidence.malformed[0].startswith(f"forward/{FORWARD_PROBE}.json: ")
    assert why in evidence.malformed[0]


def test_malformed_response_reads_as_a_sentence_and_a_crash(tmp_path):
    """Does a malformed response fail its check with a sentence and make the record crashed?"""
    files = {**honest_files(), "main.json": {"cells": [{"cell": "forward"}], "finished": True},
             f"forward/{FORWARD_PROBE}.json": {"error": "boom"}}
    evidence = Evidence.read(write_scratch(tmp_path, files), PLAN, "ok")
    response = evidence.parts["forward"].responses[FORWARD_PROBE]
    assert problem_of(response, "Calling forward(x)") == (
        "The grader could not read what your code's run of calling forward(x) produced "
        "(malformed output), so it could not be checked.")
    assert grade._status(evidence, {"cells": [{"label": "forward"}]}) == (
        Status.CRASHED, "the grader could not read what the run left (malformed output: "
                        f"forward/{FORWARD_PROBE}.json: $.error is not an object)")


def test_worker_text_is_cut_and_made_valid(tmp_path):
    """Are a long message and a lone surrogate from a worker cut and cleaned on the way in?"""
    error = {"type": "ValueError\x1b[2J", "message": "bad \ud800 " + "x" * 1_000_000}
    scratch = write_scratch(tmp_path, {**honest_files(), f"forward/{FORWARD_PROBE}.json":
                                       json.dumps({"error": error}).encode()})
    read = Evidence.read(scratch, PLAN, "ok").parts["forward"].responses[FORWARD_PROBE]["error"]
    assert read["type"] == "ValueError\ufffd[2J"
    assert read["message"].startswith("bad \ufffd x") and len(read["message"]) == MAX_TEXT


def test_linked_part_folder_is_not_followed(tmp_path):
    """Is a part folder that is a link (to another student's evidence) malformed, not read?"""
    other = write_scratch(tmp_path / "other", honest_files())
    scratch = write_scratch(tmp_path / "mine", {"main.json": honest_files()["main.json"]})
    (scratch / "forward").symlink_to(other / "forward")
    evidence = Evidence.read(scratch, PLAN, "ok")
    assert evidence.parts["forward"].responses == {}
    assert evidence.malformed == ("forward: not a folder (a symbolic link, or a file)",)


# Discovery


def touch(path: Path, content: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def test_nested_layout_is_reported_never_renamed(tmp_path):
    """Is a notebook nested in alice's folder reported, with alice and the real carol intact?"""
    submitted = tmp_path / "submitted"
    alice = touch(submitted / "alice" / ASSIGNMENT_ID / NOTEBOOK_NAME)
    stray = touch(submitted / "alice" / ASSIGNMENT_ID / "carol" / ASSIGNMENT_ID / NOTEBOOK_NAME)
    carol = touch(submitted / "carol" / ASSIGNMENT_ID / NOTEBOOK_NAME)
    found = find_submissions([submitted])
    assert found.submissions == [Submission("alice", alice), Submission("carol", carol)]
    assert [path for path, _ in found.skipped] == [stray]
    assert "not directly in alice/mini_batch_gd/" in found.skipped[0][1]


def test_two_notebooks_make_one_invalid_submission(tmp_path):
    """Is a student folder with two notebooks one submission naming both, never a guess?"""
    folder = tmp_path / "submitted" / "dave" / ASSIGNMENT_ID
    touch(folder / "a.ipynb")
    touch(folder / "b.ipynb")
    assert discover([tmp_path / "submitted"]) == [
        Submission("dave", folder, "Found 2 notebooks: a.ipynb, b.ipynb; submit exactly one.")]


def test_links_on_the_way_make_the_submission_invalid(tmp_path):
    """Are links as a student folder, an assignment folder or a notebook refused as invalid?"""
    submitted, elsewhere = tmp_path / "submitted", tmp_path / "elsewhere"
    touch(elsewhere / ASSIGNMENT_ID / NOTEBOOK_NAME)
    submitted.mkdir()
    (submitted / "erin").symlink_to(elsewhere)
    (submitted / "fay").mkdir()
    (submitted / "fay" / ASSIGNMENT_ID).symlink_to(elsewhere / ASSIGNMENT_ID)
    (submitted / "gus" / ASSIGNMENT_ID).mkdir(parents=True)
    (submitted / "gus" / ASSIGNMENT_ID / NOTEBOOK_NAME).symlink_to(
        elsewhere / ASSIGNMENT_ID / NOTEBOOK_NAME)
    found = {submission.student: submission for submission in discover([submitted])}
    assert "erin is a symbolic link" in found["erin"].problem
    assert "fay/mini_batch_gd is a symbolic link" in found["fay"].problem
    with pytest.raises(InvalidSubmission, match="symbolic link"):
        read_notebook(found["gus"].path)


def test_outside_the_layout_nothing_is_named_after_a_student(tmp_path):
    """Given the folder above submitted/, is a student's notebook reported, not graded as
    someone else, while loose notebooks keep their file names?"""
    nested = touch(tmp_path / "submitted" / "alice" / ASSIGNMENT_ID / NOTEBOOK_NAME)
    loose = touch(tmp_path / "drafts" / "eve.ipynb")
    found = find_submissions([tmp_path])
    assert found.submissions == [Submission("eve", loose)]
    assert [path for path, _ in found.skipped] == [nested]
    assert "outside the layout <student>/mini_batch_gd/<notebook>.ipynb" in found.skipped[0][1]


# Reports


def a_result(student: str, text: str = "") -> SubmissionResult:
    parts = (PartResult("forward", 2.0, reason=text),)
    return SubmissionResult(student, f"{student}.ipynb", Status.CRASHED, parts, reason=text)


def test_csv_cells_never_run_as_formulas(tmp_path):
    """Does a student id a spreadsheet would run as a formula land in the CSV as text?"""
    students = ["=cmd|' calc'!A0", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain"]
    write_csv([a_result(student) for student in students], tmp_path / "grades.csv")
    rows = list(csv.reader((tmp_path / "grades.csv").open(newline="")))
    assert [row[0] for row in rows[1:]] == [
        "'=cmd|' calc'!A0", "'+1", "'-1", "'@SUM(A1)", "'\tx", "\ufffdx", "plain"]


def test_reports_hold_valid_text_and_are_replaced_whole(tmp_path):
    """Are JSON and feedback written from text holding a surrogate, with no temporary left?"""
    results = [a_result("zoe\ud800", "bad \ud800 value <b>")]
    write_json(results, tmp_path / "grades.json")
    report = json.loads((tmp_path / "grades.json").read_text(encoding="utf-8"))
    assert report[0]["reason"] == "bad \ufffd value <b>"
    page = render(results[0])
    assert "bad \ufffd value &lt;b&gt;" in page and page.encode("utf-8")
    assert [path.name for path in tmp_path.iterdir()] == ["grades.json"]


# One class, graded once: each hostile submission next to honest ones

SOLUTION = CORPUS_DIR / "correct_source_solution"
HONEST = "honest"
FORGE_PROBE = ("import sys\n"
               "sys.modules['autograder.probe'].run_probe = lambda namespace, request, cells: {}")
NESTED_WRITER = ("import sys\n"
                 "def write_json(path, data):\n"
                 "    path.write_bytes(b'[' * 100_000 + b']' * 100_000)\n"
                 "sys.modules['autograder.worker'].write_json = write_json\n")
FORMULA_NAME = "=cmd|' calc'!A0"


def solution(name: str, extra_cell: str = "", forward: str = "") -> ExampleCase:
    """The correct solution, with an extra cell after forward or another forward."""
    edits = {"extra_cells": [{"after": "forward", "source": extra_cell}]} if extra_cell else {}
    if forward:
        edits["replace_cells"] = {"forward": forward}
    return ExampleCase(name, SOLUTION, name, {}, {}, edits, None)


RUN_IN_WORKERS = [
    solution(HONEST),
    solution("carol"),
    solution("error_boom", FORGE_PROBE.replace("{}", '{"error": "boom"}')),
    solution("nested_response", NESTED_WRITER),
    solution("surrogate_message",
             forward="def forward(x):\n    raise ValueError('bad ' + chr(0xD800) + ' value')\n"),
    solution("huge_message", FORGE_PROBE.replace(
        "{}", '{"error": {"type": "ValueError", "message": "x" * 10_000_000}}')),
    solution("grader_bug"),
]
EVERYONE = {case.name for case in RUN_IN_WORKERS} | {"alice", "nested_notebook", "mallory",
                                                      FORMULA_NAME}
STRAY = Path("submitted", "alice", ASSIGNMENT_ID, "carol", ASSIGNMENT_ID, NOTEBOOK_NAME)


@pytest.fixture(scope="module")
def class_run(tmp_path_factory) -> dict:
    """`python -m autograder grade` over the class, with a grader bug planted on `grader_bug`."""
    root = tmp_path_factory.mktemp("class")
    submitted = root / "submitted"
    for case in RUN_IN_WORKERS:
        case.write_submission(submitted)
    stub = ExampleCase.load(CORPUS_DIR / "stub_unanswered")
    for folder in (submitted / "alice", submitted / "alice" / ASSIGNMENT_ID / "carol"):
        touch(folder / ASSIGNMENT_ID / NOTEBOOK_NAME).write_bytes(stub.notebook_bytes())
    touch(submitted / "nested_notebook" / ASSIGNMENT_ID / NOTEBOOK_NAME).write_bytes(
        b'{"cells": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    (submitted / "mallory" / ASSIGNMENT_ID).mkdir(parents=True)
    (submitted / "mallory" / ASSIGNMENT_ID / NOTEBOOK_NAME).symlink_to(
        REPO_ROOT / "solutions" / ASSIGNMENT_ID / NOTEBOOK_NAME)
    formula = touch(root / "loose" / f"{FORMULA_NAME}.ipynb")
    formula.write_bytes(solution(HONEST).notebook_bytes())

    result = grade._result

    def buggy_result(submission, *args):
        if submission.student == "grader_bug":
            raise RuntimeError("planted grader bug")
        return result(submission, *args)

    out, printed, warnings = root / "out", io.StringIO(), io.StringIO()
    out.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grade, "_result", buggy_result)
        patch.chdir(root)
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(warnings):
            code = cli.main(["grade", "--jobs", "2", "--cell-timeout", "3", "--probe-timeout", "3",
                             "--work-dir", "work", "--secret", "secret", "--json",
                             "out/grades.json", "--csv", "out/grades.csv", "--feedback",
                             "out/feedback", "submitted",
                             str(formula.relative_to(root))])
    with (out / "grades.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    raw = (out / "grades.json").read_bytes()
    return {"code": code, "records": {record["student"]: record for record in json.loads(raw)},
            "raw": raw, "rows": rows, "stdout": printed.getvalue(),
            "stderr": warnings.getvalue(), "feedback": out / "feedback"}


def attacker(class_run: dict, student: str) -> dict:
    """The attacker's record, once the run is known to have ended well for everyone else."""
    assert class_run["code"] == 0, class_run["stderr"]
    assert set(class_run["records"]) == EVERYONE
    honest = class_run["records"][HONEST]
    assert (honest["status"], honest["score"], honest["reason"]) == ("graded", 10, ""), honest
    return class_run["records"][student]


def outputs(record: dict) -> dict[str, str]:
    return {test["name"]: test["output"] for test in record["tests"]}


@pytest.mark.slow
def test_probe_response_error_boom(class_run):
    """Does a forged `{"error": "boom"}` for every probe make a crashed record, not an error?"""
    record = attacker(class_run, "error_boom")
    assert (record["status"], record["score"]) == ("crashed", 0)
    assert "malformed output" in record["reason"] and "$.error is not an object" in record["reason"]
    assert all("could not read what your code's run of calling" in output
               for output in outputs(record).values())


@pytest.mark.slow
def test_response_nested_100000_levels(class_run):
    """Do files nested 100,000 levels deep make a crashed record, not a RecursionError?"""
    record = attacker(class_run, "nested_response")
    assert (record["status"], record["score"]) == ("crashed", 0)
    assert f"the file is nested more than {MAX_DEPTH} levels deep" in record["reason"]


@pytest.mark.slow
def test_notebook_nested_200000_levels(class_run):
    """Is a notebook nested 200,000 levels deep an invalid record saying so?"""
    record = attacker(class_run, "nested_notebook")
    assert (record["status"], record["score"]) == ("invalid", 0)
    assert f"more than {MAX_DEPTH} levels deep" in record["reason"]


@pytest.mark.slow
def test_exception_message_holding_a_lone_surrogate(class_run):
    """Is a message holding \\ud800 reported cleaned, with every feedback page written?"""
    record = attacker(class_run, "surrogate_message")
    scores = {test["name"]: test["score"] for test in record["tests"]}
    assert (record["status"], scores) == (
        "graded", {"forward": 0, "dataloader_loop": 4, "batch20_trainer": 4})
    assert "raised ValueError (bad \ufffd value)" in outputs(record)["forward"]
    assert b"\\ud800" not in class_run["raw"]
    pages = {page.name for page in class_run["feedback"].glob("*.html")}
    assert "index.html" in pages and len(pages - {"index.html"}) == len(EVERYONE)
    assert "bad \ufffd value" in (class_run["feedback"] / "surrogate_message.html").read_text()


@pytest.mark.slow
def test_forged_error_response_with_a_10_mb_message(class_run):
    """Does a forged 10 MB error message stay out of the record and the feedback?"""
    record = attacker(class_run, "huge_message")
    assert (record["status"], record["score"]) == ("crashed", 0)
    assert "the file is too large" in record["reason"]
    assert len(json.dumps(record)) < 5000 and "x" * 300 not in json.dumps(record)
    page = (class_run["feedback"] / "huge_message.html").read_text()
    assert "x" * 300 not in page and len(page) < 100_000  # plots of the public data included


@pytest.mark.slow
def test_notebook_nested_in_another_students_folder(class_run):
    """Is alice graded on her own notebook, the real carol kept, the nested file reported?"""
    alice = attacker(class_run, "alice")
    assert (alice["status"], alice["score"]) == ("graded", 0)
    carol = class_run["records"]["carol"]
    assert (carol["status"], carol["score"]) == ("graded", 10)
    assert f"warning: {STRAY}: not graded: in alice's folder" in class_run["stderr"]


@pytest.mark.slow
def test_notebook_named_like_a_spreadsheet_formula(class_run):
    """Does a notebook named `=cmd|' calc'!A0` reach the CSV as text, graded as any other?"""
    record = attacker(class_run, FORMULA_NAME)
    assert (record["status"], record["score"]) == ("graded", 10)
    assert [row[0] for row in class_run["rows"] if row[0].endswith("A0")] == [f"'{FORMULA_NAME}"]


@pytest.mark.slow
def test_symlink_to_the_solution_notebook(class_run):
    """Is a link to the solution notebook refused as invalid instead of graded 10/10?"""
    record = attacker(class_run, "mallory")
    assert (record["status"], record["score"]) == ("invalid", 0)
    assert "symbolic link" in record["reason"]


@pytest.mark.slow
def test_grader_bug_on_one_submission(class_run):
    """Does an exception while building one result make that one crashed, the run complete?"""
    record = attacker(class_run, "grader_bug")
    assert (record["status"], record["score"]) == ("crashed", 0)
    assert record["reason"].startswith("The grader failed on this submission (RuntimeError)")
