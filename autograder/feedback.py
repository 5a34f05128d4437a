"""Feedback step: one HTML page per student with every part's score and what to fix.

Every text on a page is escaped and made valid (`clean_text`), so a student's own text can
neither add markup nor stop the page from being written.
"""

import html
from pathlib import Path

from .report import MAX_REPORT_TEXT, write_atomically
from .results import Status, SubmissionResult, file_stem
from .untrusted import clean_text

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Feedback: {student}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1d1d1f; }}
h1 {{ font-size: 1.4rem; }} .total {{ font-size: 1.2rem; }}
section {{ border: 1px solid #d0d0d7; border-radius: 6px; padding: 0.6rem 1rem; margin: 1rem 0; }}
section.full {{ border-left: 6px solid #2e7d32; }}
section.lost {{ border-left: 6px solid #c62828; }}
h2 {{ font-size: 1.05rem; margin: 0.2rem 0; }} .score {{ float: right; }}
.note {{ background: #fff4e5; padding: 0.5rem 1rem; border-radius: 6px; }}
</style></head><body>
<h1>Mini-batch gradient descent lab: feedback for {student}</h1>
<p class="total">Score: <strong>{score} / {max_score}</strong></p>
{note}
{parts}
</body></html>
"""

PART_TITLES = {
    "forward": "Task 1: forward(x)",
    "dataloader_loop": "Task 2: train_model_SGD (the DataLoader loop)",
    "batch20_trainer": "Task 3: mini-batch gradient descent with batch size 20",
}

STATUS_NOTES = {
    Status.TIMEOUT: "Part of your notebook ran out of time, so some checks could not run.",
    Status.CRASHED: "Part of your notebook stopped the Python process or left output the grader "
                    "could not read, so some checks could not run.",
    Status.INVALID: "Your file could not be read as a notebook, so nothing could be graded.",
}


def _html(text: str) -> str:
    return html.escape(clean_text(text, MAX_REPORT_TEXT))


def render(result: SubmissionResult) -> str:
    parts = []
    for part in result.tests:
        full = part.score == part.max_score
        lines = part.output.splitlines() or ["All checks passed."]
        items = "".join(f"<li>{_html(line)}</li>" for line in lines)
        parts.append(
            f'<section class="{"full" if full else "lost"}"><h2>'
            f"{_html(PART_TITLES.get(part.name, part.name))}"
            f'<span class="score">{part.score:g} / {part.max_score:g}</span></h2>'
            f"<ul>{items}</ul></section>")
    note = STATUS_NOTES.get(result.status)
    note_html = f'<p class="note">{_html(note)} {_html(result.reason)}</p>' if note else ""
    return PAGE.format(student=_html(result.student), score=f"{result.score:g}",
                       max_score=f"{result.max_score:g}", note=note_html, parts="\n".join(parts))


def write_feedback(results: list[SubmissionResult], folder: Path) -> list[Path]:
    """Write `<folder>/<student>.html` for every result; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for result in results:
        path = folder / f"{file_stem(result.student)}.html"
        write_atomically(path, render(result))
        paths.append(path)
    return paths
