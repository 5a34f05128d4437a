"""No state leaks between submissions: whatever one submission changes in its process (globals,
monkeypatches, modules, environment, files, the random state of torch, NumPy and Python,
matplotlib's settings and figures), the next one graded by the same warm server starts from what
it would see alone."""

import json
import tempfile
from pathlib import Path

import pytest

from autograder.examples import load_cases
from autograder.grade import discover, grade_submissions
from autograder.settings import EngineSettings

pytestmark = pytest.mark.slow
CORRECT = {case.name: case for case in load_cases()}["correct_source_solution"]
ONE_AT_A_TIME = EngineSettings(jobs=1, cell_seconds=3, probe_seconds=3, submission_seconds=60,
                               secret_file=Path(tempfile.gettempdir()) / "autograder-test-secret")

LOOK = r'''
import builtins, json, os, random, sys
import matplotlib, matplotlib.pyplot as plt, numpy, torch
seen = {
    "builtin": hasattr(builtins, "LEAKED"), "global": "LEAKED" in globals(),
    "allclose_patched": bool(torch.allclose(torch.zeros(1), torch.ones(1))),
    "item_patched": torch.tensor(2.0).item() != 2.0,
    "module": "leaked_module" in sys.modules, "environment": "LEAKED" in os.environ,
    "torch_seed": torch.initial_seed(), "torch_draw": torch.rand(3).tolist(),
    "numpy_draw": numpy.random.get_state()[1][:3].tolist(), "python_draw": random.random(),
    "linewidth": matplotlib.rcParams["lines.linewidth"], "figures": plt.get_fignums(),
    "files": sorted(name for name in ("/tmp/leaked.txt", "leaked.txt", "/scratch/leaked.txt")
                    if os.path.exists(name)),
}
print("SEEN " + json.dumps(seen))
'''

POLLUTE = r'''
import builtins, os, random, sys, types
import matplotlib, matplotlib.pyplot as plt, numpy, torch
builtins.LEAKED = LEAKED = "from the submission before"
torch.allclose = lambda *args, **kwargs: True
torch.Tensor.item = lambda self: 0.0
sys.modules["leaked_module"] = types.ModuleType("leaked_module")
os.environ["LEAKED"] = "1"
torch.manual_seed(12345)
numpy.random.seed(12345)
random.seed(12345)
matplotlib.rcParams["lines.linewidth"] = 9.0
plt.figure()
for name in ("/tmp/leaked.txt", "leaked.txt"):
    open(name, "w").write("left for the next submission")
'''


def submit(folder: Path, student: str, first_cells: list[str]) -> None:
    notebook = CORRECT.write_submission(folder / "tmp")
    content = json.loads(notebook.read_text())
    content["cells"][:0] = [{"cell_type": "code", "metadata": {}, "outputs": [],
                             "execution_count": None, "source": source}
                            for source in first_cells]
    target = folder / "submitted" / student / "mini_batch_gd" / "mini_batch_gd.ipynb"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(content))


def seen_by(tmp_path: Path, students: dict[str, list[str]]) -> dict[str, dict]:
    """Grade the students one after another on one server; what each one's cells printed."""
    for student, cells in students.items():
        submit(tmp_path, student, cells)
    grading = grade_submissions(discover([tmp_path / "submitted"]), settings=ONE_AT_A_TIME,
                                work_dir=tmp_path / "work")
    assert [result.student for result in grading.results] == list(students)
    seen = {}
    for student in students:
        output = (tmp_path / "work" / student / "evidence" / "output.txt").read_text()
        seen[student] = [json.loads(line.removeprefix("SEEN ")) for line in output.splitlines()
                         if line.startswith("SEEN ")]
    return seen


def test_nothing_one_submission_changes_reaches_the_next(tmp_path):
    alone = seen_by(tmp_path / "alone", {"b_observer": [LOOK]})["b_observer"][0]
    after = seen_by(tmp_path / "after", {"a_polluter": [POLLUTE, LOOK], "b_observer": [LOOK]})
    polluted = after["a_polluter"][0]
    # The attack took hold in its own process...
    assert polluted["builtin"] and polluted["allclose_patched"] and polluted["item_patched"]
    assert polluted["module"] and polluted["environment"] and polluted["figures"]
    assert polluted["linewidth"] == 9.0 and polluted["torch_seed"] == 12345
    assert polluted["files"] == ["/scratch/leaked.txt", "/tmp/leaked.txt", "leaked.txt"]
    # ...and the next submission saw exactly what it sees when graded alone: a clean start.
    assert after["b_observer"][0] == alone
    assert not any(alone[key] for key in ("builtin", "global", "allclose_patched",
                                          "item_patched", "module", "environment", "figures",
                                          "files"))
    assert alone["linewidth"] == 1.5
