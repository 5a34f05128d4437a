"""`python -m autograder.bench`: how fast grading is, beside what it is measured against.

One run builds N submissions from the corpus (a mix of correct styles, mistakes and cheats) and
measures on those same notebooks, each as one process tree started fresh:

    stock   the first K notebooks, each in a fresh Jupyter kernel (baselines.py), extrapolated to N
    floor   every notebook's code run once in one warm interpreter, figures not drawn
    ours    `python -m autograder grade --jobs J` with every report, in a fresh work folder
    one     a single correct submission graded start to report, the median of several runs:
            each run starting its own server, and again with `python -m autograder serve` up
    growth  ours at other class sizes, to show it is linear after start-up with flat memory

Wall time, per-notebook median and p95, and the peak memory of the whole process tree, then the
issue's targets. Only figures from one run compare: this machine's speed drifts between runs.
"""

import argparse
import hashlib
import json
import math
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .assignment import REPO_ROOT, load_assignment
from .examples import CORPUS_DIR, DEFAULT_BASE, ExampleCase, load_cases
from .scenarios import draw_scenarios
from .secret import course_secret, kept_answers_file

EXCLUDED_FAULTS = {
    "fault_infinite_loop_in_sgd": "never returns: a run would measure the time limit, not grading",
    "fault_prints_forever": "prints until a limit stops it: a run would measure the limit",
    "fault_os_exit_in_trainer": "ends its process: it kills the stock kernel and would end the "
                                "floor's shared interpreter",
}
"""Corpus cases left out besides unreadable files (nothing to run), with why."""
KINDS = ("correct", "mistake", "cheat", "fault")
"""Kinds of corpus case, by name prefix; a case of no other kind is a mistake."""
SECRET = "secret"
BENCH_SECRET = hashlib.sha256(b"autograder benchmark").hexdigest()
"""The benchmark draws its hidden scenarios from a fixed secret of its own, written beside its
notebooks: every run asks the same questions (a hidden run's epochs change what grading costs),
and the course's secret is never made or used by timing."""
SAMPLE_SECONDS = 0.2
"""The shortest wait between two samples of a tree's memory."""
SAMPLE_COST_FACTOR = 25
"""After each sample the sampler waits this many times the CPU time it took, so it never takes
more than a 25th of one core: reading a process's PSS walks its page tables, ~35 ms for a
grading tree of 2 boxes, and sampled at a fixed 5 Hz it took 12% of a core from the grading it
measured (7% more wall time for 100 submissions on 2 cores, the same peak as at ~1 Hz)."""
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MIB = 2**20
TARGET_ONE_SECONDS = 3.0
TARGET_STOCK_OVER_OURS = 40.0
TARGET_PEAK_MIB_AT_500 = 2048.0


@dataclass(frozen=True)
class Options:
    n: int = 100
    jobs: int = os.cpu_count() or 1
    stock_n: int = 10
    sizes: tuple[int, ...] = (10, 100, 500)
    repeats: int = 5
    out: Path = Path("bench")
    json_path: Path = Path("bench/bench.json")


@dataclass(frozen=True)
class Measured:
    wall_s: float
    peak_mib: float
    cpu_s: float
    """User and system time of the process and its descendants: steadier than wall time where
    the machine's speed drifts, and wall time on 2 cores can hide at most twice it."""


class BenchError(Exception):
    """A measured command failed: its figures would mean nothing."""


# --- the notebooks -------------------------------------------------------------------------------

def bench_cases() -> tuple[list[ExampleCase], dict[str, str]]:
    """The corpus cases worth timing, each kind spread evenly so that any prefix (stock runs only
    the first K) is a mix, a correct one first; and the cases left out, with why."""
    included, excluded = [], {}
    for case in load_cases():
        if case.expected.get("status") == "invalid":
            excluded[case.name] = "not a readable notebook: nothing to run"
        elif case.name in EXCLUDED_FAULTS:
            excluded[case.name] = EXCLUDED_FAULTS[case.name]
        else:
            included.append(case)
    groups = {kind: [case for case in included if _kind(case) == kind] for kind in KINDS}
    spread = sorted((index / len(group), KINDS.index(kind), case.name)
                    for kind, group in groups.items() for index, case in enumerate(group))
    by_name = {case.name: case for case in included}
    return [by_name[name] for *_, name in spread], excluded


def _kind(case: ExampleCase) -> str:
    prefix = case.name.split("_")[0]
    return prefix if prefix in KINDS else "mistake"


def build_submissions(folder: Path, n: int, cases: list[ExampleCase]) -> list[Path]:
    """N notebooks in nbgrader's submitted/ layout, cycling over the cases; student
    `<number>-<case>` so every one is distinct and says what it is."""
    return [replace(case, name=f"{number:03d}-{case.name}").write_submission(folder)
            for number, case in ((number, cases[(number - 1) % len(cases)])
                                 for number in range(1, n + 1))]


# --- measuring a process tree --------------------------------------------------------------------

def write_secret(path: Path) -> dict:
    """Write the benchmark's secret and keep the answers to what it draws beside it, as a
    course's first grading run does; returns the draw's name and its hidden runs' epochs."""
    path.write_text(BENCH_SECRET + "\n")
    scenarios = draw_scenarios(course_secret(path), kept_answers_file(path))
    return {"draw": scenarios.draw_id,
            "epochs": {scenario.id: scenario.epochs for scenario in scenarios.training}}


def tree_memory_bytes(root: int) -> int:
    """Proportional set size (PSS) summed over `root` and all its descendants: a page that forks
    share is split among them, so the sum is what the tree holds."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:  # ended between listing and reading
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * PAGE_BYTES
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _pss_bytes(pid, rss.get(pid, 0))
        todo.extend(children.get(pid, []))
    return total


def _pss_bytes(pid: int, resident_bytes: int) -> int:
    """A process's PSS; 0 once it has ended, even if it was listed with memory a moment before
    (a box ends every second: counting it at its resident size, as listed, added up to 200 MiB
    of pages it shared to a sample). Where its PSS may not be read (a box of another user, for a
    benchmark not run as root), its resident size, which counts shared pages whole."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except PermissionError:
        return resident_bytes
    except OSError:
        pass
    return 0  # ended between listing and reading, or a zombie: no memory left


class PeakMemory:
    """Samples a process tree's PSS in a background thread: the peak is what a grading
    machine must hold, and no single process of the tree shows it."""

    def __init__(self, root: int):
        self.root, self.peak_bytes = root, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while True:
            started = time.thread_time()
            self.peak_bytes = max(self.peak_bytes, tree_memory_bytes(self.root))
            cost = time.thread_time() - started
            if self._stop.wait(max(SAMPLE_SECONDS, SAMPLE_COST_FACTOR * cost)):
                return


def measure(command: list[str], log: Path) -> Measured:
    """Run a command as a fresh process tree: wall time and peak memory. Its stdout goes to
    `log`; stderr (progress) to ours."""
    env = dict(os.environ)
    # Subprocesses run the very package being measured, whatever is installed in the venv.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        cpu_before = _children_cpu_s()
        start = time.monotonic()
        process = subprocess.Popen(command, stdout=out, env=env, cwd=REPO_ROOT)
        with PeakMemory(process.pid) as memory:
            code = process.wait()
        wall = time.monotonic() - start
    if code != 0:
        raise BenchError(f"`{' '.join(command)}` failed (exit {code}); its output: {log}")
    return Measured(wall, memory.peak_bytes / MIB, _children_cpu_s() - cpu_before)


def _children_cpu_s() -> float:
    """CPU time of every child process waited for so far (each counting its own waited-for
    descendants): the commands measured here, one at a time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def quantile(values: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks (q=0.5 is the median)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _spread(values: list[float]) -> dict[str, float]:
    return {"median_s": quantile(values, 0.5), "p95_s": quantile(values, 0.95)}


# --- the four measurements -----------------------------------------------------------------------

def measure_baseline(kind: str, notebooks: list[Path], work: Path) -> dict:
    """stock or floor (see baselines.py) on these notebooks, in a folder holding the helpers."""
    helpers = work / f"{kind}-cwd"
    helpers.mkdir(parents=True)
    for path in load_assignment().helper_files():
        shutil.copy2(path, helpers)
    records_path = work / f"{kind}.json"
    measured = measure([sys.executable, "-m", "autograder.baselines", kind, str(helpers),
                        str(records_path), *map(str, notebooks)], work / "logs" / f"{kind}.txt")
    records = json.loads(records_path.read_text())
    seconds = [record["seconds"] for record in records]
    figures = {"notebooks": len(records), "wall_s": measured.wall_s, "cpu_s": measured.cpu_s,
               "notebooks_s": sum(seconds), "per_notebook": _spread(seconds),
               "peak_mib": measured.peak_mib,
               "cells_raising": sum(record["errors"] for record in records), "runs": records}
    if kind == "stock":
        figures["figures_drawn"] = sum(record["figures"] for record in records)
    return figures


def measure_ours(folder: Path, jobs: int, work: Path, label: str) -> dict:
    """`python -m autograder grade` on a folder with every report, in a fresh work folder."""
    reports = work / label
    measured = measure([sys.executable, "-m", "autograder", "grade", str(folder),
                        "--jobs", str(jobs), "--own-server", "--json", str(reports / "grades.json"),
                        "--csv", str(reports / "grades.csv"), "--feedback",
                        str(reports / "feedback"), "--work-dir", str(reports / "runs"),
                        "--secret", str(work / SECRET)], reports / "log.txt")
    records = json.loads((reports / "grades.json").read_text())
    times = [record["execution_time"] for record in records]
    return {"submissions": len(records), "jobs": jobs, "wall_s": measured.wall_s,
            "cpu_s": measured.cpu_s,
            "per_submission": _spread(times), "peak_mib": measured.peak_mib,
            "statuses": dict(Counter(record["status"] for record in records))}


def measure_one(notebook: Path, repeats: int, work: Path, label: str,
                *options: str) -> dict:
    """One notebook graded start to report, `repeats` times, each in a fresh work folder."""
    runs = []
    for number in range(1, repeats + 1):
        reports = work / f"{label}-{number}"
        runs.append(measure([sys.executable, "-m", "autograder", "grade", str(notebook),
                             "--json", str(reports / "grades.json"), *options,
                             "--work-dir", str(reports / "runs"), "--secret", str(work / SECRET)],
                            reports / "log.txt"))
    return {"runs": repeats, "walls_s": [run.wall_s for run in runs],
            "wall_s": statistics.median(run.wall_s for run in runs),
            "cpu_s": statistics.median(run.cpu_s for run in runs),
            "peak_mib": max(run.peak_mib for run in runs)}


def measure_one_served(notebook: Path, repeats: int, work: Path) -> dict:
    """`measure_one` while `python -m autograder serve` keeps a warm server up (started and
    warmed before the clock starts); the kept-up server's own peak memory beside it."""
    log = work / "logs" / "serve.txt"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "autograder", "serve"], cwd=REPO_ROOT,
                                  stdout=subprocess.PIPE, stderr=out, text=True)
        try:
            first = server.stdout.readline()
            if "ready" not in first:
                raise BenchError(f"`python -m autograder serve` did not start; see {log}")
            with PeakMemory(server.pid) as memory:
                one = measure_one(notebook, repeats, work, "one-served")
        finally:
            server.send_signal(signal.SIGINT)
            server.wait()
    return {**one, "server_peak_mib": memory.peak_bytes / MIB}


def measure_growth(size: int, cases: list[ExampleCase], jobs: int, work: Path,
                   step: Callable[[str], None]) -> dict:
    """ours on a class of another size, built the same way."""
    step(f"growth: ours on {size} submissions")
    folder = work / f"submitted-{size}"
    build_submissions(folder, size, cases)
    return {"n": size, **measure_ours(folder, jobs, work, f"ours-{size}")}


# --- the run -------------------------------------------------------------------------------------

def run_bench(options: Options) -> dict:
    """Every measurement on the same notebooks; returns what is written to the JSON file."""
    started = time.monotonic()
    work = options.out.resolve() / "run"  # the measured commands run from the repository
    shutil.rmtree(work, ignore_errors=True)  # only this folder: --out may hold anything else
    cases, excluded = bench_cases()

    def step(text: str) -> None:
        # flushed: it goes between the measured commands' own progress lines on stderr
        print(f"[{time.monotonic() - started:4.0f} s] {text}", flush=True)

    step(f"building {options.n} submissions from {len(cases)} corpus cases "
         f"({len(excluded)} left out)")
    notebooks = build_submissions(work / "submitted", options.n, cases)
    draw = write_secret(work / SECRET)
    stock_n = min(options.stock_n, options.n)
    results: dict = {"options": {"n": options.n, "jobs": options.jobs, "stock_n": stock_n,
                                 "sizes": list(options.sizes), "repeats": options.repeats},
                     "machine": {"cpus": os.cpu_count(), "load_at_start": os.getloadavg()},
                     "cases": {"cycled": [case.name for case in cases], "excluded": excluded},
                     "hidden_scenarios": draw}

    one_path = work / "one" / "one.ipynb"
    one_path.parent.mkdir(parents=True)
    one_path.write_bytes(ExampleCase.load(CORPUS_DIR / DEFAULT_BASE).notebook_bytes())
    step(f"one: a correct submission graded {options.repeats} times, each run starting its "
         "own server")
    results["one"] = measure_one(one_path, options.repeats, work, "one", "--own-server")
    step(f"one served: the same, {options.repeats} times, with `autograder serve` up")
    results["one_served"] = measure_one_served(one_path, options.repeats, work)

    step(f"floor: {options.n} notebooks run once in one warm interpreter")
    results["floor"] = measure_baseline("floor", notebooks, work)

    step(f"ours: {options.n} submissions graded with --jobs {options.jobs}")
    results["ours"] = measure_ours(work / "submitted", options.jobs, work, f"ours-{options.n}")

    step(f"stock: the first {stock_n} notebooks, each in a fresh Jupyter kernel")
    stock = measure_baseline("stock", notebooks[:stock_n], work)
    # Start-up once, then the mean notebook for every notebook not run.
    stock["extrapolated_to_n"] = {"n": options.n, "wall_s": stock["wall_s"] + (
        options.n - stock_n) * stock["notebooks_s"] / stock_n}
    results["stock"] = stock

    results["growth"] = [
        {"n": options.n, **results["ours"]} if size == options.n
        else measure_growth(size, cases, options.jobs, work, step)
        for size in sorted(set(options.sizes))]
    results["ratios"] = {
        "stock_over_ours": stock["extrapolated_to_n"]["wall_s"] / results["ours"]["wall_s"],
        "ours_over_floor": results["ours"]["wall_s"] / results["floor"]["wall_s"]}
    results["targets"] = targets(results)
    results["machine"]["load_at_end"] = os.getloadavg()
    results["duration_s"] = time.monotonic() - started
    return results


def targets(results: dict) -> list[dict]:
    """The issue's targets; `passed` is None where this run did not measure the figure."""
    n = results["options"]["n"]
    at_500 = next((row for row in results["growth"] if row["n"] == 500), None)
    return [
        *({"target": f"one{how}: graded start to report in < {TARGET_ONE_SECONDS:g} s",
           "value": f"{results[key]['wall_s']:.2f} s",
           "passed": results[key]["wall_s"] < TARGET_ONE_SECONDS}
          for key, how in (("one_served", " with `autograder serve` up"),
                           ("one", ", starting its own server"))),
        {"target": f"ours at N={n} in less wall time than floor",
         "value": f"{results['ours']['wall_s']:.1f} s vs {results['floor']['wall_s']:.1f} s",
         "passed": results["ours"]["wall_s"] < results["floor"]["wall_s"]},
        {"target": f"stock/ours >= {TARGET_STOCK_OVER_OURS:g}",
         "value": f"{results['ratios']['stock_over_ours']:.1f}x",
         "passed": results["ratios"]["stock_over_ours"] >= TARGET_STOCK_OVER_OURS},
        {"target": f"peak memory at N=500 < {TARGET_PEAK_MIB_AT_500:g} MiB",
         "value": f"{at_500['peak_mib']:.0f} MiB" if at_500 else "not measured",
         "passed": at_500["peak_mib"] < TARGET_PEAK_MIB_AT_500 if at_500 else None},
    ]


# --- the printed report --------------------------------------------------------------------------

def report(results: dict) -> str:
    """The tables a person reads; the JSON file holds the same figures and every run."""
    stock, floor, ours, one, served = (results[key] for key in ("stock", "floor", "ours", "one",
                                                                 "one_served"))
    n = results["options"]["n"]
    rows = [
        ("what", "count", "wall s", "CPU s", "median s", "p95 s", "peak MiB"),
        (f"stock (first {stock['notebooks']}, fresh kernel each)", stock["notebooks"],
         stock["wall_s"], stock["cpu_s"], stock["per_notebook"]["median_s"],
         stock["per_notebook"]["p95_s"], stock["peak_mib"]),
        (f"stock extrapolated to {n}", n, stock["extrapolated_to_n"]["wall_s"], "", "", "", ""),
        ("floor (one warm interpreter)", floor["notebooks"], floor["wall_s"], floor["cpu_s"],
         floor["per_notebook"]["median_s"], floor["per_notebook"]["p95_s"], floor["peak_mib"]),
        (f"ours (grade --jobs {ours['jobs']})", ours["submissions"], ours["wall_s"],
         ours["cpu_s"], ours["per_submission"]["median_s"], ours["per_submission"]["p95_s"],
         ours["peak_mib"]),
        (f"one, own server (median of {one['runs']})", 1, one["wall_s"], one["cpu_s"], "", "",
         one["peak_mib"]),
        (f"one, served (median of {served['runs']})", 1, served["wall_s"], served["cpu_s"], "",
         "", served["peak_mib"]),
    ]
    first = floor["runs"][:stock["notebooks"]]
    lines = [_table(rows),
             "  median and p95: per notebook for stock and floor, from the JSON report's "
             "execution_time for ours",
             "  CPU s: user and system time of the process tree (for one, served: not the kept-up "
             "server's)",
             "  peak MiB: PSS summed over the process tree (pages forks share split among them)",
             f"  stock drew {stock['figures_drawn']} figures inline; cells that raised in the "
             f"first {stock['notebooks']} notebooks: stock {stock['cells_raising']}, floor "
             f"{sum(run['errors'] for run in first)}",
             f"  ours: {_counts(ours['statuses'])}; one, each run: "
             f"{', '.join(f'{wall:.1f}' for wall in one['walls_s'])} s; served: "
             f"{', '.join(f'{wall:.1f}' for wall in served['walls_s'])} s (the kept-up "
             f"server's tree, not in its peak: {served['server_peak_mib']:.0f} MiB)",
             "",
             f"stock/ours {results['ratios']['stock_over_ours']:.1f}x (stock extrapolated from "
             f"{stock['notebooks']} to {n} notebooks)   "
             f"ours/floor {results['ratios']['ours_over_floor']:.2f}",
             "", "growth of ours:", _table(_growth_rows(results["growth"])),
             "", "targets:"]
    for target in results["targets"]:
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[target["passed"]]
        lines.append(f"  {verdict}  {target['target']}: {target['value']}")
    load = results["machine"]
    hidden = results["hidden_scenarios"]
    lines += ["", f"hidden scenarios: draw {hidden['draw']}, epochs "
              + ", ".join(f"{name} {epochs}" for name, epochs in hidden["epochs"].items()),
              f"excluded cases: {', '.join(sorted(results['cases']['excluded']))}",
              f"load average (1, 5, 15 min) at start {_load(load['load_at_start'])}, at end "
              f"{_load(load['load_at_end'])} on {load['cpus']} CPUs; "
              f"bench took {results['duration_s'] / 60:.1f} min"]
    return "\n".join(lines)


def _growth_rows(growth: list[dict]) -> list[tuple]:
    """Wall per submission, and the cost of each submission past the previous size: flat when
    grading is linear after start-up."""
    rows: list[tuple] = [("N", "wall s", "CPU s", "wall/N s", "s per added", "peak MiB")]
    previous = None
    for row in growth:
        extra = ((row["wall_s"] - previous["wall_s"]) / (row["n"] - previous["n"])
                 if previous else "")
        rows.append((row["n"], row["wall_s"], row["cpu_s"], row["wall_s"] / row["n"], extra,
                     row["peak_mib"]))
        previous = row
    return rows


def _table(rows: list[tuple]) -> str:
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(row[column]) for row in cells) for column in range(len(cells[0]))]
    return "\n".join("  " + "  ".join(value.ljust(widths[0]) if column == 0
                                      else value.rjust(widths[column])
                                      for column, value in enumerate(row)).rstrip()
                     for row in cells)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.0f}" if value >= 100 else f"{value:.2f}"
    return str(value)


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{count} {status}" for status, count in sorted(counter.items()))


def _load(values) -> str:
    return " ".join(f"{value:.1f}" for value in values)


# --- the command ---------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    defaults = Options()
    parser = argparse.ArgumentParser(
        prog="python -m autograder.bench",
        description="Time grading beside stock per-notebook kernels and a warm interpreter, on "
        "the same notebooks in one run (takes minutes; runs made apart do not compare).")
    parser.add_argument("--n", type=int, metavar="N",
                        help=f"submissions graded (default: {defaults.n})")
    parser.add_argument("--jobs", type=int, default=defaults.jobs, metavar="J",
                        help="--jobs of the grade command (default: one per CPU, %(default)s)")
    parser.add_argument("--stock-n", type=int, metavar="K",
                        help="notebooks run the stock way, ~20 s each; the rest is extrapolated "
                        f"(default: {defaults.stock_n})")
    parser.add_argument("--sizes", metavar="N,N,...",
                        help="class sizes ours is timed at, to show how it grows (default: "
                        f"{','.join(map(str, defaults.sizes))})")
    parser.add_argument("--repeats", type=int, default=defaults.repeats, metavar="R",
                        help="times the single submission is graded (default: %(default)s)")
    parser.add_argument("--json", type=Path, default=defaults.json_path, metavar="FILE",
                        help="where every figure is written (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=defaults.out, metavar="DIR",
                        help="folder for the notebooks, reports and logs; its run/ is replaced "
                        "(default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="a short trial: N=10, --stock-n 2, --sizes 10 (unless given)")
    return parser


def options_from(args: argparse.Namespace) -> Options:
    quick = Options(n=10, stock_n=2, sizes=(10,)) if args.quick else Options()
    sizes = tuple(int(size) for size in args.sizes.split(",")) if args.sizes else quick.sizes
    options = Options(n=quick.n if args.n is None else args.n, jobs=args.jobs,
                      stock_n=quick.stock_n if args.stock_n is None else args.stock_n,
                      sizes=sizes, repeats=args.repeats, out=args.out, json_path=args.json)
    if min(options.n, options.jobs, options.stock_n, options.repeats, *options.sizes) < 1:
        raise BenchError("--n, --jobs, --stock-n, --repeats and every size must be at least 1.")
    return options


def main(argv: list[str] | None = None) -> int:
    try:
        options = options_from(_parser().parse_args(argv))
        results = run_bench(options)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    options.json_path.parent.mkdir(parents=True, exist_ok=True)
    options.json_path.write_text(json.dumps(results, indent=1) + "\n")
    print()
    print(report(results))
    print(f"every figure and run: {options.json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
