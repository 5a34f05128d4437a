"""Resume step: each submission's run is kept in a work folder as soon as it ends, so a grading
run that was interrupted picks up where it stopped instead of running everything again.

A kept run is reused only when everything that shaped it is unchanged: the program (the
student's cells on the release), the probe plan, the limits, the released helper files and the
engine's own code. Judging is always redone, so changed graders apply to kept runs too.

Kept runs are written by the grader only: no box ever sees the work folder. Each record carries
a keyed digest of the run's evidence, made with a key kept in the work folder (`.key`, readable
by the grader alone), so a kept run changed by anyone else is found out and run again.

Layout: `<work>/<student folder>/finished.json` (fingerprint, how the box ended, seconds,
digest) beside `<work>/<student folder>/evidence/` (what the keeper copied out of the box).
"""

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import GradingError
from .evidence import read_json_file
from .results import file_stem

ENGINE_CODE = tuple(Path(__file__).parent / name
                    for name in ("server.py", "sandbox.py", "linux.py", "worker.py", "probe.py"))
RECORD = "finished.json"
KEY = ".key"


def fingerprinter(shared_inputs: dict, files: list[Path]) -> Callable[[dict], str]:
    """Digests of what runs depend on: the inputs they share (plan, limits), the helper files
    and the engine's code, read and hashed once per grading run, then each run's program."""
    shared = hashlib.sha256(json.dumps(shared_inputs, sort_keys=True).encode())
    for path in [*files, *ENGINE_CODE]:
        shared.update(path.read_bytes())

    def fingerprint(program: dict) -> str:
        digest = shared.copy()
        digest.update(json.dumps(program, sort_keys=True).encode())
        return digest.hexdigest()

    return fingerprint


@contextmanager
def locked(work_dir: Path) -> Iterator[None]:
    """Hold the work folder for one grading run: two at once would prepare each other's runs."""
    work_dir.mkdir(parents=True, exist_ok=True)
    with (work_dir / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GradingError(f"Another grading run is using {work_dir}/: wait for it to end, "
                               "or give this one another --work-dir.") from None
        yield


def _key(work_dir: Path) -> bytes:
    """The work folder's digest key, made on first use."""
    path = work_dir / KEY
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    key = secrets.token_bytes(32)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key


def _evidence_digest(key: bytes, folder: Path, record: dict) -> str:
    mac = hmac.new(key, json.dumps(record, sort_keys=True).encode(), hashlib.sha256)
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            mac.update(b"\0other:" + str(path.relative_to(folder)).encode())
            continue
        mac.update(b"\0file:" + str(path.relative_to(folder)).encode() + b"\0")
        mac.update(hashlib.sha256(path.read_bytes()).digest())
    return mac.hexdigest()


@dataclass(frozen=True)
class RunFolder:
    """Where one submission's run lives in the work folder."""

    path: Path

    @classmethod
    def for_student(cls, work_dir: Path, student: str) -> "RunFolder":
        return cls(work_dir / file_stem(student))

    @property
    def evidence(self) -> Path:
        return self.path / "evidence"

    def kept(self, expected_fingerprint: str) -> tuple[str, float] | None:
        """How the kept run ended and its seconds, if it was made from the same inputs and its
        evidence is as the grader wrote it."""
        record = read_json_file(self.path / RECORD)
        if record is None or record.get("fingerprint") != expected_fingerprint:
            return None
        worker_end, seconds, digest = (record.get(name)
                                       for name in ("worker_end", "seconds", "digest"))
        if not isinstance(worker_end, str) or type(seconds) not in (int, float):
            return None
        content = {"fingerprint": expected_fingerprint, "worker_end": worker_end,
                   "seconds": seconds}
        expected = _evidence_digest(_key(self.path.parent), self.evidence, content)
        if not isinstance(digest, str) or not hmac.compare_digest(digest, expected):
            return None
        return worker_end, float(seconds)

    def keep(self, evidence: Path, run_fingerprint: str, worker_end: str,
             seconds: float) -> None:
        """Move the run's evidence in and record it; the record is written last and atomically,
        so a half-kept run is never used."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        if evidence.is_dir():
            shutil.move(evidence, self.evidence)
        else:
            self.evidence.mkdir()
        content = {"fingerprint": run_fingerprint, "worker_end": worker_end, "seconds": seconds}
        record = {**content,
                  "digest": _evidence_digest(_key(self.path.parent), self.evidence, content)}
        temporary = self.path / f"{RECORD}.tmp"
        temporary.write_text(json.dumps(record))
        temporary.replace(self.path / RECORD)
