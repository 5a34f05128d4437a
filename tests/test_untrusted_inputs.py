"""What students and their workers hand the grader is checked before anything is built on it."""

import os
import socket

import pytest

from autograder.assignment import ASSIGNMENT_ID, NOTEBOOK_NAME, REPO_ROOT
from autograder.errors import InvalidSubmission
from autograder.program import MAX_NOTEBOOK_BYTES, read_notebook
from autograder.untrusted import MAX_DEPTH, clean_text, nests_deeper_than


def nested(levels: int) -> bytes:
    return b'{"a": ' * levels + b"1" + b"}" * levels


# The bounded reader


@pytest.mark.parametrize("text, depth", [
    (b'[1, {"a": [2]}]', 3),
    (b'{"text": "[[[[{{{{ \\" ]]] \\\\"}', 1),
    (b'["\\\\", ["\\"["]]', 2),
    (b"[]" * 1000, 1),
])
def test_depth_scan_skips_strings_and_counts_levels(text, depth):
    """Is the depth found without parsing exact, brackets inside strings left out?"""
    assert (nests_deeper_than(text, depth - 1), nests_deeper_than(text, depth)) == (True, False)


@pytest.mark.parametrize("text", [b"[" * 200_000, nested(200_000), b'"' + b'\\"' * 100_000])
def test_depth_scan_survives_hostile_text(text):
    """Do unclosed, deep or escape-laden texts get an answer, deep ones refused?"""
    assert nests_deeper_than(text, MAX_DEPTH) == (text[:1] != b'"')


def test_notebook_nested_200000_levels_is_invalid(tmp_path):
    """Is a notebook nested 200,000 levels deep refused with a reason, not a RecursionError?"""
    path = tmp_path / "deep.ipynb"
    path.write_bytes(b'{"cells": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    with pytest.raises(InvalidSubmission, match=f"more than {MAX_DEPTH} levels deep"):
        read_notebook(path)


def test_notebook_past_the_size_limit_is_invalid(tmp_path):
    """Is a notebook over MAX_NOTEBOOK_BYTES refused without being read?"""
    path = tmp_path / "big.ipynb"
    with path.open("wb") as handle:
        handle.truncate(MAX_NOTEBOOK_BYTES + 1)
    with pytest.raises(InvalidSubmission, match="larger than 50 MiB"):
        read_notebook(path)


def test_linked_and_special_notebooks_are_invalid(tmp_path):
    """Are a symbolic link, a FIFO, a socket and a folder refused as notebooks, saying why?"""
    solution = REPO_ROOT / "solutions" / ASSIGNMENT_ID / NOTEBOOK_NAME
    (tmp_path / "link.ipynb").symlink_to(solution)
    os.mkfifo(tmp_path / "fifo.ipynb")
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(tmp_path / "socket.ipynb"))
        reasons = {}
        for name in ("link.ipynb", "fifo.ipynb", "socket.ipynb", "."):
            with pytest.raises(InvalidSubmission) as refused:
                read_notebook(tmp_path / name)
            reasons[name] = str(refused.value)
    assert "symbolic link" in reasons["link.ipynb"]
    assert all("not a regular file" in reasons[name]
               for name in ("fifo.ipynb", "socket.ipynb", "."))


def test_clean_text_cuts_and_replaces():
    """Are surrogates and control characters replaced, newlines kept, long text cut?"""
    assert clean_text("a\ud800b\x1b[0m\r\n\tc", 100) == "a\ufffdb\ufffd[0m\ufffd\n\tc"
    assert clean_text("a\nb\tc", 100, one_line=True) == "a\ufffdb\ufffdc"
    assert clean_text("x" * 10_000_000, 300) == "x" * 299 + "…"
