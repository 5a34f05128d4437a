"""The reference's answers, kept: each computed once per grader version, then read from a file.

Computing what a correct submission gives needs torch and the reference, seconds of start-up in
the grader. Answers are plain JSON data, so they are kept in a file beside the course secret
(they are as private as it is: readable by the owner only) and tagged with a version: a digest
of the code that computes them. A file of another version, or one that cannot be read, is
ignored and written anew; a run that needs no new answer never imports torch.
"""

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .report import write_atomically


def code_version(files: Iterable[Path], *extra: str) -> str:
    """A digest of the files and strings that decide the answers."""
    digest = hashlib.sha256()
    for part in [*(Path(file).read_bytes() for file in files), *(text.encode() for text in extra)]:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


class KeptAnswers:
    """A memo of plain-data answers, keyed by the question asked (a JSON-able list)."""

    def __init__(self, version: Callable[[], str]):
        self._version = version
        self._answers: dict[str, Any] = {}
        self._kept_in: set[Path] = set()
        """Files known to hold every answer: saving to one again writes nothing."""

    def answer(self, question: list, compute: Callable[[], Any]) -> Any:
        key = json.dumps(question, sort_keys=True)
        if key not in self._answers:
            self._answers[key] = json.loads(json.dumps(compute()))  # kept as it will be read
            self._kept_in.clear()
        return self._answers[key]

    def load(self, path: Path) -> None:
        """Add the answers kept in `path`, if it holds this version's."""
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if (isinstance(kept, dict) and kept.get("version") == self._version()
                and isinstance(kept.get("answers"), dict)):
            self._answers = {**kept["answers"], **self._answers}
            if len(self._answers) == len(kept["answers"]):
                self._kept_in.add(path)

    def save(self, path: Path) -> None:
        """Keep every answer in `path` (owner-only), unless it is known to hold them all."""
        if path in self._kept_in:
            return
        text = json.dumps({"version": self._version(), "answers": self._answers})
        umask = os.umask(0o077)
        try:
            write_atomically(path, text)
        except OSError:
            return  # a folder we cannot write costs the next run its start-up, not this grade
        finally:
            os.umask(umask)
        self._kept_in.add(path)
