"""Engine settings in one place: every limit has a default and a description."""

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from . import lab
from .assignment import REPO_ROOT
from .secret import DEFAULT_SECRET_FILE

DEFAULT_SERVER_SOCKET = REPO_ROOT / ".autograder-serve" / "socket"


@dataclass(frozen=True)
class EngineSettings:
    jobs: int = field(default=os.cpu_count() or 1, metadata={
        "help": "submissions graded at once (default: one per CPU)"})
    submission_seconds: float = field(default=300.0, metadata={
        "help": "hard limit for one submission; its box and all it started are ended after"})
    cell_seconds: float = field(default=10.0, metadata={
        "help": "limit for one cell; the whole lab's longest cell takes well under a second"})
    probe_seconds: float = field(default=10.0, metadata={
        "help": "limit for one hidden test run of a student's function"})
    memory_mb: int = field(default=4096, metadata={
        "help": "memory of one submission and every process it starts, in MiB (a cgroup where "
                "the grader can make one; each process's address space everywhere)"})
    file_mb: int = field(default=64, metadata={
        "help": "largest file a submission may write, its printed output included, in MiB"})
    disk_mb: int = field(default=128, metadata={
        "help": "all a submission may write, in MiB: its scratch folder and /tmp share one "
                "tmpfs of this size"})
    processes: int = field(default=64, metadata={
        "help": "processes and threads one submission may run at once (a fork bomb stops here)"})
    confined: bool = field(default=True, metadata={
        "help": "run each submission in its own sandbox (Linux namespaces); without it, "
                "student code can read and change everything the grader can"})
    no_draw: tuple[str, ...] = field(default=lab.NO_DRAW, metadata={
        "help": "drawing methods of the released helper that grading skips (a figure costs "
                "~50 ms and changes no grade)"})
    main_run_skips: tuple[str, ...] = field(default=lab.MAIN_RUN_SKIPS, metadata={
        "help": "given cells the notebook's main run leaves out (each part's cells still run in "
                "its own snapshot)"})
    secret_file: Path = field(default=DEFAULT_SECRET_FILE, metadata={
        "help": "the course secret the hidden scenarios are drawn from, made here on first use; "
                "keep it private and backed up: the same secret reproduces a re-grade"})
    server_socket: Path | None = field(default=DEFAULT_SERVER_SOCKET, metadata={
        "help": "where `python -m autograder serve` keeps a warm server up between grading "
                "runs; a run uses it when it answers there (None: always start a server)"})

    def worker_limits(self) -> dict:
        """What the box and the worker need, as plain data (never the secret)."""
        return {"submission_seconds": self.submission_seconds,
                "cell_seconds": self.cell_seconds, "probe_seconds": self.probe_seconds,
                "memory_bytes": self.memory_mb * 2**20, "file_bytes": self.file_mb * 2**20,
                "disk_bytes": self.disk_mb * 2**20, "processes": self.processes,
                "no_draw": list(self.no_draw), "main_run_skips": list(self.main_run_skips)}

    @classmethod
    def describe(cls) -> dict[str, str]:
        return {item.name: item.metadata["help"] for item in fields(cls)}
