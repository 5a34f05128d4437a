"""Reading what comes from outside the grader: JSON files read within bounds, text made safe.

Notebooks come from students and evidence files from workers that ran student code. Either may
be huge, nested deep enough to exhaust the parser's recursion, a symbolic link to a file only
the grader may read, or a FIFO that blocks whoever opens it. Every such file is read here, and
text from it that reaches a report goes through `clean_text`.
"""

import errno
import json
import os
import re
import stat
from enum import Enum
from pathlib import Path

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects read; notebooks and evidence files need under 10."""


class Refusal(str, Enum):
    """Why a file's JSON was not read; the value completes "the file is ..."."""

    MISSING = "missing"
    SYMLINK = "a symbolic link"
    SPECIAL = "not a regular file"
    UNREADABLE = "unreadable"
    EMPTY = "empty"
    TOO_LARGE = "too large"
    TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep"
    NOT_JSON = "not valid JSON"


class RefusedFile(Exception):
    """A file whose JSON was not read, and why."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.value)
        self.refusal = refusal


_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_OPEN_REFUSALS = {errno.ENOENT: Refusal.MISSING, errno.ELOOP: Refusal.SYMLINK,
                  errno.ENXIO: Refusal.SPECIAL}  # ENXIO: a socket


def read_bytes(path: Path | str, max_bytes: int, *, dir_fd: int | None = None) -> bytes:
    """A regular file's bytes, at most `max_bytes`, never through a symbolic link (as the last
    part of `path`) and never blocking on a FIFO or a device."""
    try:
        fd = os.open(path, _OPEN_FLAGS, dir_fd=dir_fd)
    except OSError as error:
        raise RefusedFile(_OPEN_REFUSALS.get(error.errno, Refusal.UNREADABLE)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFile(Refusal.SPECIAL)
        if info.st_size > max_bytes:
            raise RefusedFile(Refusal.TOO_LARGE)
        chunks, size = [], 0  # read on within the bound: the file may be growing
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError:
        raise RefusedFile(Refusal.UNREADABLE) from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise RefusedFile(Refusal.TOO_LARGE)
    return b"".join(chunks)


_STRING = re.compile(rb'"[^"\\]*(?:\\[\s\S][^"\\]*)*(?:"|\\?\Z)')
"""A JSON string, or an unterminated one up to the end: always matches, so never backtracks."""
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_OPENING = bytes.maketrans(b"[]{}", b"\1\0\1\0")
_CHUNK = 1 << 20


def nests_deeper_than(data: bytes, limit: int) -> bool:
    """Whether the JSON text's arrays and objects nest deeper than `limit`, found in one linear
    scan that skips strings, before any parser recurses once per level. Exact for well-formed
    JSON; when broken JSON gives False, a parser stops at its first error within `limit`."""
    import numpy as np  # here, not at the top: a grading run starts its server before NumPy loads

    opening = _STRING.sub(b"", data).translate(_OPENING, _NOT_BRACKETS)  # 1 opens, 0 closes
    level = 0
    for start in range(0, len(opening), _CHUNK):
        steps = np.frombuffer(opening, np.uint8, min(_CHUNK, len(opening) - start), start)
        # The level after each step: every bracket so far is an opening (+1) or a closing (-1).
        levels = level + 2 * np.cumsum(steps, dtype=np.int64) - np.arange(1, len(steps) + 1)
        if levels.max() > limit:
            return True
        level = int(levels[-1])
    return False


def read_json(path: Path | str, max_bytes: int, *, dir_fd: int | None = None) -> object:
    """The JSON value in a file, read with `read_bytes` and parsed only within MAX_DEPTH."""
    data = read_bytes(path, max_bytes, dir_fd=dir_fd)
    if not data.strip():
        raise RefusedFile(Refusal.EMPTY)
    if nests_deeper_than(data, MAX_DEPTH):
        raise RefusedFile(Refusal.TOO_DEEP)
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and json.JSONDecodeError included
        raise RefusedFile(Refusal.NOT_JSON) from None


_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_UNSAFE_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str, limit: int, *, one_line: bool = False) -> str:
    """At most `limit` characters that any file, page or terminal takes: control characters
    (but newline and tab, unless `one_line`) and lone surrogates become U+FFFD; a cut text
    ends with an ellipsis."""
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return (_UNSAFE_IN_A_LINE if one_line else _UNSAFE).sub("\ufffd", text)
