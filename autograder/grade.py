"""The grading pipeline, top to bottom: find -> read -> execute -> judge -> results.

    discover(paths)           every submitted notebook, with its student id
    draw_scenarios            the hidden scenarios, drawn once per run from the course secret
    read_notebook + assemble  the program to run, or an `invalid` record
    runs                      reuse runs kept from an earlier grading run, keep new ones
    pool.run_jobs             run programs in parallel workers, evidence left in scratch folders
    judge                     the hidden pytest graders turn evidence into weighted checks
    _result                   one SubmissionResult per input, status and reasons included

Reporting (JSON, CSV, table, feedback) reads the results; it lives in report.py and feedback.py.
"""

import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import pool, runs
from .assignment import ASSIGNMENT_ID, Assignment, load_assignment
from .errors import InvalidSubmission
from .evidence import Evidence
from .judge import Case, judge
from .program import assemble, read_notebook
from .results import PartResult, Status, SubmissionResult
from .scenarios import draw_scenarios
from .secret import course_secret
from .settings import EngineSettings


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path


def discover(paths: Iterable[Path]) -> list[Submission]:
    """Submissions under the given paths: notebooks, or folders in nbgrader's
    `submitted/<student>/<assignment>/` layout (a student folder without a notebook still counts).
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            assignment_folders = sorted(folder for folder in path.glob(f"**/{ASSIGNMENT_ID}")
                                        if folder.is_dir())
            for folder in assignment_folders:
                notebooks = sorted(folder.glob("*.ipynb"))
                found.extend(notebooks or [folder])
            loose = [notebook for notebook in sorted(path.rglob("*.ipynb"))
                     if notebook.parent not in assignment_folders
                     and ".ipynb_checkpoints" not in notebook.parts]
            found.extend(loose)
        else:
            found.append(path)
    submissions, taken = [], set()
    for path in found:
        student = _student_id(path)
        unique, copy = student, 1
        while unique in taken:
            copy += 1
            unique = f"{student}#{copy}"
        taken.add(unique)
        submissions.append(Submission(unique, path))
    return submissions


def _student_id(path: Path) -> str:
    if path.name == ASSIGNMENT_ID and path.is_dir():
        return path.parent.name
    if path.parent.name == ASSIGNMENT_ID:
        return path.parent.parent.name
    return path.stem


def _invalid(submission: Submission, assignment: Assignment, reason: str,
             draw_id: str) -> SubmissionResult:
    parts = tuple(PartResult(part.name, part.points, reason=reason) for part in assignment.parts)
    return SubmissionResult(submission.student, str(submission.path), Status.INVALID, parts,
                            reason=reason, scenarios=draw_id)


def _read(submission: Submission, assignment: Assignment) -> dict:
    if submission.path.is_dir():
        raise InvalidSubmission(f"No notebook (.ipynb file) was found in {submission.path}.")
    return assemble(assignment, read_notebook(submission.path)).to_json()


def _status(evidence: Evidence, program: dict) -> tuple[Status, str]:
    """Timeout if anything ran out of time; crashed if any process ended early; else graded."""
    labels = [cell["label"] for cell in program["cells"]]
    timeouts, crashes = [], []
    if evidence.worker_end == "timeout":
        timeouts.append("the notebook did not finish in time")
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
    if timeouts:
        return Status.TIMEOUT, "; ".join(dict.fromkeys(timeouts))
    if crashes:
        return Status.CRASHED, "; ".join(crashes)
    return Status.GRADED, ""


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
    scenarios = draw_scenarios(course_secret(settings.secret_file))
    assignment = assignment or load_assignment()
    plan = scenarios.probe_plan()
    probe_ids = {item["part"]: [probe["id"] for probe in item["probes"]] for item in plan["parts"]}
    helpers = assignment.helper_files()
    results: dict[str, SubmissionResult] = {}
    cases: list[Case] = []
    seconds: dict[str, float] = {}
    jobs: list[pool.Job] = []
    fingerprints: dict[str, str] = {}
    folders: dict[str, runs.RunFolder] = {}

    def collect(job: pool.Job, worker_end: str, elapsed: float) -> None:
        evidence = Evidence.read(job.scratch, probe_ids, worker_end)
        cases.append(Case(key=job.key, evidence=evidence, program=job.program,
                          scenarios=scenarios))
        seconds[job.key] = elapsed
        on_progress(None)

    def finished(done: pool.Finished) -> None:
        folders[done.job.key].keep(fingerprints[done.job.key], done.worker_end, done.seconds)
        collect(done.job, done.worker_end, done.seconds)

    with _work_folder(work_dir) as root:
        for submission in submissions:
            try:
                program = _read(submission, assignment)
            except InvalidSubmission as error:
                results[submission.student] = _invalid(submission, assignment, str(error),
                                                       scenarios.draw_id)
                on_progress(results[submission.student])
                continue
            folder = runs.RunFolder.for_student(root, submission.student)
            job = pool.Job(key=submission.student, program=program, scratch=folder.scratch)
            run_fingerprint = runs.fingerprint(
                {"program": program, "plan": plan, "limits": settings.worker_limits()}, helpers)
            kept = None if rerun else folder.kept(run_fingerprint)
            if kept:
                collect(job, *kept)
                continue
            folder.prepare(helpers)
            fingerprints[job.key], folders[job.key] = run_fingerprint, folder
            jobs.append(job)
        pool.run_jobs(jobs, plan, settings, finished)
        checks = judge(cases, assignment)

    by_student = {submission.student: submission for submission in submissions}
    for case in cases:
        status, reason = _status(case.evidence, case.program)
        parts = tuple(PartResult(part.name, part.points, tuple(checks[case.key].get(part.name, ())))
                      for part in assignment.parts)
        submission = by_student[case.key]
        results[case.key] = SubmissionResult(submission.student, str(submission.path), status,
                                             parts, execution_time=seconds[case.key],
                                             reason=reason, scenarios=scenarios.draw_id)
    return Grading([results[submission.student] for submission in submissions],
                   reused=len(cases) - len(jobs))


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
