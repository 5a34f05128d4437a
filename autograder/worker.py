"""Execute step: run a submission's cells in a worker process and answer the graders' probes.

The worker is forked from a warm server (torch already imported) and never imports the
reference or the graders. It runs the program cell by cell in one namespace. When it reaches a
part's section, it forks a snapshot: the snapshot runs that section (with a correct `forward` if
the plan asks for one) and answers the part's probes, each in a fork of its own, so every probe
starts from the state right after the section ran. Results go to files in the scratch folder,
written as they are made, so a crash or a kill loses only what was still running.

Scratch layout: `main.json` (cells of the main run), `<part>/section.json` (cells of the
section), `<part>/<probe id>.json` (one response each), `output.txt` (everything printed).
"""

import builtins
import importlib
import json
import os
import signal
import sys
from pathlib import Path

from . import probe
from .sandbox import die_with_parent, wait_for

_fork = os.fork
_exit = os._exit
_kill = os.killpg
_kill_process = os.kill
_getpid = os.getpid
_waitpid = os.waitpid
_replace = os.replace
_dumps = json.dumps
_setitimer = signal.setitimer
_signal = signal.signal


UNFINISHED = {"lost": "unfinished"}
"""A probe answered in place, until its answer replaces it."""


class TimeLimitExceeded(BaseException):
    """Raised inside student code when a cell or probe runs past its time limit.

    A BaseException, so the student's `except Exception:` does not swallow it.
    """


def _raise_time_limit(signum, frame):
    raise TimeLimitExceeded("did not finish in time")


class _Stub:
    """`get_ipython()` for magics: line magics and shell commands do nothing; cell magics run."""

    def __init__(self, namespace):
        self._namespace = namespace

    def run_line_magic(self, *args, **kwargs):
        return None

    def run_cell_magic(self, name, line, cell):
        exec(compile(cell, "<cell magic>", "exec"), self._namespace)

    def system(self, *args, **kwargs):
        return None

    getoutput = system


def write_json(path: Path, data: dict) -> None:
    """Write atomically: readers see the old file or the whole new one."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(_dumps(data))
    _replace(temporary, path)


def run_forked(task, time_limit: float) -> str:
    """Run `task()` in a forked child in its own process group; 'ok', 'timeout' or 'exit N'."""
    parent = os.getpid()
    pid = _fork()
    if pid == 0:
        code = 70
        try:
            die_with_parent(parent)
            os.setpgid(0, 0)
            task()
            code = 0
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            _exit(code)
    return wait_for(pid, time_limit, _kill)


class NotebookRun:
    """The live namespace of one submission and the means to run its cells."""

    def __init__(self, program: dict, cell_time_limit: float):
        self.cells = program["cells"]
        self.cell_time_limit = cell_time_limit
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.namespace["get_ipython"] = lambda: _Stub(self.namespace)
        self.namespace["display"] = lambda *args, **kwargs: None
        self.filenames = [probe.register_cell_source(cell["label"], cell["source"])
                          for cell in self.cells]
        self.student_cells = {name for name, cell in zip(self.filenames, self.cells)
                              if cell["by_student"]}

    def run_cell(self, index: int) -> dict:
        """Run one cell as Jupyter would: an error is recorded and the notebook goes on."""
        cell = self.cells[index]
        record = {"cell": cell["label"]}
        try:
            code = compile(_python_source(cell["source"]), self.filenames[index], "exec")
            with _time_limit(self.cell_time_limit):
                exec(code, self.namespace)
        except TimeLimitExceeded:
            record["timeout"] = True
        except BaseException as error:  # noqa: BLE001 - a cell may raise anything, even SystemExit
            record["error"] = probe.summarize_error(error, self.student_cells)
        return record

    def answer(self, request: dict, time_limit: float) -> dict:
        with _time_limit(time_limit):
            return probe.run_probe(self.namespace, request, self.student_cells)


class _time_limit:
    """Raise TimeLimitExceeded in the running code after `seconds` (a soft limit: the
    grader process kills the whole worker when its hard limit passes)."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def __enter__(self):
        _signal(signal.SIGALRM, _raise_time_limit)
        _setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        _setitimer(signal.ITIMER_REAL, 0)
        return False


def _python_source(source: str) -> str:
    """Cell text as Python: IPython magics and shell escapes become calls on get_ipython()."""
    if "%" not in source and "!" not in source:
        return source
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def run_section(run: NotebookRun, section: dict, plan: dict, folder: Path,
                probe_time_limit: float) -> None:
    """In a snapshot: run the part's section, then answer each probe from that same state. A
    training probe changes the state, so it runs in a fork of its own, except the last: no
    probe comes after it (if it ends the snapshot, `record_lost_probe` says so, as for a
    fork). Other probes run right here: a fork of a process holding torch costs ~35 ms, more
    than such a probe."""
    if plan["supply_forward"]:
        exec(probe.REFERENCE_FORWARD, run.namespace)
    records = [run.run_cell(index) for index in range(section["start"], section["stop"])]
    write_json(folder / "section.json", {"cells": records})
    # Training that hangs once hangs again: skip the part's other runs instead of waiting on each.
    hung = any(record.get("timeout") for record in records)
    for request in plan["probes"]:
        path = folder / f"{request['id']}.json"
        if hung and request["kind"] == "train":
            write_json(path, {"skipped": "timeout"})
            continue
        if request["kind"] in probe.IN_PLACE:
            write_json(path, run.answer(request, probe_time_limit))
            outcome = "ok"
        elif request is plan["probes"][-1]:
            write_json(path, UNFINISHED)  # replaced by the answer, unless the probe ends us
            write_json(path, run.answer(request, probe_time_limit))
            outcome = "ok"
        else:
            outcome = run_forked(lambda: write_json(path, run.answer(request, probe_time_limit)),
                                 probe_time_limit + 5)
        if not path.exists():
            write_json(path, {"lost": outcome})
        hung = hung or outcome == "timeout" or _reports_timeout(path)


def record_lost_probe(plan: dict, folder: Path, outcome: str) -> None:
    """After a snapshot ended: if it ended while answering its last probe in place, that probe
    is lost, and how the snapshot ended says why (a timeout, an exit, a signal)."""
    if plan["probes"]:
        path = folder / f"{plan['probes'][-1]['id']}.json"
        if path.exists() and path.read_bytes() == _dumps(UNFINISHED).encode():
            write_json(path, {"lost": outcome})


def _reports_timeout(path: Path) -> bool:
    try:
        error = json.loads(path.read_text()).get("error") or {}
        return error.get("type") == TimeLimitExceeded.__qualname__
    except (ValueError, AttributeError):
        return False


def load_optimizers() -> bool:
    """Load what building the first torch optimizer loads lazily (torch._dynamo, about 2 s):
    in the server, once, before the boxes that would each load it again. False where it was
    loaded already."""
    if "torch._dynamo" in sys.modules:
        return False
    import torch

    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    return True


def prepare(scratch_dir: Path, no_draw: list[str]) -> None:
    """Set the process up as a headless notebook whose figures are never drawn, whose random
    numbers are the same on every run: torch seeds itself with a fixed number when imported;
    Python's and NumPy's generators are seeded here, else a notebook that draws from them
    without a seed of its own would get other numbers on each re-grade."""
    import random

    import matplotlib.pyplot as plt
    import numpy.random
    import torch

    torch.set_num_threads(1)
    torch.autograd.profiler.record_function = _NotProfiled
    random.seed(0)
    numpy.random.seed(0)
    sys.path.insert(0, str(scratch_dir))
    plt.show = lambda *args, **kwargs: plt.close("all")
    for dotted in no_draw:
        module_name, class_name, method = dotted.rsplit(".", 2)
        setattr(getattr(importlib.import_module(module_name), class_name), method, _draw_nothing)


def _end_strays() -> None:
    """As PID 1 of its box, end every process the student's code left running, and reap them:
    a background loop or fork bomb then costs its own cell, not the rest of the notebook."""
    if _getpid() != 1:
        return
    try:
        _kill_process(-1, signal.SIGKILL)  # every process of the box but this one
    except ProcessLookupError:
        return
    while True:
        try:
            _waitpid(-1, 0)
        except ChildProcessError:
            return


class _NotProfiled:
    """Stands in for torch's profiler label (`record_function`) while grading: no profiler
    runs, yet the DataLoader opened one for every batch: a tenth of a training loop's time."""

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, function):
        return function


def _draw_nothing(*args, **kwargs) -> None:
    """Stands in for a drawing method while grading: figures cost time and change no grade."""


def run_submission(program: dict, plan: dict, scratch: str, limits: dict) -> None:
    """Worker entry point, inside the submission's box (see sandbox.py), in its scratch folder
    with its limits set: run everything, write results."""
    scratch_dir = Path(scratch)
    prepare(scratch_dir, limits["no_draw"])
    run = NotebookRun(program, limits["cell_seconds"])
    sections = {section["start"]: section for section in program["sections"]}
    parts = {item["part"]: item for item in plan["parts"]}
    last_start = max(sections)
    skips = set(limits["main_run_skips"])
    records = []
    for index in range(len(run.cells)):
        if index in sections:
            section = sections[index]
            part_plan = parts[section["part"]]
            folder = scratch_dir / section["part"]
            folder.mkdir()
            budget = (limits["cell_seconds"] * (section["stop"] - section["start"])
                      + (limits["probe_seconds"] + 5) * len(part_plan["probes"]) + 5)
            outcome = run_forked(lambda: run_section(run, section, part_plan, folder,
                                                     limits["probe_seconds"]), budget)
            _end_strays()
            record_lost_probe(part_plan, folder, outcome)
            write_json(folder / "ended.json", {"outcome": outcome})
            if index == last_start:
                break  # every part has its snapshot; later cells cannot change a grade
        if run.cells[index]["label"] in skips:
            records.append({"cell": run.cells[index]["label"], "skipped": True})
            continue
        records.append(run.run_cell(index))
        _end_strays()
        write_json(scratch_dir / "main.json", {"cells": records, "finished": False})
    write_json(scratch_dir / "main.json", {"cells": records, "finished": True})
