"""Time writing the feedback pages and the class report of a class (`python -m
autograder.bench_pages [--students 100]`).

The class is made up, not graded, so only the writing is timed: its students' runs are the
reference's run bent in the ways the corpus shows (a loss per batch: 600 entries and a path of
600 points; a diverging run with values up to 1e30; a run with NaN; a part that did not run;
an invalid notebook), plus the reference computation every grading run makes once.
"""

import argparse
import math
import tempfile
import time
from pathlib import Path

from . import class_report, feedback, lab_feedback
from .results import CheckResult, PartResult, Status, SubmissionResult

MESSAGE = ("In the notebook's own run (10 epochs from w = -15, b = -10), `LOSS_SGD` has 600 "
           "entries, one per batch; expected one per epoch (10): append once per epoch.")


def _runs(kind: int, reference: dict) -> dict:
    runs = {}
    for part, run in reference["runs"].items():
        losses, path = list(run["losses"]), [list(point) for point in run["path"][:-1]]
        if kind == 1:
            losses = losses * 60
        elif kind == 2:  # diverging: the loss gains 3 decades an epoch, w 10 over the run
            losses = [value * 10.0 ** (3 * epoch) for epoch, value in enumerate(losses)]
            path = [[w * 10.0 ** (10 * step / len(path)), b] for step, (w, b) in enumerate(path)]
        elif kind == 3:
            losses[4] = math.nan
        elif kind == 4 and part == "dataloader_loop":
            runs[part] = {"problem": "Task 2: `train_model_SGD(epochs)` is not done yet: "
                                     "replace the line `raise NotImplementedError(...)`."}
            continue
        runs[part] = {"losses": losses, "w": path[-1][0], "b": path[-1][1], "path": path}
    return runs


def made_up_class(students: int, reference: dict) -> list[SubmissionResult]:
    results = []
    for index in range(students):
        kind = index % 6
        lost = kind in (1, 2, 4)
        parts = (PartResult("forward", 2.0, (CheckResult("values", 2.0, 2.0),)),
                 PartResult("dataloader_loop", 4.0, (
                     CheckResult("records_one_float_per_epoch", 0.0 if lost else 1.0, 1.0,
                                 MESSAGE if lost else ""),
                     CheckResult("loss_values_match_reference", 3.0, 3.0))),
                 PartResult("batch20_trainer", 4.0, (CheckResult("values", 4.0, 4.0),)))
        status = Status.INVALID if kind == 5 else Status.GRADED
        results.append(SubmissionResult(f"student{index:03d}", "", status, parts,
                                        own_runs={} if kind == 5 else _runs(kind, reference)))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.bench_pages",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    reference = lab_feedback.reference_runs()
    computed = time.perf_counter()
    results = made_up_class(args.students, reference)
    with tempfile.TemporaryDirectory() as folder:
        written = time.perf_counter()
        pages = feedback.write_feedback(results, Path(folder), reference)
        class_report.write_report(results, Path(folder), Path(folder))
        done = time.perf_counter()
        size = sum(page.stat().st_size for page in pages) / len(pages)
    print(f"reference runs (once per grading run): {computed - started:.2f} s")
    print(f"{len(pages)} feedback pages and the class report: {done - written:.2f} s "
          f"({(done - written) / len(pages) * 1000:.1f} ms a page, {size / 1024:.0f} kB a page "
          "on average)")
    print(f"total: {done - started:.2f} s for a class of {args.students}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
