"""Red team: hostile submissions graded among honest ones cannot harm the host or the class.

Each case in tests/redteam/<attack>/ is one attack from issues 7 and 8, written as a student who
has read this repository would write it, inside a notebook cell whose failure is silent. Each
test grades it with `python -m autograder grade` in a throwaway copy of the course, beside two
honest students (tests/corpus/correct_source_solution: 10/10, forward_no_bias: 9/10), and
asserts, all at once so a failure shows every effect of the attack:

- every student has exactly one record: the honest ones exactly their corpus grade, the
  attacker exactly what its own code earns (JSON, CSV and a feedback page each);
- the course is untouched: source/, release/, solutions/, autograder/ (no new __pycache__
  file either), tests/, nbgrader_config.py, the gradebook, the other students' notebooks
  and, unless they run again beside the attacker, their kept runs, all byte-identical; the
  real repository's tracked files too;
- no process created during the test is left; nothing reached the loopback listeners;
  /autograder/results/results.json was not created; the run ended within its limits.

Against an engine that runs submissions unconfined, most of these tests fail, and the
failure message says what the attack did. The attacks marked `unsafe_unconfined` (memory,
disk, signals to the server, fork bomb) would hit the whole machine there: they run only when
the canary (tests/redteam/canary/) shows that a submission cannot see the grading command,
and otherwise fail without running.
"""

import dataclasses
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redteam_harness import (
    GRADESCOPE_RESULTS,
    HONEST,
    OUTPUTS,
    REDTEAM_DIR,
    DiskWatch,
    LoopbackListeners,
    MachineMemory,
    ProcessWatch,
    attack_names,
    check_report,
    clear_outputs,
    copy_course,
    digest_changes,
    digest_files,
    digest_listed,
    grading_env,
    honest_cases,
    load_case,
    matches,
    run_grading,
    tracked_files,
)

pytestmark = pytest.mark.slow

CANARY = "canary"
LIMIT_SLACK_SECONDS = 45
"""A grading run may take its per-submission limit (--timeout 60) plus this much."""
MEMORY_MARGIN = 0.1
"""The box's cgroup holds it to --memory-mb exactly (measured: its peak was 1024 MiB of 1024);
the machine also gives out what no cgroup v1 counts (page tables, kernel stacks of the forks)
and the honest class's own peak varies by tens of MiB between runs."""
DISK_FILES_MB = 32
DISK_DROP_MB = 128
"""The disk attack writes 300 MiB under --file-mb 16; about the cap may land on the host."""


@dataclasses.dataclass(frozen=True)
class Template:
    """A graded course without any attacker: the honest students' kept runs are in runs/."""

    path: Path
    confined: bool
    canary: str
    memory_peak_mb: float


@pytest.fixture(scope="session")
def redteam_template(repo_root, tmp_path_factory) -> Template:
    """The throwaway course every test copies: the repository's tracked files, a gradebook,
    and a first grading run of the honest class (and the canary) without the attacker."""
    course = copy_course(repo_root, tmp_path_factory.mktemp("redteam-template") / "course")
    where = subprocess.run([sys.executable, "-c", "import autograder, solutions; "
                            "print(autograder.__file__); print(solutions.__file__)"],
                           cwd=course, env=grading_env(course), capture_output=True, text=True)
    for line in where.stdout.split():
        if not Path(line).resolve().is_relative_to(course.resolve()):
            pytest.fail(f"Refusing to attack: the grading command would import {line}, not the "
                        f"throwaway course {course}.\n{where.stderr}")
    for case in honest_cases().values():
        case.write_submission(course / "submitted")
    canary = load_case(REDTEAM_DIR / CANARY)
    canary.example.write_submission(course / "submitted")
    run = run_grading(course, monitor=MachineMemory().sample)
    expectations = {name: [case.expected] for name, case in honest_cases().items()}
    expectations[CANARY] = [{"status": status} for status in ("graded", "crashed", "timeout")]
    problems = check_report(course, run, "the honest class alone", expectations)
    if problems:
        pytest.fail("The engine does not grade the honest class as expected even without an "
                    "attacker:\n" + "\n".join(problems))
    records = {entry["student"]: entry for entry in json.loads((course / "grades.json")
                                                               .read_text())}
    confined = matches(records[CANARY], canary.expected)
    shutil.rmtree(course / "submitted" / CANARY)
    shutil.rmtree(course / "runs" / CANARY)
    clear_outputs(course)
    forward = records[CANARY]["tests"][0]
    return Template(course, confined, f"{forward['score']:g}/{forward['max_score']:g}",
                    run.peak or 0.0)


@pytest.fixture(scope="session")
def loopback():
    listeners = LoopbackListeners()
    yield listeners
    listeners.close()


def _protected(attacker: str, kept_runs: bool):
    """Which files of the course must not change: all but the outputs, the attacker's own
    notebook and runs, and the honest runs when they are run again."""

    def keep(relative: Path) -> bool:
        parts = relative.parts
        if parts[0] in OUTPUTS or parts[:2] == ("submitted", attacker):
            return False
        if parts[0] == "runs":
            return kept_runs and len(parts) > 1 and parts[1] in HONEST
        return True

    return keep


def _results_paths_present() -> dict[Path, bool]:
    """Which of /autograder, /autograder/results and the results file exist now."""
    paths = (GRADESCOPE_RESULTS.parent.parent, GRADESCOPE_RESULTS.parent, GRADESCOPE_RESULTS)
    return {path: path.exists() for path in paths}


def _results_file_created(before: dict[Path, bool]) -> list[str]:
    """Gradescope's results path on the host: report it if the test created it, and remove
    what the test created (folders only when they did not exist before and are empty)."""
    if before[GRADESCOPE_RESULTS] or not GRADESCOPE_RESULTS.exists():
        return []
    content = GRADESCOPE_RESULTS.read_bytes()[:120]
    GRADESCOPE_RESULTS.unlink()
    for folder in (GRADESCOPE_RESULTS.parent, GRADESCOPE_RESULTS.parent.parent):
        if not before[folder]:
            try:
                folder.rmdir()
            except OSError:
                break
    return [f"{GRADESCOPE_RESULTS} was created on the host: {content!r}"]


@pytest.mark.parametrize("name", attack_names())
def test_attack_is_contained(name, redteam_template, loopback, repo_root, tmp_path):
    """Is the attack without effect: the class graded as if it were absent, the host intact?"""
    case = load_case(REDTEAM_DIR / name)
    if case.unsafe_unconfined and not redteam_template.confined:
        pytest.fail(f"NOT RUN, unsafe on this engine: {case.spec.get('attack')}. The canary "
                    "saw the grading command from inside a submission (its forward got "
                    f"{redteam_template.canary}), so submissions are not confined and this "
                    "attack would reach the whole machine.", pytrace=False)
    results_before = _results_paths_present()
    if results_before[GRADESCOPE_RESULTS] and name.startswith("11_"):
        pytest.skip(f"{GRADESCOPE_RESULTS} existed before the test: its creation cannot be told")

    course = tmp_path / "course"
    shutil.copytree(redteam_template.path, course, symlinks=True)
    case.example.write_submission(course / "submitted")
    expectations = {student: [honest.expected] for student, honest in honest_cases().items()}
    expectations[case.name] = case.acceptable
    keep = _protected(case.name, kept_runs=not case.victims_running)
    course_before = digest_files(course, keep)
    real_files = tracked_files(repo_root)
    real_before = digest_listed(repo_root, real_files)

    problems: list[str] = []
    loopback.reset()
    watch = ProcessWatch(course)
    disk = DiskWatch(course) if case.monitor == "disk" else None
    monitor = {"memory": MachineMemory().sample,
               "disk": disk.sample if disk else None}.get(case.monitor or "")
    try:
        extra = (["--rerun"] if case.victims_running else []) + case.cli_args
        run = run_grading(course, extra, monitor)
        time.sleep(case.settle_seconds)
        problems += check_report(course, run, "grading with the attacker", expectations)
        if run.seconds > 60 + LIMIT_SLACK_SECONDS:
            problems.append(f"the grading run took {run.seconds:.0f} s, past its limits")
        if case.monitor == "memory":
            limit = _option(case.cli_args, "--memory-mb")
            allowed = redteam_template.memory_peak_mb + limit * (1 + MEMORY_MARGIN)
            if (run.peak or 0) > allowed:
                problems.append(f"the machine gave the grading run {run.peak:.0f} MiB at its "
                                f"peak: more than to the honest class alone "
                                f"({redteam_template.memory_peak_mb:.0f} MiB) plus --memory-mb "
                                f"and {MEMORY_MARGIN:.0%}")
        if disk:
            if disk.files_peak > DISK_FILES_MB or (run.peak or 0) > DISK_DROP_MB:
                problems.append(f"the host's disks filled while grading: {disk.files_peak:.0f}"
                                f" MiB of rt_fill_* files in view, {run.peak or 0:.0f} MiB of "
                                "free space gone at the peak (--file-mb 16)")
        if case.regrade:
            clear_outputs(course)
            again = run_grading(course, case.cli_args)
            time.sleep(case.settle_seconds)
            problems += check_report(course, again, "re-grading (kept runs reused)",
                                     expectations)
    finally:
        left = watch.leftovers()
        watch.close()
        if disk:
            disk.clean()
    problems += [f"process left behind: {line}" for line in left]
    problems += loopback.report()
    problems += _results_file_created(results_before)
    problems += digest_changes("the course copy", course_before, digest_files(course, keep))
    problems += digest_changes("the real repository", real_before,
                               digest_listed(repo_root, real_files))
    if problems:
        pytest.fail(f"{name}: {case.example.description}\n- " + "\n- ".join(problems),
                    pytrace=False)


def _option(args: list[str], name: str) -> float:
    return float(args[args.index(name) + 1])
