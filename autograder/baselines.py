"""What grading is measured against: the same notebooks run without grading, two ways.

    stock   each notebook in a fresh Jupyter kernel, one after another, with Jupyter's default
            (inline) figure backend: what stock `nbgrader autograde` pays before any grading
    floor   each notebook's code cells exec'd once in this one warm interpreter, serially,
            figures not drawn: the least any grader that runs the notebooks must pay

`python -m autograder.baselines {stock,floor} CWD RESULT NOTEBOOK...` runs one of them in its own
process (so its whole process tree can be measured), in CWD (a folder holding the released
helper files), and writes one record per notebook to RESULT: seconds, cells that raised and,
for stock, figures drawn. A line per notebook on stderr shows progress.
"""

import builtins
import contextlib
import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

STOCK_CELL_TIMEOUT = 600
"""Seconds one cell may take in a stock kernel: generous, a stock run must not be cut short."""


def run_stock(notebook: Path, cwd: Path) -> dict:
    """Execute the notebook in a fresh `python3` kernel in `cwd`, as `nbgrader autograde` does."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    # Jupyter's own default is the inline backend; a headless MPLBACKEND (make sets Agg) would
    # skip the drawing that stock grading pays for.
    env = {name: value for name, value in os.environ.items() if name != "MPLBACKEND"}
    client = NotebookClient(nb, kernel_name="python3", timeout=STOCK_CELL_TIMEOUT,
                            allow_errors=True, resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    # The kernel's own log lines (e.g. its TCP warning) would drown the progress lines.
    client.execute(env=env, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    outputs = [output for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs]
    return {"seconds": seconds,
            "errors": sum(output.output_type == "error" for output in outputs),
            "figures": sum("image/png" in output.get("data", {}) for output in outputs)}


def prepare_floor(cwd: Path) -> None:
    """Make this interpreter a warm, headless notebook whose figures are never drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch  # noqa: F401 - imported once here, as a warm interpreter has it

    from .settings import EngineSettings

    os.chdir(cwd)
    sys.path.insert(0, str(cwd))
    plt.show = plt.savefig = _draw_nothing
    for dotted in EngineSettings().no_draw:
        module_name, class_name, method = dotted.rsplit(".", 2)
        setattr(getattr(importlib.import_module(module_name), class_name), method, _draw_nothing)


def _draw_nothing(*args, **kwargs) -> None:
    """Stands in for a drawing call: the floor counts running the code, not drawing figures."""


def run_floor(notebook: Path) -> dict:
    """Exec the notebook's code cells in a fresh namespace; a cell that raises is counted and
    the next one runs, as in Jupyter. Printed output is discarded."""
    import matplotlib.pyplot as plt

    from .program import read_notebook

    start = time.perf_counter()
    saved_builtins = dict(vars(builtins))
    namespace = {"__name__": "__main__"}
    errors = 0
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), \
            contextlib.redirect_stderr(sink):
        for index, cell in enumerate(read_notebook(notebook)):
            try:
                exec(compile(cell["source"], f"<cell {index}>", "exec"), namespace)
            except (Exception, SystemExit):
                errors += 1
            plt.close("all")  # the inline backend closes every figure after its cell
    # A submission that replaces print or another builtin must not reach the next one.
    vars(builtins).update(saved_builtins)
    return {"seconds": time.perf_counter() - start, "errors": errors}


PROGRESS_SECONDS = 5.0
"""At most one progress line this often: stock notebooks take seconds, floor ones a fraction."""


def main(argv: list[str]) -> int:
    kind, cwd, result, *names = argv
    cwd_path, result_path = Path(cwd).resolve(), Path(result).resolve()
    notebooks = [Path(name).resolve() for name in names]  # before the floor moves into cwd
    if kind == "floor":
        prepare_floor(cwd_path)
    records, said = [], time.monotonic()
    for number, path in enumerate(notebooks, 1):
        record = run_stock(path, cwd_path) if kind == "stock" else run_floor(path)
        records.append({"notebook": str(path), **record})
        if time.monotonic() - said >= PROGRESS_SECONDS or number == len(notebooks):
            said = time.monotonic()
            sys.stderr.write(f"  {kind}: {number}/{len(notebooks)} notebooks, last "
                             f"{record['seconds']:.2f} s\n")
    result_path.write_text(json.dumps(records, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
