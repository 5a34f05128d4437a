"""The grading pipeline, top to bottom: find -> read -> execute -> judge -> results.

    discover(paths)           every submitted notebook, with its student id
    draw_scenarios            the hidden scenarios, drawn once per run from the course secret
    read_notebook + assemble  the program to run, or an `invalid` record
    runs                      reuse runs kept from an earlier grading run, keep new ones
    pool.run_jobs             run programs in parallel, each in its own box (sandbox.py); the
                              evidence each leaves is kept by runs
    judge                     the hidden pytest graders turn evidence into weighted checks,
                              each submission's as its run ends, while later ones still run
    _result                   one SubmissionResult per input, status and reasons included

Reporting (JSON, CSV, table, feedback) reads the results; it lives in report.py and feedback.py.
"""

import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from . import lab_feedback, pool, runs, sandbox
from .assignment import Assignment, load_assignment
from .discover import Submission, discover
from .errors import InvalidSubmission
from .evidence import MALFORMED, Evidence, evidence_files
from .judge import Case, Judge
from .program import assemble, read_notebook
from .results import CheckResult, PartResult, Status, SubmissionResult
from .scenarios import draw_scenarios, keep_answers
from .secret import course_secret, kept_answers_file
from .serving import UNCONFINED
from .settings import EngineSettings

MALFORMED_SHOWN = 3
"""Malformed files named in a record's reason; the rest are counted."""


def _unchecked(submission: Submission, assignment: Assignment, status: Status,
               reason: str) -> SubmissionResult:
    """A result whose parts could not be checked at all, each saying why."""
    parts = tuple(PartResult(part.name, part.points, reason=reason) for part in assignment.parts)
    return SubmissionResult(submission.student, str(submission.path), status, parts,
                            reason=reason)


def _grader_failed(submission: Submission, assignment: Assignment,
                   error: Exception) -> SubmissionResult:
    """A bug of ours met on one submission costs that one its result, not the class its run."""
    traceback.print_exception(error, file=sys.stderr)
    return _unchecked(submission, assignment, Status.CRASHED,
                      f"The grader failed on this submission ({type(error).__name__}): an error "
                      "on our side, not yours; your instructor will look at it.")


def _read(submission: Submission, assignment: Assignment) -> dict:
    if submission.problem:
        raise InvalidSubmission(submission.problem)
    return assemble(assignment, read_notebook(submission.path)).to_json()


def _status(evidence: Evidence, program: dict) -> tuple[Status, str]:
    """Timeout if anything ran out of time; crashed if any process ended early or left files
    the grader could not read; else graded."""
    labels = [cell["label"] for cell in program["cells"]]
    timeouts, crashes = [], []
    if evidence.worker_end == "timeout":
        timeouts.append("the notebook did not finish in time")
    elif MALFORMED in evidence.main:
        pass  # where the notebook stopped is unknown: `evidence.malformed` says why, below
    elif evidence.worker_end != "ok" or not evidence.main.get("finished"):
        running = min(len(evidence.main.get("cells", [])), len(labels) - 1)
        crashes.append(f"the notebook's process ended in the cell `{labels[running]}`")
    timeouts += [f"the cell `{record.get('cell')}` did not finish in time"
                 for record in evidence.main.get("cells", []) if record.get("timeout")]
    for name, part in evidence.parts.items():
        responses = list(part.responses.values())
        section = part.section or {}
        cell_timeout = any(record.get("timeout") for record in section.get("cells", []))
        probe_timeout = any("skipped" in response or response.get("lost") == "timeout"
                            or (response.get("error") or {}).get("type") == "TimeLimitExceeded"
                            for response in responses)
        if part.ended == "timeout" or cell_timeout or probe_timeout:
            timeouts.append(f"part {name} did not finish in time")
        elif part.section is None or any("lost" in response for response in responses):
            crashes.append(f"part {name} ended the Python process")
    if evidence.malformed:
        more = len(evidence.malformed) - MALFORMED_SHOWN
        crashes.append("the grader could not read what the run left (malformed output: "
                       + "; ".join(evidence.malformed[:MALFORMED_SHOWN])
                       + (f"; and {more} more" if more > 0 else "") + ")")
    if timeouts:
        return Status.TIMEOUT, "; ".join(dict.fromkeys(timeouts))
    if crashes:
        return Status.CRASHED, "; ".join(crashes)
    return Status.GRADED, ""


RUN_AGAIN = "run again on a fresh grading server: the first one stopped while running it"


def _result(submission: Submission, case: Case, checks: dict[str, list[CheckResult]],
            assignment: Assignment, seconds: float, note: str | None) -> SubmissionResult:
    status, reason = _status(case.evidence, case.program)
    parts = tuple(PartResult(part.name, part.points, tuple(checks.get(part.name, ())))
                  for part in assignment.parts)
    return SubmissionResult(submission.student, str(submission.path), status, parts,
                            execution_time=seconds,
                            reason="; ".join(filter(None, (reason, note))),
                            own_runs=lab_feedback.student_runs(case.evidence))


@dataclass
class Grading:
    """The results of a grading run, in the order of the submissions, and how many kept runs
    from an earlier, interrupted or repeated, grading run were reused."""

    results: list[SubmissionResult]
    reused: int = 0


def grade_submissions(submissions: list[Submission], *, settings: EngineSettings | None = None,
                      assignment: Assignment | None = None,
                      on_progress: Callable[[SubmissionResult | None], None] = lambda result: None,
                      work_dir: Path | None = None, rerun: bool = False) -> Grading:
    """Grade every submission; exactly one result per submission, in the same order.

    Runs are kept in `work_dir` as each ends (a temporary folder when None); a kept run made
    from the same inputs is reused unless `rerun`. `on_progress` is called with each invalid
    result as soon as it is known, and with None as each notebook's run ends or is reused
    (results of run notebooks exist only after judging).
    """
    settings = settings or EngineSettings()
    assignment = assignment or load_assignment()  # a damaged course stops before any box starts
    pool.start_server_for(settings)  # imports torch while we read (if not started yet)
    answers_file = kept_answers_file(settings.secret_file)
    scenarios = draw_scenarios(course_secret(settings.secret_file), answers_file)
    plan = scenarios.probe_plan()
    probe_ids = {item["part"]: [probe["id"] for probe in item["probes"]] for item in plan["parts"]}
    helpers = tuple(assignment.helper_files())
    limits, evidence = settings.worker_limits(), evidence_files(probe_ids)
    fingerprint = runs.fingerprinter({"plan": plan, "limits": limits,
                                      "confined": settings.confined}, list(helpers))
    results: dict[str, SubmissionResult] = {}
    cases: list[Case] = []
    seconds: dict[str, float] = {}
    jobs: list[pool.Job] = []
    fingerprints: dict[str, str] = {}
    folders: dict[str, runs.RunFolder] = {}
    notes: dict[str, str] = {}

    by_student = {submission.student: submission for submission in submissions}

    def collect(key: str, folder: runs.RunFolder, worker_end: str, elapsed: float,
                program: dict) -> None:
        try:
            evidence = Evidence.read(folder.evidence, probe_ids, worker_end)
        except Exception as error:  # noqa: BLE001 - see _grader_failed
            results[key] = _grader_failed(by_student[key], assignment, error)
            judging.skip(key)
        else:
            case = Case(key=key, evidence=evidence, program=program, scenarios=scenarios)
            cases.append(case)
            judging.add(case)  # judged while later notebooks run
            seconds[key] = elapsed
        on_progress(None)

    def finished(done: pool.Finished) -> None:
        key = done.job.key
        if done.attempts > 1:
            notes[key] = RUN_AGAIN
        folders[key].keep(done.evidence, fingerprints[key], done.worker_end, done.seconds)
        collect(key, folders[key], done.worker_end, done.seconds, done.job.request["program"])

    programs: dict[str, dict] = {}
    for submission in submissions:
        try:
            programs[submission.student] = _read(submission, assignment)
        except InvalidSubmission as error:
            results[submission.student] = _unchecked(submission, assignment, Status.INVALID,
                                                     str(error))
            on_progress(results[submission.student])
        except Exception as error:  # noqa: BLE001 - see _grader_failed
            results[submission.student] = _grader_failed(submission, assignment, error)
            on_progress(results[submission.student])

    with _work_folder(work_dir) as root, Judge(programs, assignment) as judging:
        for student, program in programs.items():
            folder = runs.RunFolder.for_student(root, student)
            run_fingerprint = fingerprint(program)
            kept = None if rerun else folder.kept(run_fingerprint)
            if kept:
                collect(student, folder, *kept, program)
                continue
            request = {"program": program, "plan": plan, "limits": limits, "evidence": evidence}
            fingerprints[student], folders[student] = run_fingerprint, folder
            jobs.append(pool.Job(student, request, helpers))
        pool.run_jobs(jobs, settings, root, finished)
        checks = judging.checks()
        keep_answers(answers_file)  # the graders may have asked new ones

    for case in cases:
        submission = by_student[case.key]
        try:
            results[case.key] = _result(submission, case, checks[case.key], assignment,
                                        seconds[case.key], notes.get(case.key))
        except Exception as error:  # noqa: BLE001 - see _grader_failed
            results[case.key] = _grader_failed(submission, assignment, error)
    confinement = sandbox.describe() if settings.confined else UNCONFINED
    return Grading([replace(results[submission.student], sandbox=confinement,
                            scenarios=scenarios.draw_id)
                    for submission in submissions], reused=len(cases) - len(jobs))


@contextmanager
def _work_folder(work_dir: Path | None) -> Iterator[Path]:
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="autograder-") as folder:
            yield Path(folder)
    else:
        with runs.locked(work_dir):
            yield work_dir.resolve()  # workers change directory: paths must not be relative


def grade_paths(paths: Iterable[Path], **options) -> list[SubmissionResult]:
    """Python API: grade notebooks and submission folders (see `discover`)."""
    return grade_submissions(discover(paths), **options).results
