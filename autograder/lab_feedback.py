"""What this lab's feedback pages show: each part's title and the plots of the student's own run.

Lab facts live here, so feedback.py and class_report.py stay pages of any assignment. The plots
use only the notebook's public run (its data, w = -15, b = -10, 10 epochs): the student's own
`LOSS_SGD`, `LOSS_MINI20`, final w, b and the path `get_surface` recorded, read by the state probe
`notebook_run`, next to the reference run on the same data. Hidden scenarios are never read here.

`reference_runs` computes everything the reference contributes, once per grading run, as plain
data; `student_runs` reads a submission's evidence into plain, bounded data kept with its
result; `figures` turns both into `<img>` tags, one group per part.
"""

import math

import numpy as np

from . import lab
from .evidence import MALFORMED, Evidence
from .graders.observations import number, problem_of, section_problem, type_of
from .lab import SURFACE_PATH
from .pagetext import sentence_html
from .scenarios import NOTEBOOK_DATA, NOTEBOOK_RUN, TRAINERS
from .svg import OKABE_ITO, Chart, Series, finite, img

LAB_TITLE = "Mini-batch gradient descent lab"
PLOTS_NOTE = ("Plots show your notebook's own run on the notebook's data (10 epochs from "
              "w = -15, b = -10) beside the reference run on the same data. The hidden tests "
              "use other data and other start values; they are described here, never shown.")
PART_TITLES = lab.PART_TITLES
"""Each part's title, as the notebook's text names the task (and stubs and graders do)."""
TRAINER_NAMES = {"dataloader_loop": "stochastic gradient descent (batch size 1)",
                 "batch20_trainer": "mini-batch gradient descent (batch size 20)"}

YOU = {"color": OKABE_ITO["vermillion"], "marker": "circle", "width": 3.0}
REFERENCE = {"color": OKABE_ITO["blue"], "marker": "square", "dash": "6 3", "width": 1.6}
"""The student's line is drawn first and wider, the reference's dashed on top: where a correct
run follows the reference exactly, both stay visible."""
MARKED_POINTS = 60
"""A line of more points (a LOSS list per batch) is drawn without a mark on every point."""
SECOND = {"color": OKABE_ITO["bluish_green"], "marker": "triangle", "dash": "2 2"}

W_RANGE, B_RANGE = 15.0, 13.0
"""The loss surface's window, as the notebook's `plot_error_surfaces(15, 13, X, Y, 30)`."""
GRID = 81
CONTOUR_LEVELS = 12
MAX_DECADES = 6
"""A student's loss more than this many decades off the reference's range is left off the plot
(and counted in a note): one diverged value must not flatten every other curve."""


def reference_runs() -> dict:
    """Everything the reference contributes to every page, as plain data (lists of floats):
    per training part its losses, path and final w, b on the notebook's run; the public data;
    the contour lines of the loss surface. Called once per grading run."""
    x, y = NOTEBOOK_DATA.lists()
    runs = {}
    for part, trainer in TRAINERS.items():
        run = NOTEBOOK_RUN.expected(trainer.batch_size)
        runs[part] = {"losses": list(run.losses),
                      "path": [list(point) for point in run.path] + [[run.w, run.b]],
                      "w": run.w, "b": run.b}
    xs, ys = [row[0] for row in x], [row[0] for row in y]
    return {"runs": runs, "data": {"x": xs, "y": ys}, "contour": _contour_lines(xs, ys)}


def _contour_lines(xs: list[float], ys: list[float]) -> list[list[list[float]]]:
    """Lines of equal loss over the notebook's window, at levels spaced evenly in log scale."""
    from contourpy import contour_generator

    w_axis, b_axis = np.linspace(-W_RANGE, W_RANGE, GRID), np.linspace(-B_RANGE, B_RANGE, GRID)
    w, b = np.meshgrid(w_axis, b_axis)
    x, y = np.asarray(xs), np.asarray(ys)
    loss = np.mean((y - (w[..., None] * x + b[..., None])) ** 2, axis=-1)
    generator = contour_generator(w, b, loss)
    levels = np.geomspace(loss.min() * 2, loss.max() * 0.9, CONTOUR_LEVELS)
    return [np.round(line, 3).tolist() for level in levels for line in generator.lines(level)]


def _floats(description, longest: int = 10_000) -> list[float | None] | None:
    """A list's entries as finite floats (None for an entry that is not one), or None."""
    if type_of(description) != "list":
        return None
    items = description.get("items")
    if not isinstance(items, list):
        return None
    return [finite(number(item)) for item in items[:longest]]


def student_runs(evidence: Evidence) -> dict[str, dict]:
    """Per training part, what the student's own notebook run left (`losses`, `w`, `b`, `path`,
    finite floats or None), or `problem`: the sentence saying why it could not run."""
    return {part: _student_run(evidence, part) for part in TRAINERS}


def _student_run(evidence: Evidence, part: str) -> dict:
    trainer = TRAINERS[part]
    found = evidence.parts.get(part)
    if found is None or found.section is None:
        ending = ("ran out of time" if evidence.worker_end == "timeout"
                  else "stopped" if found is None else "ended its process")
        return {"problem": f"Your notebook {ending} before this part could run."}
    if found.ended == "timeout":
        return {"problem": "The cells of this part did not finish in time."}
    section_error = section_problem(found)
    if section_error:
        # The state probe still reads what the cells set up before the error: not a run.
        return {"problem": section_error}
    response = found.responses.get(NOTEBOOK_RUN.id)
    problem = problem_of(response, f"Reading the state after `{trainer.function}(10)`",
                         hidden=False)
    if problem:
        return {"problem": problem}
    values = response.get("values") if isinstance(response, dict) else None
    if not isinstance(values, dict) or MALFORMED in values:
        return {"problem": "Your notebook's run left nothing readable."}
    path_w, path_b = (_floats(values.get(name)) for name in SURFACE_PATH)
    path = ([[w, b] for w, b in zip(path_w, path_b)]
            if path_w is not None and path_b is not None else [])
    return {"losses": _floats(values.get(trainer.losses)), "losses_type": type_of(
            values.get(trainer.losses)), "w": finite(number(values.get("w"))),
            "b": finite(number(values.get("b"))), "path": path}


def _missing(part: str, problem: str) -> str:
    """Said in place of a part's plots when its run could not be used."""
    saying = sentence_html(f"No plot of your run of `{TRAINERS[part].function}`: ")
    return f'<p class="noplot">{saying}{sentence_html(problem)}</p>'


def figures(own_runs: dict[str, dict], ref: dict) -> dict[str, str]:
    """HTML per part name (its plots, or why there are none); the key "" holds the plots of
    the whole page (the fitted lines)."""
    shown = {}
    for part in TRAINERS:
        run = own_runs.get(part) or {"problem": "Your notebook did not reach this part."}
        if "problem" in run:
            shown[part] = _missing(part, run["problem"])
        else:
            shown[part] = (f'<div class="figures">{_loss_chart(part, run, ref)}'
                           f"{_path_chart(part, run, ref)}</div>")
    shown[""] = f'<div class="figures">{_line_chart(own_runs, ref)}</div>'
    return shown


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:.4g}"


def _loss_chart(part: str, run: dict, ref: dict) -> str:
    trainer = TRAINERS[part]
    expected = ref["runs"][part]["losses"]
    losses = run.get("losses")
    notes = []
    if losses is None:
        losses = []
        notes.append(f"{trainer.losses} is a {run.get('losses_type', 'missing')}, not a list.")
    positive = [value for value in expected if value > 0]
    low, high = min(positive), max(positive)
    own = [value for value in losses if value is not None and value > 0]
    if own:
        low = max(min(low, min(own)), low / 10 ** MAX_DECADES)
        high = min(max(high, max(own)), high * 10 ** MAX_DECADES)
    hidden = sum(1 for value in losses if value is None or not low <= value <= high
                 or value <= 0)
    if hidden:
        notes.append(f"{hidden} of your values are not shown (not finite, not positive, "
                     "or far off the chart).")
    if len(losses) not in (0, len(expected)):
        notes.append(f"Your {trainer.losses} has {len(losses)} entries; the reference has "
                     f"{len(expected)}, one per epoch.")
    y_range = (10 ** math.floor(math.log10(low)), 10 ** math.ceil(math.log10(high)))
    count = max(len(losses), len(expected), 2)
    chart = Chart(
        title=f"Loss per epoch: {trainer.losses}", x_label="epoch (entry of the list)",
        y_label="loss on all the data (log scale)",
        series=[Series(f"your {trainer.losses}", list(enumerate(losses)),
                       **{**YOU, "marker": YOU["marker"] if len(losses) <= MARKED_POINTS else ""}),
                Series(f"reference {trainer.losses}", list(enumerate(expected)), **REFERENCE)],
        x_range=(-0.3, count - 0.7), y_range=y_range, log_y=True, notes=notes)
    last = losses[-1] if losses else None
    alt = (f"Line chart, log scale: loss per epoch of your {trainer.function} on the "
           f"notebook's data ({len(losses)} entries, first {_fmt(losses[0] if losses else None)}, "
           f"last {_fmt(last)}) beside the reference ({len(expected)} entries, first "
           f"{_fmt(expected[0])}, last {_fmt(expected[-1])}).")
    return img(chart, alt, f"loss-{part}")


def _path_chart(part: str, run: dict, ref: dict) -> str:
    trainer = TRAINERS[part]
    expected = ref["runs"][part]["path"]
    end = [run["w"], run["b"]] if run.get("w") is not None and run.get("b") is not None \
        else None
    path = [point for point in run.get("path", [])]
    notes = []
    if not path:
        notes.append("Your loop recorded no path (get_surface.set_para_loss): only its end.")
    if end is not None:
        path.append(end)
    drawable = [p for p in path if p[0] is not None and p[1] is not None]
    outside = sum(1 for w, b in drawable if abs(w) > W_RANGE + 1 or abs(b) > B_RANGE + 1)
    if outside:
        notes.append(f"{outside} of your points lie outside this window.")
    chart = Chart(
        title=f"Path of (w, b): {TRAINER_NAMES[part]}", x_label="w (slope)",
        y_label="b (bias)", backdrop=ref["contour"], backdrop_label="equal loss",
        series=[Series("your path", [None if None in p else tuple(p) for p in path],
                       **{**YOU, "marker": YOU["marker"] if len(path) <= MARKED_POINTS else ""}),
                Series("reference path", [tuple(p) for p in expected], **REFERENCE)],
        x_range=(-W_RANGE - 1, W_RANGE + 1), y_range=(-B_RANGE - 1, B_RANGE + 1),
        legend_at="upper left", notes=notes)
    alt = (f"Contour map of the loss over w and b with the path of your {trainer.function} "
           f"({len(drawable)} points, ending at w = {_fmt(run.get('w'))}, "
           f"b = {_fmt(run.get('b'))}) and the reference path, ending at "
           f"w = {_fmt(expected[-1][0])}, b = {_fmt(expected[-1][1])}.")
    return img(chart, alt, f"path-{part}")


def _line_chart(own_runs: dict[str, dict], ref: dict) -> str:
    xs, ys = ref["data"]["x"], ref["data"]["y"]
    left, right = min(xs) - 0.2, max(xs) + 0.2
    low, high = min(ys) - 1.5, max(ys) + 1.5
    final = ref["runs"]["batch20_trainer"]
    series = [Series("data (the notebook's X, Y)", list(zip(xs, ys)), color=OKABE_ITO["black"],
                     marker="circle", line=False),
              Series("reference line", _line(final["w"], final["b"], left, right),
                     color=OKABE_ITO["blue"], dash="6 3")]
    notes, described = [], []
    for part, style in (("dataloader_loop", YOU), ("batch20_trainer", SECOND)):
        run = own_runs.get(part) or {}
        name = TRAINERS[part].function
        if run.get("w") is None or run.get("b") is None:
            notes.append(f"No line from your {name}: its run ended without readable w, b.")
            continue
        series.append(Series(f"your line after {name}", _line(run["w"], run["b"], left, right),
                             color=style["color"], dash=style.get("dash", ""), width=2.5))
        described.append(f"after {name}: w = {_fmt(run['w'])}, b = {_fmt(run['b'])}")
    chart = Chart(title="Your fitted lines on the data", x_label="x", y_label="y",
                  series=series, x_range=(left, right), y_range=(low, high),
                  legend_at="upper left", notes=notes)
    alt = (f"Scatter plot of the notebook's data with the reference line (w = "
           f"{_fmt(final['w'])}, b = {_fmt(final['b'])}) and your lines "
           f"({'; '.join(described) or 'none'}).")
    return img(chart, alt, "lines")


def _line(w: float, b: float, left: float, right: float) -> list[tuple[float, float]]:
    return [(left, w * left + b), (right, w * right + b)]
