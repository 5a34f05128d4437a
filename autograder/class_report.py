"""Class report step: one self-contained HTML page for the instructor, written with every
grading run that has an output folder (`index.html` in `--feedback DIR`, or in `--report DIR`).

It answers what the class got wrong: the score histogram, each part's and each check's pass
rate, the lost-point sentences met most often with the students they hit, every submission that
did not end as graded with its reason, and a table of students linking to their pages.
Student ids and sentences are escaped like everything else on a page.
"""

import html
import math
import os
import re
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path

from . import lab_feedback
from .feedback import STYLE, check_title, page_name
from .pagetext import sentence_html
from .pagetext import text_html as _h
from .report import write_atomically
from .results import Status, SubmissionResult
from .svg import bars, image

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
"""Sentences alike but for their numbers (each student's own values) are counted as one."""
TOP_SENTENCES = 12
"""Lost-point sentences listed, most frequent first."""
NAMES_SHOWN = 20
"""Students named beside a sentence; the rest are counted."""

EXTRA_STYLE = """
body { max-width: 72rem; }
.rate { display: inline-block; height: 0.7rem; background: #0072B2; vertical-align: middle; }
.rate-bg { display: inline-block; width: 8rem; height: 0.7rem; background: #e6e6ee;
           vertical-align: middle; margin-right: 0.4rem; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(odd) { background: #f7f7fa; }
.status-timeout, .status-crashed, .status-invalid { color: #b34700; font-weight: bold; }
"""


def _rate(passed: int, total: int) -> str:
    share = passed / total if total else 0.0
    return (f'<span class="rate-bg"><span class="rate" style="width: {share * 8:.2f}rem">'
            f"</span></span>{passed}/{total} ({share:.0%})")


def _link(student: str, pages: str | None) -> str:
    if pages is None:
        return _h(student)
    name = urllib.parse.quote(page_name(student))
    href = html.escape(f"{urllib.parse.quote(pages)}/{name}" if pages else name)
    return f'<a href="{href}">{_h(student)}</a>'


def _histogram(results: list[SubmissionResult]) -> str:
    top = max((result.max_score for result in results), default=0.0)
    bins = max(1, math.ceil(top))
    counts = [0] * (bins + 1)
    for result in results:
        counts[min(bins, max(0, math.floor(result.score)))] += 1
    labels = [f"{low}–{low + 1}" if low < bins else f"{bins:g}" for low in range(bins + 1)]
    svg = bars("Scores of the class", f"score out of {top:g} (bar a–b: at least a, below b)",
               "students", labels, counts)
    alt = "Histogram of scores: " + ", ".join(
        f"{count} scored {label}" for label, count in zip(labels, counts) if count) + "."
    return image(svg, 560, 260, alt)


def render(results: list[SubmissionResult], pages: str | None = "") -> str:
    """The class report; `pages`: the folder of the feedback pages relative to the report
    ("" when beside it, None when there are none)."""
    total = len(results)
    statuses = Counter(result.status.value for result in results)
    mean = sum(result.score for result in results) / total if total else 0.0
    top = results[0].max_score if results else 0.0
    part_names = [part.name for part in results[0].tests] if results else []

    part_rows = []
    for name in part_names:
        parts = [result.part(name) for result in results]
        full = sum(1 for part in parts if part.score == part.max_score)
        average = sum(part.score for part in parts) / total
        title = lab_feedback.PART_TITLES.get(name, name)
        part_rows.append(f"<tr><td>{sentence_html(title)}</td><td class=\"num\">{average:.2f} / "
                         f"{parts[0].max_score:g}</td><td>{_rate(full, total)}</td></tr>")

    check_counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    sentences: Counter = Counter()
    hit: dict[tuple[str, str], list[str]] = defaultdict(list)
    examples: dict[tuple[str, str], set[str]] = {}
    for result in results:
        for part in result.tests:
            for check in part.checks:
                counts = check_counts[(part.name, check.name)]
                counts[0] += check.passed
                counts[1] += 1
            for line in filter(None, part.output.splitlines()):
                key = (part.name, NUMBER.sub("#", line))
                sentences[key] += 1
                hit[key].append(result.student)
                examples.setdefault(key, set()).add(line)
    check_rows = [f"<tr><td><code>{_h(part)}</code></td><td>{_h(check_title(check))}</td>"
                  f"<td>{_rate(passed, checked)}</td></tr>"
                  for (part, check), (passed, checked) in check_counts.items()]

    sentence_rows = []
    for (part, key), count in sentences.most_common(TOP_SENTENCES):
        students, seen = hit[(part, key)], examples[(part, key)]
        line = min(seen)
        if len(seen) > 1:
            line += f" (one of {len(seen)} sentences alike but for their numbers)"
        names = ", ".join(_link(student, pages) for student in students[:NAMES_SHOWN])
        more = len(students) - NAMES_SHOWN
        names += f" and {more} more" if more > 0 else ""
        sentence_rows.append(f'<tr><td class="num">{count}</td><td><code>{_h(part)}</code></td>'
                             f"<td>{sentence_html(line)}</td><td>{names}</td></tr>")

    status_rows = [f'<tr><td>{_link(result.student, pages)}</td><td class="status-'
                   f'{result.status.value}">{result.status.value}</td>'
                   f"<td>{sentence_html(result.reason)}</td></tr>"
                   for result in results if result.status is not Status.GRADED]

    student_rows = []
    for result in sorted(results, key=lambda result: (result.score, result.student)):
        scores = "".join(f'<td class="num">{part.score:g}</td>' for part in result.tests)
        student_rows.append(f"<tr><td>{_link(result.student, pages)}</td><td class=\"status-"
                            f'{result.status.value}">{result.status.value}</td>{scores}'
                            f'<td class="num"><strong>{result.score:g}</strong> / '
                            f"{result.max_score:g}</td></tr>")
    headers = "".join(f"<th><code>{_h(name)}</code></th>" for name in part_names)
    summary = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Class report: {_h(lab_feedback.LAB_TITLE)}</title>
<style>{STYLE}{EXTRA_STYLE}</style></head><body>
<h1>Class report: {_h(lab_feedback.LAB_TITLE)}</h1>
<p class="total">{total} submissions ({_h(summary or 'none')}); mean score
<strong>{mean:.2f} / {top:g}</strong></p>
<section><h2>Scores</h2>{_histogram(results) if results else ''}</section>
<section><h2>Parts</h2><table><thead><tr><th>part</th><th>mean score</th><th>full marks</th>
</tr></thead><tbody>{''.join(part_rows)}</tbody></table></section>
<section><h2>Checks</h2><table><thead><tr><th>part</th><th>check</th>
<th>passed (of those checked)</th></tr>
</thead><tbody>{''.join(check_rows)}</tbody></table></section>
<section><h2>Lost points met most often</h2><table><thead><tr><th>students</th><th>part</th>
<th>sentence</th><th>who</th></tr></thead><tbody>{''.join(sentence_rows)
    or '<tr><td colspan="4">No points lost.</td></tr>'}</tbody></table></section>
<section><h2>Not graded to the end</h2><table><thead><tr><th>student</th><th>status</th>
<th>reason</th></tr></thead><tbody>{''.join(status_rows)
    or '<tr><td colspan="3">Every submission was graded to the end.</td></tr>'}</tbody></table>
</section>
<section><h2>Students</h2><table><thead><tr><th>student</th><th>status</th>{headers}
<th>total</th></tr></thead><tbody>{''.join(student_rows)}</tbody></table></section>
</body></html>
"""


def write_report(results: list[SubmissionResult], folder: Path,
                 feedback_dir: Path | None = None) -> Path:
    """Write `<folder>/index.html`, linking to the pages in `feedback_dir` when there are."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = None
    if feedback_dir is not None:
        relative = os.path.relpath(feedback_dir.resolve(), folder.resolve())
        pages = "" if relative == "." else Path(relative).as_posix()
    path = folder / "index.html"
    write_atomically(path, render(results, pages))
    return path
