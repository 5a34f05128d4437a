"""Resume step: each submission's run is kept in a work folder as soon as it ends, so a grading
run that was interrupted picks up where it stopped instead of running everything again.

A kept run is reused only when everything that shaped it is unchanged: the program (the
student's cells on the release), the probe plan, the limits, the released helper files and the
worker's own code. Judging is always redone, so changed graders apply to kept runs too.

Layout: `<work>/<student folder>/finished.json` (the fingerprint, how the worker ended, how
long it took) beside `<work>/<student folder>/scratch/` (the worker's evidence).
"""

import fcntl
import hashlib
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import GradingError
from .evidence import read_json_file
from .results import file_stem

WORKER_CODE = tuple(Path(__file__).parent / name for name in ("server.py", "worker.py", "probe.py"))
RECORD = "finished.json"


def fingerprint(run_inputs: dict, files: list[Path]) -> str:
    """A digest of what a run depends on: plain-data inputs, helper files, the worker's code."""
    digest = hashlib.sha256(json.dumps(run_inputs, sort_keys=True).encode())
    for path in [*files, *WORKER_CODE]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


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


@dataclass(frozen=True)
class RunFolder:
    """Where one submission's run lives in the work folder."""

    path: Path

    @classmethod
    def for_student(cls, work_dir: Path, student: str) -> "RunFolder":
        return cls(work_dir / file_stem(student))

    @property
    def scratch(self) -> Path:
        return self.path / "scratch"

    def kept(self, expected_fingerprint: str) -> tuple[str, float] | None:
        """How the kept run ended and its seconds, if it was made from the same inputs."""
        record = read_json_file(self.path / RECORD)
        if record is None or record.get("fingerprint") != expected_fingerprint:
            return None
        worker_end, seconds = record.get("worker_end"), record.get("seconds")
        if not isinstance(worker_end, str) or type(seconds) not in (int, float):
            return None
        return worker_end, float(seconds)

    def prepare(self, files: list[Path]) -> None:
        """An empty scratch folder holding the files the notebook reads."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.scratch.mkdir(parents=True)
        for path in files:
            shutil.copy(path, self.scratch)

    def keep(self, run_fingerprint: str, worker_end: str, seconds: float) -> None:
        """Record the ended run; written last and atomically, so a half-kept run is never used."""
        temporary = self.path / f"{RECORD}.tmp"
        temporary.write_text(json.dumps({"fingerprint": run_fingerprint,
                                         "worker_end": worker_end, "seconds": seconds}))
        temporary.replace(self.path / RECORD)
