"""Feedback pages and the class report: what they show, what they never show, how they load.

Unit tests render pages from made-up results (hostile text and numbers included); one class is
graded for real under a known secret to show that no hidden scenario's number reaches a page,
and its pages are opened in headless Chromium.
"""

import base64
import json
import math
import os
import re
import shutil
import urllib.parse
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser
from pathlib import Path

import pytest
from chromium import Chromium, find_chromium

from autograder import cli, lab_feedback
from autograder.class_report import render as render_report
from autograder.class_report import write_report
from autograder.examples import CORPUS_DIR, ExampleCase, load_cases
from autograder.feedback import page_name, render, sentence_html, write_feedback
from autograder.results import CheckResult, PartResult, Status, SubmissionResult
from autograder.scenarios import TRAINERS, draw_scenarios

SECRET = "0123456789abcdef" * 4
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">`</code><b>`'
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "strong",
                "section", "span", "ul", "li", "code", "div", "img", "footer", "table",
                "thead", "tbody", "tr", "th", "td", "a"}


@pytest.fixture(scope="module")
def reference() -> dict:
    return lab_feedback.reference_runs()


def a_result(student: str = "ada", message: str = "Append `loss.item()` once per epoch, 10 in all.",
             own_runs: dict | None = None, status: Status = Status.GRADED,
             reason: str = "") -> SubmissionResult:
    parts = (PartResult("forward", 2.0, (CheckResult("values", 2.0, 2.0),)),
             PartResult("dataloader_loop", 4.0, (CheckResult("records", 0.0, 1.0, message),
                                                 CheckResult("values", 3.0, 3.0))),
             PartResult("batch20_trainer", 4.0, (CheckResult("values", 4.0, 4.0),)))
    return SubmissionResult(student, f"{student}.ipynb", status, parts, reason=reason,
                            own_runs=own_runs if own_runs is not None else {})


def good_runs(reference: dict) -> dict:
    return {part: {"losses": list(run["losses"]), "w": run["w"], "b": run["b"],
                   "path": [list(point) for point in run["path"][:-1]]}
            for part, run in reference["runs"].items()}


class Tags(HTMLParser):
    """Every tag and attribute of a page."""

    def __init__(self):
        super().__init__()
        self.tags, self.attributes = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(name for name, _ in attrs)


def images(page: str) -> list[str]:
    """The SVG documents embedded in a page."""
    return [base64.b64decode(data).decode("utf-8")
            for data in re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)]


def decoded(page: str) -> str:
    """The page with its images' SVG text in place of their data URIs."""
    return page + "".join(images(page))


# Pages from made-up results


def test_backticks_become_code_and_markup_stays_text():
    """Are names between backticks shown as code, and markup in a sentence shown as text?"""
    assert sentence_html("Use `w.data` not <b>w</b>.") == (
        "Use <code>w.data</code> not &lt;b&gt;w&lt;/b&gt;.")


def test_page_has_a_line_per_check_with_points_and_the_sentence(reference):
    """Does every check show earned / worth points, and a lost one its sentence as code?"""
    page = render(a_result(), reference)
    assert "0 / 1 points" in page and "3 / 3 points" in page and "Score: <strong>9 / 10" in page
    assert "Append <code>loss.item()</code> once per epoch, 10 in all." in page
    assert page.count('<li class="failed">') == 1 and page.count('<li class="passed">') == 3


def test_page_has_titled_labelled_plots_with_alt_text(reference):
    """Are there five plots (two per training part, the fitted lines), each an SVG with a
    title, axis labels, a legend in Okabe-Ito colours and alt text?"""
    page = render(a_result(own_runs=good_runs(reference)), reference)
    svgs = images(page)
    assert len(svgs) == 5
    alts = re.findall(r'<img [^>]*alt="([^"]+)"', page)
    assert len(alts) == 5 and all(len(alt) > 40 for alt in alts)
    for svg in svgs:
        root = ElementTree.fromstring(svg)
        texts = [element.text for element in root.iter() if element.text]
        assert root.find("{http://www.w3.org/2000/svg}title").text
        assert any(text.startswith("your") for text in texts)
        assert "#D55E00" in svg  # the student's line, vermillion
    assert "loss on all the data (log scale)" in decoded(page)


def test_a_part_that_could_not_run_says_so_in_place_of_its_plots(reference):
    """Does a part whose run failed show its reason instead of plots?"""
    runs = good_runs(reference)
    runs["dataloader_loop"] = {"problem": "The cell `dataloader_loop` still raises "
                                          "NotImplementedError: replace that line."}
    page = render(a_result(own_runs=runs), reference)
    section = page.split('id="dataloader_loop"')[1].split("</section>")[0]
    assert "No plot of your run of <code>train_model_SGD</code>" in section
    assert "<code>dataloader_loop</code> still raises" in section and "<img" not in section
    assert len(images(page)) == 3


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e308, -1e308, 0.0, -5.0,
                                   1e-300, None])
def test_hostile_numbers_neither_break_a_plot_nor_the_page(reference, value):
    """Do NaN, infinities, huge, zero, negative values and gaps in a student's run give a page
    whose every image is valid SVG holding only finite coordinates?"""
    runs = {part: {"losses": [value, 3.0, value] * 700, "w": value, "b": value,
                   "path": [[value, value], [1.0, value], [value, -1.0]] * 700}
            for part in TRAINERS}
    page = render(a_result(own_runs=runs), reference)
    for svg in images(page):
        ElementTree.fromstring(svg)
        assert not re.search(r"\b(nan|inf)\b", svg, re.IGNORECASE)
        assert not re.search(r"\d{6,}\.", svg)  # no pixel coordinate beyond the clamp


def test_hostile_student_text_adds_no_markup(reference):
    """Can a student id, a sentence or a reason add a tag or an attribute to a page or to the
    class report?"""
    result = a_result(HOSTILE, HOSTILE, good_runs(reference), Status.CRASHED, HOSTILE)
    for page in (render(result, reference), render_report([result, a_result()])):
        tags = Tags()
        tags.feed(page)
        assert set(tags.tags) <= ALLOWED_TAGS
        assert not [name for name in tags.attributes if name.startswith("on")]
        assert "<script" not in page and "&lt;script&gt;" in page


def test_page_of_an_invalid_notebook_has_no_plots(reference):
    """Does an unreadable notebook get its reason on the page and no plot?"""
    result = a_result(status=Status.INVALID, reason="The file is empty.")
    page = render(result, reference)
    assert "The file is empty." in page and not images(page) and "No plot" not in page


def test_reference_runs_are_plain_data(reference):
    """Is what the reference gives every page plain JSON data (one computation per run can be
    cached or precomputed as it is)?"""
    assert json.loads(json.dumps(reference)) == json.loads(json.dumps(reference))
    assert json.dumps(reference, allow_nan=False)
    for part, trainer in TRAINERS.items():
        run = reference["runs"][part]
        updates = 10 * -(-60 // trainer.batch_size)  # (w, b) before every update, then the end
        assert len(run["losses"]) == 10 and len(run["path"]) == updates + 1
        assert run["path"][0] == [-15.0, -10.0] and run["path"][-1] == [run["w"], run["b"]]
    assert len(reference["data"]["x"]) == 60 and reference["contour"]


def test_pages_written_by_several_processes_are_the_same(tmp_path, reference):
    """Pages shared among forked processes are byte for byte those written by one, in order."""
    results = [a_result(f"student{number}", f"Append `loss.item()` once, {number} in all.")
               for number in range(7)]
    alone = write_feedback(results, tmp_path / "alone", reference)
    shared = write_feedback(results, tmp_path / "shared", reference, jobs=3)
    assert [page.name for page in shared] == [page.name for page in alone]
    assert [page.read_bytes() for page in shared] == [page.read_bytes() for page in alone]


def test_pages_a_helper_process_could_not_write_are_written_anyway(tmp_path, reference,
                                                                   monkeypatch):
    """A forked writer that fails costs no page: its share is written by the grader."""
    grader = os.getpid()
    real_render = render

    def render_here_only(result, reference):
        if os.getpid() != grader:
            raise OSError("disk full in the helper")
        return real_render(result, reference)
    monkeypatch.setattr("autograder.feedback.render", render_here_only)
    results = [a_result(f"student{number}") for number in range(4)]
    pages = write_feedback(results, tmp_path / "feedback", reference, jobs=2)
    assert all(page.read_text().startswith("<!DOCTYPE html>") for page in pages)


# The class report


def test_class_report_counts_rates_sentences_and_links(tmp_path, reference):
    """Does the report hold the histogram, a part's pass rate, the most frequent sentence with
    its count and students, each status with its reason, and a link to every page?"""
    results = [a_result("ada"), a_result("bob", "Append `loss.item()` once per epoch, 12 in all."),
               a_result("index"),
               a_result("cy", status=Status.TIMEOUT, reason="part dataloader_loop did not "
                        "finish in time")]
    pages = write_feedback(results, tmp_path / "feedback", reference)
    report = write_report(results, tmp_path / "feedback", tmp_path / "feedback")
    assert report == tmp_path / "feedback" / "index.html"
    assert page_name("index") != "index.html" and (tmp_path / "feedback" / "index~student.html"
                                                   ).exists()
    html = report.read_text()
    assert len(images(html)) == 1 and "Scores of the class" in images(html)[0]
    assert "0/4 (0%)" in html  # nobody got full marks on dataloader_loop
    row = html.split("Lost points met most often")[1].split("</tr>")[1]
    assert '<td class="num">4</td>' in row and "Append <code>loss.item()</code>" in row
    assert "one of 2 sentences alike but for their numbers" in row
    assert "part dataloader_loop did not finish in time" in html and "timeout" in html
    for page in pages:
        assert f'href="{urllib.parse.quote(page.name)}"' in html
    elsewhere = write_report(results, tmp_path / "report", tmp_path / "feedback")
    assert 'href="../feedback/ada.html"' in elsewhere.read_text()
    alone = write_report(results, tmp_path / "alone")  # --report without --feedback
    assert "<a href" not in alone.read_text() and "<td>ada</td>" in alone.read_text()


# One class graded for real

EXFILTRATE_FORWARD = (
    "def forward(x):\n"
    "    if x.dim() == 0 or x.shape[0] not in (1, 2, 20, 60):\n"
    "        raise ValueError(str(x.flatten().tolist()) + str(w.item()) + str(b.item()))\n"
    "    return w * x + b\n")
EXFILTRATE_TRAINING = (
    "\nif True:\n"
    "    _train = train_model_SGD\n"
    "    def train_model_SGD(epochs):\n"
    "        if w.item() != -15.0:\n"
    "            raise ValueError(str(Y.flatten().tolist()[:8]) + str(w.item()) + str(b.item()))\n"
    "        _train(epochs)\n")
SOLUTION = CORPUS_DIR / "correct_source_solution"


def exfiltrating_case() -> ExampleCase:
    source = (SOLUTION / "dataloader_loop.py").read_text() + EXFILTRATE_TRAINING
    edits = {"replace_cells": {"forward": EXFILTRATE_FORWARD, "dataloader_loop": source}}
    return ExampleCase("exfiltrate", SOLUTION, "exfiltrate", {}, {}, edits, None)


CLASS = ("correct_source_solution", "forward_no_bias", "update_wrong_sign", "hardcoded_range_10",
         "loss_recorded_after_updates", "stub_unanswered", "forward_detached_item")


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("pages")
    submitted = root / "submitted"
    cases = {case.name: case for case in load_cases()}
    for name in CLASS:
        cases[name].write_submission(submitted)
    exfiltrating_case().write_submission(submitted)
    (root / "secret").write_text(SECRET + "\n")
    code = cli.main(["grade", "--jobs", "2", "--cell-timeout", "5", "--probe-timeout", "5",
                     "--secret", str(root / "secret"), "--work-dir", str(root / "work"),
                     "--feedback", str(root / "feedback"), "--report", str(root / "report"),
                     "--json", str(root / "grades.json"), str(submitted)])
    assert code == 0
    return {"root": root, "feedback": root / "feedback", "report": root / "report",
            "records": {record["student"]: record
                        for record in json.loads((root / "grades.json").read_text())}}


def hidden_numbers() -> set[float]:
    """Every number of the hidden scenarios drawn from SECRET: inputs, start values, data,
    and what the reference gives for them."""
    scenarios = draw_scenarios(SECRET.encode())
    numbers: set[float] = set()
    for scenario in scenarios.forward:
        numbers.update([*scenario.values, scenario.w, scenario.b, *scenario.expected()])
    for scenario in scenarios.training:
        if scenario.from_notebook:
            continue
        numbers.update([scenario.w0, scenario.b0, scenario.data.slope, scenario.data.bias,
                        scenario.data.noise])
        x, y = scenario.data.tensors()
        numbers.update(y.flatten().tolist())
        for trainer in TRAINERS.values():
            run = scenario.expected(trainer.batch_size)
            numbers.update([*run.losses, run.w, run.b])
    return numbers


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
"""A number as a page spells it, whole: 3.897 is not a number of the text -3.897e+05."""
GEOMETRY = re.compile(r'\b(?:d|points|x|y|x1|y1|x2|y2|cx|cy|r|width|height|viewBox|transform)'
                      r'="[^"]*"')
"""Where an image places its shapes, in pixels: a pixel coordinate may equal a hidden number's
spelling by chance (161.4,236.7 on a path), but it spells no value a student can read."""


def spellings(value: float) -> set[str]:
    """How a page could spell a number; numbers of two significant digits or fewer (0.5, -2,
    1.5) are left out: pages hold them for other reasons (points, ticks)."""
    forms = {f"{value:g}", f"{value:.6g}", f"{value:.4g}", repr(value), f"{value:.3f}",
             str(float(f"{value:.7g}"))}
    return {form for form in forms
            if len(form.lstrip("-").replace(".", "").strip("0")) > 2}


@pytest.mark.slow
def test_pages_hold_no_hidden_value(graded_class):
    """Does any page (its images decoded) or the class report spell a number of the hidden
    scenarios, or quote the reference code, even for a student whose code raises the hidden
    data in its error messages?"""
    assert graded_class["records"]["exfiltrate"]["score"] < 10
    forms = {form for value in hidden_numbers() for form in spellings(value)}
    assert len(forms) > 100
    reference_code = ["for start in range(0, len(x), batch_size)", "batch_x, batch_y"]
    pages = [*graded_class["feedback"].glob("*.html"), graded_class["report"] / "index.html"]
    assert len(pages) == len(CLASS) + 3
    found = {}
    for page in pages:
        text = GEOMETRY.sub("", decoded(page.read_text()))
        hits = sorted(forms & set(NUMBER.findall(text)))
        hits += [line for line in reference_code if line in text]
        if hits:
            found[page.name] = hits
    assert found == {}
    exfiltrate = (graded_class["feedback"] / "exfiltrate.html").read_text()
    assert "raised ValueError ([#" in exfiltrate  # the message is there, its numbers masked


@pytest.mark.slow
def test_pages_of_a_graded_class(graded_class):
    """Does every student have a page with plots of their own run, the failing parts saying why
    there is none, and does the report link to all of them?"""
    feedback = graded_class["feedback"]
    correct = (feedback / "correct_source_solution.html").read_text()
    assert len(images(correct)) == 5 and "No plot" not in correct
    stub = (feedback / "stub_unanswered.html").read_text()
    assert stub.count("No plot of your run") == 2 and "is not done yet" in stub
    report = (graded_class["report"] / "index.html").read_text()
    for student in graded_class["records"]:
        assert f'href="../feedback/{student}.html"' in report


def chromium_or_skip() -> str:
    executable = find_chromium()
    if executable is None:
        pytest.skip("no chromium on PATH: `make test` installs Debian's chromium with apt-get "
                    "when it runs as root; otherwise install it (apt-get install chromium)")
    return executable


@pytest.mark.slow
def test_pages_load_in_headless_chromium(graded_class, tmp_path_factory):
    """Do a feedback page and the class report load in Chromium without a console error, every
    image decoding to a non-zero size? Screenshots are saved (and, when AUTOGRADER_SCREENSHOTS
    names a folder, copied there)."""
    executable = chromium_or_skip()
    shots = tmp_path_factory.mktemp("screenshots")
    pages = {"feedback-page": graded_class["feedback"] / "update_wrong_sign.html",
             "class-report": graded_class["feedback"] / "index.html"}
    with Chromium(executable) as browser:
        for name, page in pages.items():
            visit = browser.visit(page)
            assert visit.errors == []
            assert visit.images and all(image["ok"] and image["width"] > 0
                                        and image["height"] > 0 for image in visit.images), \
                visit.images
            assert visit.screenshot.startswith(b"\x89PNG")
            (shots / f"{name}.png").write_bytes(visit.screenshot)
    print(f"screenshots: {shots}")
    if os.environ.get("AUTOGRADER_SCREENSHOTS"):
        for shot in shots.iterdir():
            shutil.copy(shot, Path(os.environ["AUTOGRADER_SCREENSHOTS"]) / shot.name)
