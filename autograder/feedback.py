"""Feedback step: one self-contained HTML page per student: every part's score, every check
with its points and, where points were lost, the sentence that says why; the plots of the
student's own run beside the reference's (drawn by the lab's module, lab_feedback.py).

Every text on a page is escaped and made valid (`clean_text`), so a student's own text can
neither add markup nor stop the page from being written. Images are SVG data URIs: the page
opens offline, alone. Nothing of the hidden scenarios reaches a page: the checks' sentences
never name their values (see graders/) and the plots use the notebook's public run only.
"""

import os
import re
from pathlib import Path

from . import lab_feedback
from .pagetext import sentence_html
from .pagetext import text_html as _html
from .report import write_atomically
from .results import CheckResult, PartResult, Status, SubmissionResult, file_stem

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1d1d1f; }
h1 { font-size: 1.4rem; } .total { font-size: 1.2rem; }
section { border: 1px solid #d0d0d7; border-radius: 6px; padding: 0.6rem 1rem; margin: 1rem 0; }
section.full { border-left: 6px solid #009E73; }
section.lost { border-left: 6px solid #D55E00; }
h2 { font-size: 1.05rem; margin: 0.2rem 0; } .score { float: right; }
.note { background: #fff4e5; padding: 0.5rem 1rem; border-radius: 6px; }
.noplot { background: #f3f3f6; padding: 0.5rem 1rem; border-radius: 6px; }
ul.checks { list-style: none; padding-left: 0; }
ul.checks li { padding: 0.15rem 0; }
.mark { display: inline-block; width: 1.4rem; font-weight: bold; }
.passed .mark { color: #007a5a; } .failed .mark { color: #b34700; }
.points { font-variant-numeric: tabular-nums; color: #444; margin-left: 0.4rem; }
.why { display: block; margin-left: 1.4rem; }
code { background: #f1f1f4; padding: 0 0.2rem; border-radius: 3px; }
.figures { display: flex; flex-wrap: wrap; gap: 0.8rem; }
.figures img { max-width: 100%; height: auto; border: 1px solid #e0e0e6; }
table { border-collapse: collapse; } td, th { padding: 0.2rem 0.6rem; text-align: left; }
footer { color: #555; font-size: 0.9rem; }
"""

FRAGMENT_CLASS = "autograder-feedback"
FRAGMENT_STYLE = re.sub(
    r"([^{}]+)\{", lambda rule: ", ".join(f".{FRAGMENT_CLASS} {selector.strip()}"
                                          for selector in rule.group(1).split(",")) + " {",
    "\n".join(line for line in STYLE.splitlines()
              if not line.startswith(("body", "       line-height", "h1"))))
"""The page's style for a part shown inside another page (nbgrader's feedback, through the
HiddenGraders preprocessor): its rules for the whole page left out, the others only inside an
element of FRAGMENT_CLASS, so the notebook's own headings and tables keep their style."""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Feedback: {student}</title>
<style>{style}</style></head><body>
<h1>{lab}: feedback for {student}</h1>
<p class="total">Score: <strong>{score} / {max_score}</strong></p>
{note}
{parts}
{page_figures}
<footer>{footer}</footer>
</body></html>
"""

STATUS_NOTES = {
    Status.TIMEOUT: "Part of your notebook ran out of time, so some checks could not run.",
    Status.CRASHED: "Part of your notebook stopped the Python process or left output the grader "
                    "could not read, so some checks could not run.",
    Status.INVALID: "Your file could not be read as a notebook, so nothing could be graded.",
}

def check_title(name: str) -> str:
    """A check's name for people: `loss_values_match_reference` -> "Loss values match
    reference"."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _check_line(check: CheckResult) -> str:
    state, mark = ("passed", "✓") if check.passed else ("failed", "✗")
    why = (f'<span class="why">{sentence_html(check.message)}</span>'
           if not check.passed and check.message else "")
    return (f'<li class="{state}"><span class="mark" aria-label="{state}">{mark}</span>'
            f"{_html(check_title(check.name))}"
            f'<span class="points">{check.points:g} / {check.max_points:g} points</span>'
            f"{why}</li>")


def _part(part: PartResult, figures: str) -> str:
    full = part.score == part.max_score
    unchecked = [CheckResult("not_checked", 0.0, part.max_score, part.reason)] \
        if part.reason else []
    lines = [_check_line(check) for check in [*unchecked, *part.checks]]
    title = lab_feedback.PART_TITLES.get(part.name, part.name)
    return (f'<section class="{"full" if full else "lost"}" id="{_html(part.name)}"><h2>'
            f"{sentence_html(title)}"
            f'<span class="score">{part.score:g} / {part.max_score:g}</span></h2>'
            f'<ul class="checks">{"".join(lines)}</ul>{figures}</section>')


def part_html(part: PartResult, figures: dict[str, str]) -> str:
    """One part's section (checks and its plots from `lab_feedback.figures`), as the page and
    nbgrader's feedback show it."""
    return _part(part, figures.get(part.name, ""))


def render(result: SubmissionResult, reference: dict | None = None) -> str:
    """The student's page; without `reference` (lab_feedback.reference_runs()) it has no plots."""
    # An unreadable notebook ran nothing: its reason is the whole story, no plot to stand in for.
    plotted = reference and result.status is not Status.INVALID
    figures = lab_feedback.figures(result.own_runs, reference) if plotted else {}
    parts = [_part(part, figures.get(part.name, "")) for part in result.tests]
    note = STATUS_NOTES.get(result.status)
    note_html = f'<p class="note">{_html(note)} {sentence_html(result.reason)}</p>' if note else ""
    page_figures = _page_figures(result, figures)
    return PAGE.format(student=_html(result.student), score=f"{result.score:g}",
                       max_score=f"{result.max_score:g}", note=note_html, parts="\n".join(parts),
                       page_figures=page_figures, style=STYLE, lab=_html(lab_feedback.LAB_TITLE),
                       footer=_html(lab_feedback.PLOTS_NOTE))


CLASS_REPORT = "index.html"
"""The class report's name in the feedback folder (class_report.py)."""


def _page_figures(result: SubmissionResult, figures: dict[str, str]) -> str:
    if not figures.get(""):
        return ""
    return f"<section><h2>Your trained lines</h2>{figures['']}</section>"


def page_figures_html(result: SubmissionResult, figures: dict[str, str]) -> str:
    """The plots of the whole page (not of one part), as a section."""
    return _page_figures(result, figures)


def page_name(student: str) -> str:
    """The page's file name; a student whose id is `index` gets one no other id can have (no
    file stem holds "~"), so the class report beside the pages is never overwritten."""
    name = f"{file_stem(student)}.html"
    return name.replace(".html", "~student.html") if name.lower() == CLASS_REPORT else name


def write_feedback(results: list[SubmissionResult], folder: Path,
                   reference: dict | None = None, jobs: int = 1) -> list[Path]:
    """Write `<folder>/<student>.html` for every result; returns the paths. With `jobs` > 1,
    forked processes write shares of the pages (about 10 ms each, and nothing else runs at the
    end of a grading run); a share whose process failed is written here. Fork only from a
    process with no other thread running."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = [(result, folder / page_name(result.student)) for result in results]
    shares = [pages[start::jobs] for start in range(min(jobs, len(pages)))]
    helpers = {_fork_writing(share, reference): share for share in shares[1:]}
    _write_pages(shares[0] if shares else [], reference)
    for pid, share in helpers.items():
        if os.waitpid(pid, 0)[1] != 0:
            _write_pages(share, reference)
    return [path for _, path in pages]


def _fork_writing(pages: list[tuple[SubmissionResult, Path]], reference: dict | None) -> int:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            _write_pages(pages, reference)
            code = 0
        finally:
            os._exit(code)
    return pid


def _write_pages(pages: list[tuple[SubmissionResult, Path]], reference: dict | None) -> None:
    for result, path in pages:
        write_atomically(path, render(result, reference))
