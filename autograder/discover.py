"""Discover step: which files are submissions, and whose.

A student id comes only from nbgrader's exact layout `<folder>/<student>/<assignment>/<notebook>`
under a folder given: a notebook anywhere else in a student's folder is reported, and never
graded under another name. A notebook given as a file is its student's when it sits in that
layout; other notebooks (files given, or files in an ordinary folder) are named after their file,
made unique. Symbolic links are never followed below a
folder given: on the way to a student's notebook they make the submission invalid, as do two
notebooks for one student; nothing is guessed.
"""

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .assignment import ASSIGNMENT_ID
from .errors import CourseError
from .untrusted import clean_text

CHECKPOINTS = ".ipynb_checkpoints"
MAX_ID = 200
"""Longest student id kept (ids are file and folder names, shown in every report)."""
LAYOUT = f"<student>/{ASSIGNMENT_ID}/<notebook>.ipynb"


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path
    problem: str = ""
    """Why the submission cannot be graded, known before reading it (it is then `invalid`)."""


@dataclass
class Discovery:
    """The submissions found, and every notebook or link seen but not graded, with why."""

    submissions: list[Submission] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def discover(paths: Iterable[Path]) -> list[Submission]:
    """The submissions under the given notebooks and folders (see `find_submissions`)."""
    return find_submissions(paths).submissions


def find_submissions(paths: Iterable[Path]) -> Discovery:
    """Submissions under the given paths: notebooks, or folders in nbgrader's
    `submitted/<student>/<assignment>/` layout (a student folder without a notebook still counts),
    and what was seen there but is not graded."""
    found = Discovery()
    named: list[Submission] = []
    for path in paths:
        named += _search(path, found) if path.is_dir() else [Submission(_file_id(path), path)]
    taken: set[str] = set()
    for submission in named:
        student = clean_text(submission.student, MAX_ID, one_line=True)
        unique, copy = student, 1
        while unique in taken:
            copy += 1
            unique = f"{student}#{copy}"
        taken.add(unique)
        found.submissions.append(Submission(unique, submission.path, submission.problem))
    return found


def _file_id(path: Path) -> str:
    """A notebook given as a file: its student when it sits in the layout, else its stem."""
    return path.parent.parent.name if path.parent.name == ASSIGNMENT_ID else path.stem


def _entries(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as entries:
        return sorted(entries, key=lambda entry: entry.name)


def _below(folder: Path) -> Iterator[tuple[Path, bool]]:
    """What below `folder` may hold a notebook, never following a link: files of any kind named
    `*.ipynb`, and links to folders (True). Jupyter's checkpoint folders are left out."""
    for entry in _entries(folder):
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if entry.name != CHECKPOINTS:
                yield from _below(path)
        elif entry.is_symlink() and path.is_dir():
            yield path, True
        elif entry.name.endswith(".ipynb"):
            yield path, False


def _search(root: Path, found: Discovery) -> list[Submission]:
    """The submissions under a folder given: the layout's by student, then loose notebooks."""
    students: dict[str, list[Path]] = {
        entry.name: [] for entry in _entries(root)
        if entry.is_dir(follow_symlinks=False) and os.path.lexists(Path(entry.path, ASSIGNMENT_ID))}
    links, loose = [], []
    for path, is_link in _below(root):
        parts = path.relative_to(root).parts
        if parts[0] in students:
            if parts[1:2] == (ASSIGNMENT_ID,) and len(parts) == 3 and not is_link:
                students[parts[0]].append(path)
            elif parts[1:] != (ASSIGNMENT_ID,):
                found.skipped.append((path, f"not graded: in {parts[0]}'s folder but not "
                                            f"directly in {parts[0]}/{ASSIGNMENT_ID}/"))
        elif is_link and len(parts) == 1:
            links.append(Submission(parts[0], path, _link_problem(path, root)))
        elif ASSIGNMENT_ID in parts[:-1]:
            found.skipped.append((path, f"not graded: in a {ASSIGNMENT_ID}/ folder outside "
                                        f"the layout {LAYOUT}"))
        elif is_link:
            found.skipped.append((path, "not followed: a symbolic link to a folder"))
        else:
            loose.append(Submission(path.stem, path))
    layout = [_student(root / student, notebooks) for student, notebooks in students.items()]
    _refuse_other_assignment(root, layout + links, loose)
    return sorted(layout + links, key=lambda submission: submission.student) + loose


def _refuse_other_assignment(root: Path, layout: list[Submission],
                             loose: list[Submission]) -> None:
    """A folder in nbgrader's layout for another assignment only (`<student>/hw2/...`) is a
    wrong path, not a class of loose notebooks to grade as this assignment."""
    if layout or not loose:
        return
    folders = {path.relative_to(root).parts[1] for path in (item.path for item in loose)
               if len(path.relative_to(root).parts) == 3}
    if len(folders) == 1 and all(len(item.path.relative_to(root).parts) == 3 for item in loose):
        raise CourseError(f"{root} holds <student>/{folders.pop()}/ folders, not "
                          f"<student>/{ASSIGNMENT_ID}/: this course grades {ASSIGNMENT_ID}; "
                          f"give the folder of its submissions ({LAYOUT}).")


def _student(folder: Path, notebooks: list[Path]) -> Submission:
    """A student folder's one submission, or an invalid one saying why there is none."""
    student, assignment = folder.name, folder / ASSIGNMENT_ID
    if assignment.is_symlink():
        return Submission(student, assignment, _link_problem(assignment, folder.parent))
    if not assignment.is_dir():
        return Submission(student, assignment, f"{assignment} is not a folder.")
    if not notebooks:
        return Submission(student, assignment,
                          f"No notebook (.ipynb file) was found in {assignment}.")
    if len(notebooks) > 1:
        names = ", ".join(notebook.name for notebook in notebooks)
        return Submission(student, assignment,
                          f"Found {len(notebooks)} notebooks: {names}; submit exactly one.")
    return Submission(student, notebooks[0])


def _link_problem(link: Path, root: Path) -> str:
    return (f"{link.relative_to(root)} is a symbolic link; a submission must be the student's "
            "own files, not a link to others.")
