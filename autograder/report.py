"""Report step: the JSON report, the CSV grade sheet, the summary table and progress line."""

import csv
import json
import sys
from collections import Counter
from pathlib import Path

from .results import SubmissionResult


def write_json(results: list[SubmissionResult], path: Path) -> None:
    """One object per submission, in the contract's shape (see DESIGN.md)."""
    path.write_text(json.dumps([result.to_dict() for result in results], indent=2) + "\n")


def write_csv(results: list[SubmissionResult], path: Path) -> None:
    """One row per student: status, one column per part, total."""
    parts = [part.name for part in results[0].tests] if results else []
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "status", *parts, "total", "max_score"])
        for result in results:
            writer.writerow([result.student, result.status.value,
                             *(_number(part.score) for part in result.tests),
                             _number(result.score), _number(result.max_score)])


def _number(value: float) -> str:
    return f"{value:g}"


def table(results: list[SubmissionResult]) -> str:
    """The grade table: one line per student, a column per part."""
    if not results:
        return ""
    parts = [part.name for part in results[0].tests]
    header = ["student", "status", *parts, "total"]
    rows = [[result.student, result.status.value,
             *(f"{_number(part.score)}/{_number(part.max_score)}" for part in result.tests),
             f"{_number(result.score)}/{_number(result.max_score)}"] for result in results]
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def summary(results: list[SubmissionResult], seconds: float) -> str:
    """The closing line: how many, how they ended, the mean score, how long it took."""
    counts = Counter(result.status.value for result in results)
    statuses = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    mean = sum(result.score for result in results) / len(results) if results else 0.0
    best = results[0].max_score if results else 0.0
    return (f"{len(results)} submissions in {seconds:.1f} s ({statuses or 'none'}); "
            f"mean score {mean:.2f}/{_number(best)}")


class Progress:
    """A progress bar on a terminal (stderr); silent when stderr is not a terminal."""

    def __init__(self, total: int, label: str, stream=sys.stderr):
        self.total, self.done, self.label, self.stream = total, 0, label, stream
        self.active = stream.isatty() and total > 0

    def step(self, *_) -> None:
        self.done += 1
        if self.active:
            filled = int(30 * self.done / self.total)
            self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] "
                              f"{self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.active:
            self.stream.write("\n")
