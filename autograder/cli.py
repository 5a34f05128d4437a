"""`python -m autograder`: grade submissions, run the demo, or keep a warm grading server up.
Thin wrappers over the API."""

import argparse
import sys
import time
from pathlib import Path

from .errors import GradingError
from .settings import DEFAULT_SERVER_SOCKET, EngineSettings

HELP = EngineSettings.describe()
DEFAULT_WORK_DIR = Path(".autograder-runs")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Autograder of the mini-batch gradient descent lab.")
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade notebooks or nbgrader submission folders",
                                description="Grade every notebook under PATH. A folder may be "
                                "nbgrader's submitted/ (student id = <student> in "
                                "submitted/<student>/mini_batch_gd/); otherwise the student id is "
                                "the notebook's file name.")
    grade.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                       help="a notebook, or a folder to search for notebooks")
    _add_outputs(grade)
    grade.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR, metavar="DIR",
                       help="keep each submission's run here as it ends; running the command "
                       "again reuses every run whose notebook, limits and grader inputs are "
                       "unchanged, so an interrupted run resumes (default: %(default)s)")
    grade.add_argument("--rerun", action="store_true",
                       help="run every notebook again instead of reusing kept runs")
    grade.add_argument("--own-server", action="store_true",
                       help="start a grading server of its own even where `python -m "
                       "autograder serve` keeps one up")
    _add_secret(grade)
    _add_limits(grade)

    demo = commands.add_parser("demo", help="release the lab, grade the bundled examples, "
                               "write the grade table and feedback")
    demo.add_argument("--out", type=Path, default=Path("demo"),
                      help="folder for submissions, reports and feedback (default: demo)")
    _add_secret(demo)
    _add_limits(demo)

    serve = commands.add_parser(
        "serve", help="keep a warm grading server up, so that each grading run starts at once",
        description="Start the grading server (torch imported, first box tested) and keep it "
        "up until Ctrl-C. Every `grade` run of this user connects to it instead of starting "
        "its own, which saves a single submission most of its grading time. It listens at "
        f"{DEFAULT_SERVER_SOCKET}, reachable by you only. A server running older code than the "
        "grader is not used: restart it after updating the course.")
    serve.add_argument("--no-sandbox", dest="confined", action="store_false",
                       help="serve grading runs that pass --no-sandbox")
    return parser


def _add_outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="write the JSON report (one object per submission)")
    parser.add_argument("--csv", type=Path, metavar="FILE",
                        help="write the grade sheet (one row per student)")
    parser.add_argument("--feedback", type=Path, metavar="DIR",
                        help="write one HTML feedback page per student into DIR, and the class "
                        "report beside them (DIR/index.html)")
    parser.add_argument("--report", type=Path, metavar="DIR",
                        help="write the class report (score histogram, pass rates, most frequent "
                        "lost points, statuses) as DIR/index.html")


def _add_secret(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--secret", type=Path, default=EngineSettings().secret_file,
                        metavar="FILE", help=f"{HELP['secret_file']} (default: %(default)s)")


def _add_limits(parser: argparse.ArgumentParser) -> None:
    defaults = EngineSettings()
    parser.add_argument("--jobs", type=int, default=defaults.jobs, metavar="N",
                        help=HELP["jobs"])
    parser.add_argument("--timeout", type=float, default=defaults.submission_seconds,
                        metavar="SECONDS", help=f"{HELP['submission_seconds']} (default: "
                        "%(default)g)")
    parser.add_argument("--cell-timeout", type=float, default=defaults.cell_seconds,
                        metavar="SECONDS", help=f"{HELP['cell_seconds']} (default: %(default)g)")
    parser.add_argument("--probe-timeout", type=float, default=defaults.probe_seconds,
                        metavar="SECONDS", help=f"{HELP['probe_seconds']} (default: %(default)g)")
    parser.add_argument("--memory-mb", type=int, default=defaults.memory_mb, metavar="MB",
                        help=f"{HELP['memory_mb']} (default: %(default)d)")
    parser.add_argument("--file-mb", type=int, default=defaults.file_mb, metavar="MB",
                        help=f"{HELP['file_mb']} (default: %(default)d)")
    parser.add_argument("--disk-mb", type=int, default=defaults.disk_mb, metavar="MB",
                        help=f"{HELP['disk_mb']} (default: %(default)d)")
    parser.add_argument("--processes", type=int, default=defaults.processes, metavar="N",
                        help=f"{HELP['processes']} (default: %(default)d)")
    parser.add_argument("--no-sandbox", dest="confined", action="store_false",
                        help="grade without confinement: student code can then read and change "
                        "everything you can. Only for code you trust; every record says so")


def _settings(args: argparse.Namespace) -> EngineSettings:
    if args.jobs < 1:
        raise GradingError("--jobs must be at least 1.")
    own_server = getattr(args, "own_server", False)
    return EngineSettings(jobs=args.jobs, submission_seconds=args.timeout,
                          cell_seconds=args.cell_timeout, probe_seconds=args.probe_timeout,
                          memory_mb=args.memory_mb, file_mb=args.file_mb, disk_mb=args.disk_mb,
                          processes=args.processes, confined=args.confined,
                          secret_file=args.secret,
                          server_socket=None if own_server else DEFAULT_SERVER_SOCKET)


def run_grade(paths: list[Path], *, settings: EngineSettings, work_dir: Path,
              rerun: bool = False, json_path: Path | None = None, csv_path: Path | None = None,
              feedback_dir: Path | None = None, report_dir: Path | None = None,
              example_page: bool = False) -> int:
    """Grade, write the requested outputs, print the table and a summary line; with
    `example_page` (the demo), end by naming the class report and one student's page."""
    from . import pool, report
    from .assignment import load_assignment
    from .discover import find_submissions
    from .untrusted import clean_text

    started = time.monotonic()
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise GradingError(f"No such file or folder: {', '.join(missing)}")
    found = find_submissions(paths)
    for path, reason in found.skipped:
        print(clean_text(f"warning: {path}: {reason}", report.MAX_REPORT_TEXT, one_line=True),
              file=sys.stderr)
    submissions = found.submissions
    if not submissions:
        raise GradingError(f"No notebooks found under {', '.join(map(str, paths))}.")
    assignment = load_assignment()  # a damaged course stops here, before any box starts
    # Importing torch in the server is the longest wait of a small grading run: it starts
    # before the grader's own heavier imports (pytest, NumPy, the pages).
    pool.start_server_for(settings)

    from . import class_report, feedback, lab_feedback
    from .grade import grade_submissions

    progress = report.Progress(len(submissions), "grading")
    grading = grade_submissions(submissions, settings=settings, assignment=assignment,
                                on_progress=progress.step, work_dir=work_dir, rerun=rerun)
    progress.close()
    results = grading.results
    print(report.table(results))
    written = []
    if json_path:
        report.write_json(results, json_path)
        written.append(f"JSON report: {json_path}")
    if csv_path:
        report.write_csv(results, csv_path)
        written.append(f"grade sheet: {csv_path}")
    reports, pages = [], []
    if feedback_dir:
        pages = feedback.write_feedback(results, feedback_dir, lab_feedback.reference_runs(),
                                        jobs=settings.jobs)
        written.append(f"feedback: {feedback_dir}/<student>.html")
        reports.append(class_report.write_report(results, feedback_dir, feedback_dir))
    if report_dir:
        reports.append(class_report.write_report(results, report_dir, feedback_dir))
    written += [f"class report: {path}" for path in reports]
    for line in written:
        print(line)
    if grading.reused:
        print(f"{grading.reused} runs kept in {work_dir}/ from an earlier grading run were "
              "reused (--rerun runs every notebook again).")
    print(report.summary(results, time.monotonic() - started))
    if example_page and reports and pages:
        print(f"\nOpen in a browser:\n  the class report:          {reports[-1]}\n"
              f"  a student's feedback page: {_example_page(results, pages)}")
    return 0


def _example_page(results, pages: list[Path]) -> Path:
    """A page worth opening first: a graded student who lost points in a training part."""
    for result, page in zip(results, pages):
        if result.status.value == "graded" and 0 < result.score < result.max_score and any(
                part.score < part.max_score for part in result.tests[1:]):
            return page
    return pages[0]


def run_demo(out: Path, *, settings: EngineSettings) -> int:
    """Grade the bundled example submissions as an instructor would grade a class."""
    from .examples import load_cases

    submitted = out / "submitted"
    cases = load_cases()
    for case in cases:
        case.write_submission(submitted)
    print(f"Wrote {len(cases)} example submissions to {submitted}/")
    return run_grade([submitted], settings=settings, work_dir=out / "runs",
                     json_path=out / "grades.json", csv_path=out / "grades.csv",
                     feedback_dir=out / "feedback", example_page=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            from .pool import keep_server_up
            return keep_server_up(args.confined, DEFAULT_SERVER_SOCKET)
        settings = _settings(args)
        if args.command == "grade":
            return run_grade(args.paths, settings=settings, work_dir=args.work_dir,
                             rerun=args.rerun, json_path=args.json, csv_path=args.csv,
                             feedback_dir=args.feedback, report_dir=args.report)
        return run_demo(args.out, settings=settings)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted. Runs that ended are kept: the same command resumes from there.",
              file=sys.stderr)
        return 130
