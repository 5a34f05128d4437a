"""Engine settings in one place: every limit has a default and a description."""

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from .secret import DEFAULT_SECRET_FILE


@dataclass(frozen=True)
class EngineSettings:
    jobs: int = field(default=os.cpu_count() or 1, metadata={
        "help": "submissions graded at once (default: one per CPU)"})
    submission_seconds: float = field(default=300.0, metadata={
        "help": "hard limit for one submission; the worker and all it started are killed after"})
    cell_seconds: float = field(default=10.0, metadata={
        "help": "limit for one cell; the whole lab's longest cell takes well under a second"})
    probe_seconds: float = field(default=10.0, metadata={
        "help": "limit for one hidden test run of a student's function"})
    memory_mb: int = field(default=4096, metadata={
        "help": "address-space limit of each worker process, in MiB"})
    file_mb: int = field(default=64, metadata={
        "help": "largest file a worker may write, its printed output included, in MiB; a "
                "student's endless print loop cannot fill the disk"})
    no_draw: tuple[str, ...] = field(default=(
        "error_surfaces.plot_error_surfaces.plot_surface",
        "error_surfaces.plot_error_surfaces.plot_ps",
        "error_surfaces.plot_error_surfaces.final_plot",
    ), metadata={"help": "drawing methods of the released helper that grading skips "
                         "(a figure costs ~50 ms and changes no grade)"})
    secret_file: Path = field(default=DEFAULT_SECRET_FILE, metadata={
        "help": "the course secret the hidden scenarios are drawn from, made here on first use; "
                "keep it private and backed up: the same secret reproduces a re-grade"})

    def worker_limits(self) -> dict:
        """The subset the worker needs, as plain data (never the secret)."""
        return {"cell_seconds": self.cell_seconds, "probe_seconds": self.probe_seconds,
                "memory_bytes": self.memory_mb * 2**20, "file_bytes": self.file_mb * 2**20,
                "no_draw": list(self.no_draw)}

    @classmethod
    def describe(cls) -> dict[str, str]:
        return {item.name: item.metadata["help"] for item in fields(cls)}
