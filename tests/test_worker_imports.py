"""The worker side of the engine must not load what decides a grade."""

import subprocess
import sys

GRADING_MODULES = ("solutions", "autograder.graders", "autograder.scenarios", "autograder.judge",
                   "autograder.secret")


def test_worker_loads_neither_reference_nor_graders():
    """Does starting the warm server (the parent of every worker) leave them unloaded?"""
    code = ("import sys, autograder.server\n"
            f"print([name for name in sys.modules if name.startswith({GRADING_MODULES!r})])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
