"""Report step: the JSON report, the CSV grade sheet, the summary table and progress line.

Reports are opened by people and their tools, and hold text from students (ids, error messages):
every text is made valid (`clean_text`) as it is written, whatever checked it before; a CSV cell
a spreadsheet would run as a formula is neutralised; files are replaced in one step.
"""

import csv
import io
import json
import os
import secrets
import sys
from collections import Counter
from pathlib import Path

from .results import SubmissionResult
from .untrusted import clean_text

MAX_REPORT_TEXT = 10_000
"""Longest text in a report; what students' code produced was cut far shorter on the way in."""
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` in one step: a reader sees the old file or the whole new one, never a part
    (a temporary file in the same folder, then os.replace)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with temporary.open("x", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _clean(value):
    """The same JSON value with every text in it valid."""
    if isinstance(value, str):
        return clean_text(value, MAX_REPORT_TEXT)
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def write_json(results: list[SubmissionResult], path: Path) -> None:
    """One object per submission, in the contract's shape (see DESIGN.md)."""
    report = _clean([result.to_dict() for result in results])
    write_atomically(path, json.dumps(report, indent=2) + "\n")


def write_csv(results: list[SubmissionResult], path: Path) -> None:
    """One row per student: status, one column per part, total."""
    parts = [part.name for part in results[0].tests] if results else []
    sheet = io.StringIO()
    writer = csv.writer(sheet)
    writer.writerow(["student", "status", *parts, "total", "max_score"])
    for result in results:
        writer.writerow([_cell(result.student), result.status.value,
                         *(_number(part.score) for part in result.tests),
                         _number(result.score), _number(result.max_score)])
    write_atomically(path, sheet.getvalue())


def _cell(text: str) -> str:
    """Text for a spreadsheet: valid, and shown as text even where it reads as a formula."""
    text = clean_text(text, MAX_REPORT_TEXT)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def _number(value: float) -> str:
    return f"{value:g}"


def table(results: list[SubmissionResult]) -> str:
    """The grade table: one line per student, a column per part."""
    if not results:
        return ""
    parts = [part.name for part in results[0].tests]
    header = ["student", "status", *parts, "total"]
    rows = [[clean_text(result.student, MAX_REPORT_TEXT, one_line=True), result.status.value,
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
